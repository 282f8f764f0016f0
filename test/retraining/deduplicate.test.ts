import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { SentenceEmbedder } from '../../src/models/embedder.js';
import { embeddingModelDir } from '../../src/models/fetch-model.js';
import { DUPLICATE_SIMILARITY } from '../../src/retraining/criteria.js';
import { cosineSimilarity, deduplicate } from '../../src/retraining/deduplicate.js';
import { embedExamples } from '../../src/retraining/embed-examples.js';
import { nearestUsedExamples } from '../../src/retraining/embedding-store.js';
import { markExamplesUsed } from '../../src/retraining/mark-used.js';
import { throwawayDatabase, type ThrowawayDatabase } from '../../bench/support/database.js';
import { seedExample, seedModel } from '../support/retraining-seed.js';

// Real sentences and the real all-MiniLM-L6-v2 encoder. Similarities to BASE measured here: MEMBERS 0.915,
// CACHING 0.883, ADMIN_PAGE 0.90003; the tests read the similarities rather than trusting these figures.
const BASE = 'Build a REST endpoint that returns the list of users as JSON';
const MEMBERS = 'Build a REST endpoint that returns the list of members as JSON';
const CACHING = 'Build a REST endpoint that returns the list of users as JSON, with caching';
const ADMIN_PAGE = 'Build a REST endpoint that returns the list of users as JSON for the admin page';
const UNRELATED = 'Write a command-line tool that resizes PNG images in a folder';

let embedder: SentenceEmbedder;
let db: ThrowawayDatabase;
const vec = new Map<string, Float32Array>();
before(async () => {
  embedder = await SentenceEmbedder.load(embeddingModelDir(loadConfig().home));
  const texts = [BASE, MEMBERS, CACHING, ADMIN_PAGE, UNRELATED];
  (await embedder.embed(texts)).forEach((v, i) => vec.set(texts[i]!, v));
  db = await throwawayDatabase();
  await seedModel(db.pool, 'm');
});
after(async () => {
  await embedder.close();
  await db.drop();
});

const candidate = (text: string) => ({ requestId: text, embedding: vec.get(text)! });

test('the chosen sentences sit on either side of 0.9 for the real encoder', () => {
  assert.ok(cosineSimilarity(vec.get(BASE)!, vec.get(MEMBERS)!) >= DUPLICATE_SIMILARITY + 0.005);
  assert.ok(cosineSimilarity(vec.get(BASE)!, vec.get(CACHING)!) < DUPLICATE_SIMILARITY - 0.005);
  assert.ok(cosineSimilarity(vec.get(BASE)!, vec.get(UNRELATED)!) < 0.5);
});

test('a candidate at least 0.9-similar to a kept one is dropped; one below 0.9 is kept; order decides who stays', () => {
  const result = deduplicate([BASE, MEMBERS, CACHING, UNRELATED].map(candidate), [null, null, null, null]);
  assert.deepEqual(result.kept, [BASE, CACHING, UNRELATED]);
  assert.equal(result.dropped.length, 1);
  assert.equal(result.dropped[0]!.requestId, MEMBERS);
  assert.equal(result.dropped[0]!.duplicateOf, BASE);
  assert.equal(result.dropped[0]!.against, 'kept');

  const reversed = deduplicate([MEMBERS, BASE].map(candidate), [null, null]);
  assert.deepEqual(reversed.kept, [MEMBERS], 'the better-ranked of two duplicates is the one kept');
});

test('similarity exactly at the threshold counts as a duplicate, a hair below it does not', () => {
  const s = cosineSimilarity(vec.get(BASE)!, vec.get(ADMIN_PAGE)!);
  assert.ok(Math.abs(s - 0.9) < 0.01, `the pair is near 0.9 (${s})`);
  const pair = [BASE, ADMIN_PAGE].map(candidate);
  assert.deepEqual(deduplicate(pair, [null, null], s).kept, [BASE], `threshold ${s}: similarity ${s} is ≥ it`);
  assert.deepEqual(deduplicate(pair, [null, null], s + 1e-12).kept, [BASE, ADMIN_PAGE]);
  // Against the already-used set the same rule holds for the neighbour's similarity.
  const used = { requestId: 'used', similarity: s };
  assert.equal(deduplicate([candidate(ADMIN_PAGE)], [used], s).dropped[0]!.against, 'used');
  assert.deepEqual(deduplicate([candidate(ADMIN_PAGE)], [used], s + 1e-12).kept, [ADMIN_PAGE]);
});

test('the used example nearest to each candidate is found, with the same similarity, on whichever path this database takes', async () => {
  const pool = db.pool;
  const baseId = await seedExample(pool, { text: BASE, passRate: 1 });
  const unrelatedId = await seedExample(pool, { text: UNRELATED, passRate: 1 });
  await seedModel(pool, 'other');
  const otherModelsId = await seedExample(pool, { modelId: 'other', text: MEMBERS, passRate: 1 });
  await embedExamples(pool, embedder, [baseId, unrelatedId, otherModelsId]);
  await markExamplesUsed(pool, { modelId: 'm', requestIds: [baseId, unrelatedId] });
  await markExamplesUsed(pool, { modelId: 'other', requestIds: [otherModelsId] });

  const queries = [MEMBERS, CACHING, UNRELATED].map((t) => vec.get(t)!);
  const nearest = await nearestUsedExamples(pool, 'm', queries);
  assert.equal(nearest[0]!.requestId, baseId, "another model's identical sentence is not this model's neighbour");
  assert.ok(Math.abs(nearest[0]!.similarity - cosineSimilarity(vec.get(BASE)!, vec.get(MEMBERS)!)) < 1e-5);
  assert.equal(nearest[1]!.requestId, baseId);
  assert.equal(nearest[2]!.requestId, unrelatedId);
  assert.ok(nearest[2]!.similarity > 0.9999);

  const result = deduplicate([MEMBERS, CACHING].map(candidate), nearest.slice(0, 2));
  assert.deepEqual(result.kept, [CACHING]);
  assert.deepEqual(
    result.dropped.map((d) => [d.requestId, d.duplicateOf, d.against]),
    [[MEMBERS, baseId, 'used']],
  );

  assert.deepEqual(
    await nearestUsedExamples(pool, 'nobody', queries),
    [null, null, null],
    'a model with no used examples has no neighbours',
  );
});
