-- Up Migration

-- Sentence embeddings (all-MiniLM-L6-v2: 384 dimensions, unit length) of request inputs, written when retraining
-- deduplicates its candidates: a retried dedup re-reads them instead of re-encoding, and marking examples used
-- copies them into phase4_training_data without passing vectors through workflow history.
--
-- Plain real[], so these migrations need no extension. pgvector is an accelerator: where the server has it,
-- learnloop's start-up step (src/db/vector-index.ts, run by migrate()) adds an HNSW index over
-- embedding::vector(384); without it deduplication compares embeddings exactly. The check keeps every row castable
-- to vector(384), so the index can be built whenever the extension arrives.
CREATE TABLE example_embeddings (
  request_id uuid PRIMARY KEY REFERENCES inference_requests (request_id),
  embedding  real[] NOT NULL
    CONSTRAINT example_embeddings_embedding_384
    CHECK (array_ndims(embedding) = 1 AND cardinality(embedding) = 384 AND array_position(embedding, NULL) IS NULL),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The examples a model has already learned from, searched by cosine similarity for near-duplicates of new ones.
ALTER TABLE phase4_training_data ADD COLUMN embedding real[]
  CONSTRAINT phase4_training_data_embedding_384
  CHECK (array_ndims(embedding) = 1 AND cardinality(embedding) = 384 AND array_position(embedding, NULL) IS NULL);

-- Selection scans one model's requests of the last 7 days; the degradation check one model's feedback of the
-- last week. The existing (model_id, version, at) indexes cannot serve a range over all versions of a model.
CREATE INDEX inference_requests_model_at ON inference_requests (model_id, at);
CREATE INDEX feedback_model_at ON feedback (model_id, at);

-- Down Migration

DROP INDEX feedback_model_at;
DROP INDEX inference_requests_model_at;
-- Dropping the column drops the start-up step's HNSW index on it, where there is one. The extension stays: the
-- start-up step, not this migration, created it (or a database administrator did).
ALTER TABLE phase4_training_data DROP COLUMN embedding;
DROP TABLE example_embeddings;
