import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * docs/specs-conformance.md against the code: every row well formed, every `file:symbol` and every named test real,
 * and every `exact` row whose code location is a value in src/ (a constant, or a default read through a call) equal
 * to the value the table states, so the table cannot drift from the code.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const docFile = path.join(root, 'docs', 'specs-conformance.md');
const doc = readFileSync(docFile, 'utf8');

const STATUSES = ['exact', 'departs', 'n/a'] as const;
type Status = (typeof STATUSES)[number];

interface CodeRef {
  file: string;
  /** `NAME`, `NAME.key`, `NAME[0]`, `fn(<JSON args>).key`: what to read from the module. */
  expression: string;
}

interface TestRef {
  file: string;
  name: string;
}

interface Row {
  id: string;
  line: number;
  spec: string;
  value: string;
  /** The value cell's leading `literal`, parsed as JSON; undefined when the cell has none. */
  literal?: { value: unknown };
  code: CodeRef[];
  tests: TestRef[];
  status: Status;
  reason: string;
}

const ROW_ID = /^00[0-2]-\d{2,3}$/;

function cells(line: string): string[] {
  return line
    .replace(/^\|/, '')
    .replace(/\|\s*$/, '')
    .split('|')
    .map((c) => c.trim());
}

function entries(cell: string): string[] {
  return cell === '—'
    ? []
    : cell
        .split('<br>')
        .map((e) => e.trim())
        .filter((e) => e !== '');
}

function parseRows(): Row[] {
  const rows: Row[] = [];
  doc.split('\n').forEach((text, i) => {
    if (!text.startsWith('|')) return;
    const c = cells(text);
    if (!ROW_ID.test(c[0] ?? '')) return;
    const where = `line ${i + 1} (${String(c[0])})`;
    assert.equal(c.length, 6, `${where}: a row has 6 cells (id, spec, value, code, test, status), found ${c.length}`);
    const [id, spec, value, code, tests, statusCell] = c as [string, string, string, string, string, string];

    // A leading `literal` that is JSON is a value to check; `a_name` is only a name.
    const literalText = /^`([^`]+)`/.exec(value)?.[1];
    let literal: Row['literal'];
    if (literalText !== undefined) {
      try {
        literal = { value: JSON.parse(literalText) };
      } catch {
        literal = undefined;
      }
    }

    const codeRefs = entries(code).map((entry) => {
      const m = /^`([^`:\s]+\.(?:ts|sql|md)):([^`]+)`/.exec(entry);
      assert.ok(m, `${where}: a code location is \`file:symbol\`, got ${entry}`);
      return { file: m[1]!, expression: m[2]! };
    });

    const testRefs = entries(tests).map((entry) => {
      const m = /^`(test\/[^`]+\.test\.ts)` › (.+)$/.exec(entry);
      assert.ok(m, `${where}: a test is \`test/….test.ts\` › its name, got ${entry}`);
      return { file: m[1]!, name: m[2]! };
    });

    const status = STATUSES.find((s) => statusCell === s || statusCell.startsWith(`${s} — `));
    assert.ok(status, `${where}: status must be exact, departs — reason, or n/a — reason; got ${statusCell}`);
    const reason = statusCell.slice(status.length).replace(/^ — /, '').trim();
    rows.push({ id, line: i + 1, spec, value, literal, code: codeRefs, tests: testRefs, status, reason });
  });
  return rows;
}

let parseError: Error | undefined;
const rows = (() => {
  try {
    return parseRows();
  } catch (err) {
    parseError = err instanceof Error ? err : new Error(String(err));
    return [];
  }
})();

// ---- reading a value out of a module: NAME, .key, [index] or ["key"], (JSON args) --------------------------------

type Step = { kind: 'get'; key: string | number } | { kind: 'call'; args: unknown[] };

function parseExpression(expression: string): { name: string; steps: Step[] } {
  const head = /^[A-Za-z_$][\w$]*/.exec(expression);
  if (!head) throw new Error(`${expression}: must start with an identifier`);
  const steps: Step[] = [];
  let i = head[0].length;
  /** Index just past the bracket that closes the one at `open`, skipping JSON strings. */
  const closing = (open: number, close: string): number => {
    const opener = expression[open]!;
    let depth = 0;
    let inString = false;
    for (let j = open; j < expression.length; j++) {
      const ch = expression[j]!;
      if (inString) {
        if (ch === '\\') j++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === opener) depth++;
      else if (ch === close && --depth === 0) return j + 1;
    }
    throw new Error(`${expression}: unbalanced ${opener}`);
  };
  while (i < expression.length) {
    const ch = expression[i];
    if (ch === '.') {
      const key = /^[A-Za-z_$][\w$]*/.exec(expression.slice(i + 1));
      if (!key) throw new Error(`${expression}: a name must follow "." at ${i}`);
      steps.push({ kind: 'get', key: key[0] });
      i += 1 + key[0].length;
    } else if (ch === '[') {
      const end = closing(i, ']');
      steps.push({ kind: 'get', key: JSON.parse(expression.slice(i + 1, end - 1)) as string | number });
      i = end;
    } else if (ch === '(') {
      const end = closing(i, ')');
      steps.push({ kind: 'call', args: JSON.parse(`[${expression.slice(i + 1, end - 1)}]`) as unknown[] });
      i = end;
    } else {
      throw new Error(`${expression}: unexpected "${String(ch)}" at ${i}`);
    }
  }
  return { name: head[0], steps };
}

