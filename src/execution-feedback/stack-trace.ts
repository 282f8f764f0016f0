import { parse as parseV8Stack } from 'stacktrace-parser';
import { defined } from '../platform/defined.js';

export type TraceLanguage = 'javascript' | 'python' | 'java';

export interface TraceFrame {
  file: string | null;
  /** Function, method (Java: Class.method) or <module>/<anonymous>. */
  fn: string;
  line: number | null;
  /** Runtime or library code rather than the program's own (node internals, node_modules, the JDK, site-packages). */
  external: boolean;
}

export interface ParsedTrace {
  language: TraceLanguage;
  type: string;
  message: string;
  /** Innermost (where it was thrown) first. */
  frames: TraceFrame[];
}

const externalPath = /^node:|\/node_modules\/|^internal\/|\/site-packages\/|\/dist-packages\/|\/lib\/python\d[\d.]*\/|^<frozen /;
const jdkClass = /^(java|javax|jdk|sun|com\.sun)\./;

/**
 * JavaScript/TypeScript (V8: node, tsx, Chrome) through stacktrace-parser; it reads the frames only, so the error
 * line (`TypeError: …`, `Error [ERR_X]: …`) is taken as the last "Name: message" line before the first frame.
 */
function parseJavaScript(trace: string): ParsedTrace {
  const lines = trace.split('\n');
  const firstFrame = lines.findIndex((l) => /^\s+at /.test(l));
  const head = firstFrame < 0 ? lines : lines.slice(0, firstFrame);
  let type = 'Error';
  let message = '';
  for (const l of head) {
    const m = /^(?:Uncaught )?([A-Za-z_$][\w$]*)(?: \[[\w$]+\])?: ?(.*)$/.exec(l);
    if (m) [type, message] = [defined(m[1], 'error name'), defined(m[2], 'error message')];
  }
  // Only from the first frame on: node's source-line preamble (`file:///…:8`) would otherwise read as a frame.
  const frames = parseV8Stack(firstFrame < 0 ? '' : lines.slice(firstFrame).join('\n')).map((f) => ({
    file: f.file,
    fn: f.methodName.replace(/^async /, ''),
    line: f.lineNumber,
    external: f.file === null || externalPath.test(f.file),
  }));
  return { language: 'javascript', type, message, frames };
}

/**
 * CPython tracebacks. There is no maintained npm parser for them, so this reads the format CPython's traceback
 * module prints: `File "…", line N, in fn` frames, outermost first, and the last `Type: message` line. With chained
 * exceptions ("During handling of the above exception…") the last traceback is the one that ended the program.
 */
function parsePython(trace: string): ParsedTrace {
  const blocks = trace.split(/^Traceback \(most recent call last\):$/m);
  const last = defined(blocks.at(-1), 'last traceback');
  const frames: TraceFrame[] = [];
  for (const m of last.matchAll(/^\s*File "([^"]+)", line (\d+), in (.+)$/gm)) {
    const file = defined(m[1], 'frame file');
    frames.push({ file, fn: defined(m[3], 'frame function').trim(), line: Number(m[2]), external: externalPath.test(file) });
  }
  const errorLine =
    last
      .split('\n')
      .map((l) => l.trimEnd())
      .filter((l) => /^[A-Za-z_][\w.]*(: .*)?$/.test(l))
      .pop() ?? 'Exception';
  const colon = errorLine.indexOf(': ');
  return {
    language: 'python',
    type: colon < 0 ? errorLine : errorLine.slice(0, colon),
    message: colon < 0 ? '' : errorLine.slice(colon + 2),
    frames: frames.reverse(),
  };
}

/**
 * JVM stack traces (Throwable.printStackTrace). No maintained npm parser exists for them either; this reads
 * `at [module/]pkg.Class.method(File.java:N)` frames and takes the root cause (the last `Caused by:`) as the error,
 * since that is where the fault is.
 */
function parseJava(trace: string): ParsedTrace {
  const sections = trace.split(/^Caused by: /m);
  const root = defined(sections.at(-1), 'root cause');
  const header = defined(root.split('\n')[0], 'root cause header')
    .replace(/^Exception in thread "[^"]*" /, '')
    .trim();
  const m = /^([\w$.]+)(?:: (.*))?$/.exec(header);
  const frames: TraceFrame[] = [];
  for (const f of root.matchAll(/^\s+at (?:[\w.$-]+(?:@[\w.-]+)?\/)?([\w$.<>]+)\.([\w$<>]+)\(([^)]*)\)$/gm)) {
    const cls = defined(f[1], 'frame class');
    const [file, line] = defined(f[3], 'frame location').split(':');
    frames.push({
      file: file ?? null,
      fn: `${cls}.${defined(f[2], 'frame method')}`,
      line: line ? Number(line) : null,
      external: jdkClass.test(cls),
    });
  }
  return { language: 'java', type: m?.[1] ?? 'Throwable', message: m?.[2] ?? '', frames };
}

export function detectLanguage(trace: string): TraceLanguage {
  if (/^Traceback \(most recent call last\):$/m.test(trace)) return 'python';
  if (/^\s+at [\w$./@-]+\([^)]*(\.java:\d+|Native Method|Unknown Source)\)$/m.test(trace)) return 'java';
  return 'javascript';
}

/** Parses a stack trace as printed by node/tsx, CPython or the JVM; the language is recognised from its shape. */
export function parseStackTrace(trace: string, language: TraceLanguage = detectLanguage(trace)): ParsedTrace {
  const text = trace.replace(/\r\n/g, '\n');
  if (language === 'python') return parsePython(text);
  if (language === 'java') return parseJava(text);
  return parseJavaScript(text);
}
