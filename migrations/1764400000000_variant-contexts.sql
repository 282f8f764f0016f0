-- Up Migration

-- A route is a variant: a model version and, optionally, the context version it is given. Two routes of one model
-- may share a version and differ in context (an A/B test of contexts), so the key takes the context in; a route
-- without a context (every route `routes set` writes) has both columns null, and NULLS NOT DISTINCT keeps it unique.
ALTER TABLE routing_weights
  ADD COLUMN context_id text,
  ADD COLUMN context_version integer,
  ADD CONSTRAINT routing_weights_context_pair CHECK ((context_id IS NULL) = (context_version IS NULL)),
  ADD CONSTRAINT routing_weights_context_fk FOREIGN KEY (context_id, context_version) REFERENCES contexts (context_id, version),
  DROP CONSTRAINT routing_weights_pkey,
  ADD CONSTRAINT routing_weights_variant_key UNIQUE NULLS NOT DISTINCT (model_id, version, context_id, context_version);

-- Down Migration

DELETE FROM routing_weights WHERE context_id IS NOT NULL;
ALTER TABLE routing_weights
  DROP CONSTRAINT routing_weights_variant_key,
  ADD PRIMARY KEY (model_id, version),
  DROP CONSTRAINT routing_weights_context_fk,
  DROP CONSTRAINT routing_weights_context_pair,
  DROP COLUMN context_version,
  DROP COLUMN context_id;
