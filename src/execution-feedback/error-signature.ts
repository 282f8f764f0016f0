import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { ParsedTrace } from './stack-trace.js';

export interface ErrorSignature {
  language: ParsedTrace['language'];
  type: string;
  /** The innermost frame of the program's own code, without line numbers: `file.ext:function` or `Class.method`. */
  location: string;
  /** The message with its values generalised, then the kinds of failure it shows. */
  symptoms: string[];
  /** sha256 over language, type, location and generalised message: the same bug has the same hash. */
  hash: string;
}

/** Values that differ between occurrences of one bug: ids, paths, quoted data, addresses. */
export function generaliseMessage(message: string): string {
  return message
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>')
    .replace(/(?:file:\/\/)?(?:\/[\w.@-]+){2,}/g, '<path>')
    .replace(/'[^']*'|"[^"]*"|`[^`]*`/g, '<str>')
    .replace(/\b0x[0-9a-f]+\b/gi, '<hex>')
    .replace(/-?\b\d+(\.\d+)?\b/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
}

const symptomPatterns: [string, RegExp][] = [
  ['null-access', /\b(undefined|null|None|NoneType|NullPointerException)\b/],
  ['missing-key', /KeyError|no such key|not found in|Missing key/i],
  ['index-out-of-range', /IndexError|IndexOutOfBounds|out of (range|bounds)/i],
  ['assertion', /Assertion|expected .* (to|but)|!==|===/],
  ['type-mismatch', /TypeError|ClassCastException|is not a function|not callable|unsupported operand/],
  ['undefined-name', /is not defined|NameError|cannot find symbol|ReferenceError/],
  ['timeout', /timed? ?out|Timeout/i],
  ['io', /ENOENT|EACCES|FileNotFound|No such file|IOException|ECONNREFUSED/],
];

function location(trace: ParsedTrace): string {
  const own = trace.frames.find((f) => !f.external) ?? trace.frames[0];
  if (!own) return '<unknown>';
  if (trace.language === 'java') return own.fn;
  const file = own.file ? basename(own.file.replace(/^file:\/\//, '')) : '<unknown>';
  return `${file}:${own.fn}`;
}

export function errorSignature(trace: ParsedTrace): ErrorSignature {
  const general = generaliseMessage(trace.message);
  const text = `${trace.type}: ${trace.message}`;
  const symptoms = [general, ...symptomPatterns.filter(([, re]) => re.test(text)).map(([name]) => name)];
  const loc = location(trace);
  const hash = createHash('sha256')
    .update(JSON.stringify([trace.language, trace.type, loc, general]))
    .digest('hex')
    .slice(0, 32);
  return { language: trace.language, type: trace.type, location: loc, symptoms, hash };
}
