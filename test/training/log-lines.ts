import { Writable } from 'node:stream';

/** A pino destination that keeps every line, parsed, for a test to look at. */
export function logLines(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}
