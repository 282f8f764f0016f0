-- Up Migration

-- Databases migrated before pgvector became optional store embeddings as vector(384), with an HNSW index on the
-- column. Those columns become the real[] that 1764100000000_retraining now creates, in place and with their
-- values; the start-up step (src/db/vector-index.ts) then builds its index over embedding::vector(384). On a
-- database created by the current migrations the columns are real[] already and nothing happens here: the check
-- reads the column types from the catalog, so this runs with or without the extension.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['example_embeddings', 'phase4_training_data'] LOOP
    IF EXISTS (
      SELECT 1 FROM pg_attribute
      WHERE attrelid = to_regclass(t) AND attname = 'embedding' AND NOT attisdropped
        AND format_type(atttypid, atttypmod) LIKE 'vector%'
    ) THEN
      IF t = 'phase4_training_data' THEN
        -- The old index is on the vector column itself; it cannot survive the type change.
        DROP INDEX IF EXISTS phase4_training_data_embedding;
      END IF;
      EXECUTE format('ALTER TABLE %I ALTER COLUMN embedding TYPE real[] USING embedding::real[]', t);
      EXECUTE format(
        'ALTER TABLE %I ADD CONSTRAINT %I CHECK (array_ndims(embedding) = 1 AND cardinality(embedding) = 384 AND array_position(embedding, NULL) IS NULL)',
        t, t || '_embedding_384');
    END IF;
  END LOOP;
END
$$;

-- Exact deduplication (no pgvector) reads one model's used embeddings; without this it reads every model's.
CREATE INDEX phase4_training_data_model ON phase4_training_data (model_id);

-- Down Migration

DROP INDEX phase4_training_data_model;
-- The columns stay real[]: that is also what 1764100000000_retraining creates, whose own down migration drops them.
