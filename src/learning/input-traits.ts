/** Past this many characters a text field is "long": the size where unbounded processing starts to show in latency. */
export const LONG_TEXT_CHARS = 2_000;

/**
 * The properties of a request input that a specification has to say something about: "text:empty",
 * "text:long", "text:non_ascii", "amount:negative", "customer:missing"… One per field and property, so the
 * analyzer can find what the offending requests of an incident have in common and name the requirement area.
 */
export function inputTraits(input: unknown, expectedFields: readonly string[] = []): string[] {
  const traits: string[] = [];
  const record = input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  for (const [field, value] of Object.entries(record)) {
    if (typeof value === 'string') {
      if (value.trim() === '') traits.push(`${field}:empty`);
      if (value.length > LONG_TEXT_CHARS) traits.push(`${field}:long`);
      // Control characters and anything past ASCII: other scripts, emoji.
      if (/[^\x20-\x7e\n\t]/.test(value)) traits.push(`${field}:non_ascii`);
    } else if (typeof value === 'number') {
      if (value < 0) traits.push(`${field}:negative`);
      if (value === 0) traits.push(`${field}:zero`);
    } else if (value === null) {
      traits.push(`${field}:null`);
    }
  }
  for (const field of expectedFields) if (!(field in record)) traits.push(`${field}:missing`);
  return traits;
}

/** "text:long" → "text". */
export function traitField(trait: string): string {
  return trait.slice(0, trait.lastIndexOf(':'));
}
