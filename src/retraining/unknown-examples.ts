/** Request ids that are not what the caller says they are (this model's requests with input, output and feedback). */
export class UnknownExamplesError extends Error {
  override name = 'UnknownExamplesError';
  constructor(
    readonly requestIds: string[],
    what: string,
  ) {
    super(`${requestIds.length} request(s) ${what}: ${requestIds.slice(0, 5).join(', ')}`);
  }
}
