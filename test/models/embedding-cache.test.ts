import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { SentenceEmbedder } from '../../src/models/embedder.js';
import { embeddingModelDir } from '../../src/models/fetch-model.js';
import { embedWithCache, type TextEmbedder } from '../../src/models/embedding-cache.js';

let embedder: SentenceEmbedder;
let dir: string;
before(async () => {
  embedder = await SentenceEmbedder.load(embeddingModelDir(loadConfig().home));
  dir = mkdtempSync(path.join(tmpdir(), 'learnloop-embcache-'));
});
after(async () => {
  // after() runs even when before() failed part-way: what it did not get to is still undefined.
  await (embedder as typeof embedder | undefined)?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The real encoder, counting the sentences it is asked to embed. */
function counting(): TextEmbedder & { embedded: number } {
  const wrapper = {
    embedded: 0,
    dimension: embedder.dimension,
    embed: (texts: readonly string[]) => {
      wrapper.embedded += texts.length;
      return embedder.embed(texts);
    },
  };
  return wrapper;
}

const texts = ['Expose CRUD endpoints for the order resource', 'cap noisy api tenants', 'cache invoice lookups for 5 minutes'];

test("cached embeddings are the encoder's own and are not computed again", async () => {
  const first = counting();
  const fresh = await embedWithCache(first, texts, dir);
  assert.deepEqual(fresh, await embedder.embed(texts));
  assert.equal(first.embedded, texts.length + 1, 'the texts and the encoder probe');

  const second = counting();
  assert.deepEqual(await embedWithCache(second, texts, dir), fresh);
  assert.equal(second.embedded, 1, 'only the probe that identifies the encoder');

  const other = counting();
  await embedWithCache(other, texts.slice(1), dir);
  assert.equal(other.embedded, texts.length, 'another text list is another entry');
});

test('a cache file of the wrong size is ignored and rewritten', async () => {
  const probeOnly = counting();
  await embedWithCache(probeOnly, texts, dir);
  for (const f of readdirSync(dir)) writeFileSync(path.join(dir, f), 'truncated');
  const again = counting();
  assert.deepEqual(await embedWithCache(again, texts, dir), await embedder.embed(texts));
  assert.equal(again.embedded, texts.length + 1);
  const healed = counting();
  await embedWithCache(healed, texts, dir);
  assert.equal(healed.embedded, 1);
});

test('a cache that cannot be written still gives the embeddings', async () => {
  const blocker = path.join(dir, 'a-file');
  writeFileSync(blocker, 'not a folder');
  const vectors = await embedWithCache(counting(), texts, path.join(blocker, 'cache'));
  assert.deepEqual(vectors, await embedder.embed(texts));
});
