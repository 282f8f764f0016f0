import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ModelRegistry } from '../../src/models/registry.js';
import { throwawayDatabase } from '../../bench/support/database.js';

test('registering stores the file by content hash, is idempotent, and refuses other bytes under a taken version', async () => {
  const db = await throwawayDatabase();
  const dir = mkdtempSync(path.join(tmpdir(), 'learnloop-reg-'));
  try {
    const registry = new ModelRegistry(db.pool, path.join(dir, 'artifacts'));
    writeFileSync(path.join(dir, 'a.onnx'), 'model-a');
    writeFileSync(path.join(dir, 'b.onnx'), 'model-b');
    const first = await registry.register({ modelId: 'm', version: 'v1', file: path.join(dir, 'a.onnx') });
    assert.match(first.artifactUri, new RegExp(`sha256/${first.sha256}\\.onnx$`));
    const again = await registry.register({ modelId: 'm', version: 'v1', file: path.join(dir, 'a.onnx') });
    assert.equal(again.sha256, first.sha256);
    await assert.rejects(registry.register({ modelId: 'm', version: 'v1', file: path.join(dir, 'b.onnx') }), /already registered/);
    assert.equal(Buffer.from(await registry.loadArtifact('m', 'v1')).toString(), 'model-a');
  } finally {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupted artifact is refused on load', async () => {
  const db = await throwawayDatabase();
  const dir = mkdtempSync(path.join(tmpdir(), 'learnloop-reg-'));
  try {
    const registry = new ModelRegistry(db.pool, path.join(dir, 'artifacts'));
    writeFileSync(path.join(dir, 'a.onnx'), 'model-a');
    const v = await registry.register({ modelId: 'm', version: 'v1', file: path.join(dir, 'a.onnx') });
    const stored = new URL(v.artifactUri).pathname;
    const bytes = readFileSync(stored);
    bytes[0] = bytes[0]! ^ 0xff;
    writeFileSync(stored, bytes);
    await assert.rejects(registry.loadArtifact('m', 'v1'), /corrupted/);
  } finally {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('alias history answers which version served production when', async () => {
  const db = await throwawayDatabase();
  const dir = mkdtempSync(path.join(tmpdir(), 'learnloop-reg-'));
  try {
    const registry = new ModelRegistry(db.pool, path.join(dir, 'artifacts'));
    for (const v of ['v1', 'v2']) {
      writeFileSync(path.join(dir, `${v}.onnx`), v);
      await registry.register({ modelId: 'm', version: v, file: path.join(dir, `${v}.onnx`) });
    }
    await registry.setAlias('m', 'production', 'v1', { changedBy: 't', reason: 'first' });
    await registry.setAlias('m', 'production', 'v1', { changedBy: 't' });
    await registry.setAlias('m', 'production', 'v2', { changedBy: 't', reason: 'promoted' });
    const history = await registry.history('m', 'production');
    assert.deepEqual(
      history.map((h) => h.version),
      ['v1', 'v2'],
      'a repeated alias move records nothing',
    );
    assert.ok(history[0]!.to && history[0]!.to.getTime() === history[1]!.from.getTime(), 'v1 served until v2 took over');
    assert.equal(history[1]!.to, null, 'v2 serves now');
    assert.deepEqual(await registry.aliases('m'), { production: 'v2' });
    await assert.rejects(registry.setAlias('m', 'production', 'v9', { changedBy: 't' }), /not registered/);
  } finally {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
