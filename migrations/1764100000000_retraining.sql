-- Up Migration

-- pgvector: scripts/install-pgvector.sh builds it for the local server (bookworm ships no package of it).
CREATE EXTENSION IF NOT EXISTS vector;

-- Sentence embeddings (all-MiniLM-L6-v2: 384 dimensions, unit length) of request inputs, written when retraining
-- deduplicates its candidates: a retried dedup re-reads them instead of re-encoding, and marking examples used
-- copies them into phase4_training_data without passing vectors through workflow history.
CREATE TABLE example_embeddings (
  request_id uuid PRIMARY KEY REFERENCES inference_requests (request_id),
  embedding  vector(384) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The examples a model has already learned from, searched by cosine distance for near-duplicates of new ones.
ALTER TABLE phase4_training_data ADD COLUMN embedding vector(384);
CREATE INDEX phase4_training_data_embedding ON phase4_training_data USING hnsw (embedding vector_cosine_ops);

-- Selection scans one model's requests of the last 7 days; the degradation check one model's feedback of the
-- last week. The existing (model_id, version, at) indexes cannot serve a range over all versions of a model.
CREATE INDEX inference_requests_model_at ON inference_requests (model_id, at);
CREATE INDEX feedback_model_at ON feedback (model_id, at);

-- Down Migration

DROP INDEX feedback_model_at;
DROP INDEX inference_requests_model_at;
DROP INDEX phase4_training_data_embedding;
ALTER TABLE phase4_training_data DROP COLUMN embedding;
DROP TABLE example_embeddings;
DROP EXTENSION vector;
