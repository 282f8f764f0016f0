import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { migrationsDir } from '../../src/db/migrate.js';
import { throwawayDatabase } from '../../bench/support/database.js';

/** The migration's up and down SQL, run as written, over rows stored under the old deficiency name. */
test("stored analyses and reports take the spec's deficiency name, and down gives the old one back", async () => {
  const sql = await readFile(path.join(migrationsDir, '1764700000000_deficiency-type-names.sql'), 'utf8');
  const [up = '', down = ''] = sql.split('-- Down Migration');
  const db = await throwawayDatabase();
  try {
    const oldFinding = { type: 'missing_error_handling', area: 'input.text', evidence: ['missing_error_handling is what it was called'] };
    const other = { type: 'missing_api_specification', area: 'api.bulk', evidence: [] };
    const oldReport = {
      systematicIssues: [
        { deficiencyType: 'missing_error_handling', description: '40 incidents trace to missing error handling in input.text; fix: x' },
      ],
      recommendations: ['systematic: 40 incidents trace to missing error handling in input.text; fix: x'],
    };
    await db.pool.query(`INSERT INTO learning_cycles (id, input, report) VALUES ('c1', '{}', $1), ('c2', '{}', NULL)`, [
      JSON.stringify(oldReport),
    ]);
    await db.pool.query(
      `INSERT INTO incidents (idempotency_key, cycle_id, check_no, application, variant, requirements_version, type, value, threshold, request_ids, analysis)
       VALUES ('k1', 'c1', 0, 'app', 'v1', 1, 'error_rate', 0.5, 0.01, '{}', $1), ('k2', 'c1', 0, 'app', 'v1', 1, 'error_rate', 0.5, 0.01, '{}', NULL)`,
      [JSON.stringify([oldFinding, other])],
    );
    const read = async () => ({
      analysis: (await db.pool.query(`SELECT analysis FROM incidents ORDER BY idempotency_key`)).rows.map((r) => r.analysis),
      reports: (await db.pool.query(`SELECT report FROM learning_cycles ORDER BY id`)).rows.map((r) => r.report),
    });
    const before = await read();

    await db.pool.query(up);
    const after = await read();
    assert.deepEqual(
      after.analysis,
      [[{ ...oldFinding, type: 'missing_error_handling_requirements' }, other], null],
      'only the type value is renamed, not text that mentions it',
    );
    assert.deepEqual(after.reports, [
      {
        systematicIssues: [
          {
            deficiencyType: 'missing_error_handling_requirements',
            description: '40 incidents trace to missing error handling requirements in input.text; fix: x',
          },
        ],
        recommendations: ['systematic: 40 incidents trace to missing error handling requirements in input.text; fix: x'],
      },
      null,
    ]);

    await db.pool.query(down);
    assert.deepEqual(await read(), before);
  } finally {
    await db.drop();
  }
});
