import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const root = fileURLToPath(new URL('../..', import.meta.url));

// ARCHITECTURE.md: platform, features, examples, entry points; every import points down a layer or stays in its own.
test('no import runs up the layers (ARCHITECTURE.md) and none closes a circle', async () => {
  const cwd = process.cwd();
  // dependency-cruiser resolves the config's paths and the cruised folders against the working directory.
  process.chdir(root);
  let result: ICruiseResult;
  try {
    const options = await extractDepcruiseOptions(path.join(root, '.dependency-cruiser.cjs'));
    const output = await cruise(
      ['src', 'workflows', 'activities', 'workers', 'bench', 'test'],
      options,
      {},
      { tsConfig: extractTSConfig(path.join(root, 'tsconfig.json')) },
    );
    result = output.output as ICruiseResult;
  } finally {
    process.chdir(cwd);
  }
  const violations = result.summary.violations.map(
    (v) => `${v.rule.name}: ${[v.from, ...(v.cycle?.length ? v.cycle.map((c) => c.name) : [v.to])].join(' → ')}`,
  );
  assert.ok(result.summary.totalCruised > 300, `only ${result.summary.totalCruised} modules cruised: is the config's path list right?`);
  assert.equal(violations.length, 0, `${violations.length} imports break the layers:\n${violations.join('\n')}`);
});