function evaluate(module: Record<string, unknown>, expression: string): { exported: boolean; value: unknown; called: boolean } {
  const { name, steps } = parseExpression(expression);
  if (!(name in module)) return { exported: false, value: undefined, called: false };
  let value: unknown = module[name];
  let self: unknown = module;
  for (const step of steps) {
    if (step.kind === 'get') {
      if (value === null || value === undefined) throw new Error(`${expression}: cannot read ${String(step.key)} of ${String(value)}`);
      self = value;
      value = (value as Record<string | number, unknown>)[step.key];
    } else {
      if (typeof value !== 'function') throw new Error(`${expression}: ${String(value)} is not a function`);
      value = (value as (...args: unknown[]) => unknown).apply(self, step.args);
      self = undefined;
    }
  }
  return { exported: true, value, called: steps.some((s) => s.kind === 'call') };
}

/** Numbers, strings, booleans, null, arrays and plain objects: what a table can state. A function or a class instance is not. */
function isData(value: unknown): boolean {
  if (value === null || ['number', 'string', 'boolean'].includes(typeof value)) return true;
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The identifier a location names: its first name, which must appear in the file as a word. */
const symbolOf = (ref: CodeRef) => /^[A-Za-z_$][\w$]*/.exec(ref.expression)?.[0] ?? ref.expression;

/** Test names as the source spells them, with the escapes of their quotes undone. */
const sourceOf = (file: string) => readFileSync(path.join(root, file), 'utf8').replace(/\\(['"`])/g, '$1');

// ---- the tests ------------------------------------------------------------------------------------------------

test('the table counts its rows by status as the note says', () => {
  if (parseError) throw parseError;
  assert.ok(rows.length > 0, 'the table has rows');
  const counts = Object.fromEntries(STATUSES.map((s) => [s, rows.filter((r) => r.status === s).length]));
  const stated = /\*\*(\d+) rows\*\*: (\d+) exact, (\d+) departs, (\d+) n\/a/.exec(doc);
  assert.ok(stated, 'the note states "**N rows**: E exact, D departs, A n/a"');
  assert.deepEqual(
    { rows: Number(stated[1]), exact: Number(stated[2]), departs: Number(stated[3]), 'n/a': Number(stated[4]) },
    { rows: rows.length, ...counts },
  );
  for (const file of ['000', '001', '002'])
    assert.ok(
      rows.some((r) => r.id.startsWith(`${file}-`)),
      `rows for ${file}`,
    );
});

test('every row names its spec, a status and, unless exact, the reason', () => {
  const ids = new Set<string>();
  for (const r of rows) {
    assert.ok(!ids.has(r.id), `${r.id} (line ${r.line}) is used twice`);
    ids.add(r.id);
    assert.ok(r.spec.length > 2, `${r.id}: names the spec's function or section`);
    assert.ok(r.value.length > 0, `${r.id}: states the spec's value`);
    if (r.status === 'exact') assert.ok(r.code.length > 0, `${r.id}: an exact row names where the code has it`);
    else assert.ok(r.reason.length >= 10, `${r.id}: a ${r.status} row gives its reason`);
  }
});

test('every code location exists: the file, and the symbol in it', () => {
  for (const r of rows) {
    for (const ref of r.code) {
      const file = path.join(root, ref.file);
      assert.ok(existsSync(file), `${r.id}: ${ref.file} does not exist`);
      const symbol = symbolOf(ref);
      assert.match(
        readFileSync(file, 'utf8'),
        new RegExp(`(^|[^\\w$])${symbol.replace(/\$/g, '\\$')}([^\\w$]|$)`),
        `${r.id}: ${symbol} is not in ${ref.file}`,
      );
    }
  }
});

test('every named test exists in its file', () => {
  for (const r of rows) {
    for (const t of r.tests) {
      assert.ok(existsSync(path.join(root, t.file)), `${r.id}: ${t.file} does not exist`);
      assert.ok(sourceOf(t.file).includes(t.name), `${r.id}: no test "${t.name}" in ${t.file}`);
    }
  }
});

test("every exact row's value is the code's: constants and defaults read from the modules", async () => {
  let checked = 0;
  for (const r of rows.filter((row) => row.status === 'exact')) {
    const ref = r.code[0]!;
    const where = `${r.id} (${ref.file}:${ref.expression})`;
    if (!ref.file.startsWith('src/') || !ref.file.endsWith('.ts')) {
      assert.equal(r.literal, undefined, `${where}: a value is only checked in src/ modules; move the location or drop the value`);
      continue;
    }
    const module = (await import(pathToFileURL(path.join(root, ref.file)).href)) as Record<string, unknown>;
    const { exported, value, called } = evaluate(module, ref.expression);
    if (!exported) {
      assert.equal(r.literal, undefined, `${where}: states a value, but ${symbolOf(ref)} is not exported`);
      continue;
    }
    assert.notEqual(value, undefined, `${where}: reads nothing (undefined)`);
    if (!called && !isData(value)) {
      assert.equal(r.literal, undefined, `${where}: states a value, but the location is not a constant`);
      continue;
    }
    assert.ok(r.literal, `${where}: the code has a value here (${JSON.stringify(value)}); state it in the value cell as \`literal\``);
    // Through JSON, so a frozen or null-prototype object compares by its contents.
    const code: unknown = value !== null && typeof value === 'object' ? JSON.parse(JSON.stringify(value)) : value;
    assert.deepStrictEqual(
      code,
      r.literal.value,
      `${where}: the table says ${JSON.stringify(r.literal.value)}, the code has ${JSON.stringify(value)}`,
    );
    checked++;
  }
  assert.ok(checked >= 50, `only ${checked} values were checked against the code`);
});
