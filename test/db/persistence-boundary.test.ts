import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Issue 19's persistence boundary: SQL is written only under src/db, whose repositories the rest of the code calls.
// Tests and migrations are outside the rule: tests seed and inspect databases directly, migrations are SQL.

const root = fileURLToPath(new URL('../..', import.meta.url));
const scanned = ['src', 'activities', 'workflows', 'workers', 'bench'];
const boundary = 'src/db/';

/** A string or template literal whose text starts with an SQL statement. */
const statementLiteral =
  /(['"`])\s*(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|WITH\s+\w+\s+AS\s*\(|CREATE\s|ALTER\s|DROP\s|LISTEN\s|NOTIFY\s|DECLARE\s+\w+|FETCH\s|SET\s+LOCAL\s|BEGIN\b|COMMIT\b|ROLLBACK\b)/g;
/**
 * A call that sends text to PostgreSQL: `.query(` on a pool, a client or a db handle, or given a literal. Temporal's
 * `handle.query(progressQuery)` asks a workflow, not the database.
 */
const queryCall = /\b(?:\w*pool|\w*client|c|db)\s*\.query\s*(?:<[^>]*>)?\s*\(|\.query\s*(?:<[^>]*>)?\s*\(\s*['"`]/gi;

async function* sources(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* sources(full);
    } else if (entry.name.endsWith('.ts')) {
      yield full;
    }
  }
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** Comments blanked (their line breaks kept), so prose that mentions a statement is not one. */
const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/^\s*\/\/.*$/gm, '');

/** Every SQL statement or query call outside src/db, as file:line: what. */
async function sqlOutsideBoundary(): Promise<string[]> {
  const found: string[] = [];
  for (const dir of scanned) {
    for await (const file of sources(path.join(root, dir))) {
      const rel = path.relative(root, file).split(path.sep).join('/');
      if (rel.startsWith(boundary)) continue;
      const text = withoutComments(await readFile(file, 'utf8'));
      for (const m of text.matchAll(statementLiteral))
        found.push(`${rel}:${lineOf(text, m.index)}: ${String(m[2]!.split(/\s+/)[0])} statement`);
      for (const m of text.matchAll(queryCall)) found.push(`${rel}:${lineOf(text, m.index)}: .query( call`);
    }
  }
  return found;
}

test('SQL is written only under src/db: no statement and no query call elsewhere in src, activities, workflows, workers or bench', async () => {
  assert.deepEqual(await sqlOutsideBoundary(), []);
});
