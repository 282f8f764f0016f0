-- Up Migration

-- Context documents (prompt template, examples, constraints, learning state), versioned: a change is a new row,
-- so what produced any past output can be read back.
CREATE TABLE contexts (
  context_id text NOT NULL CHECK (context_id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$'),
  version    integer NOT NULL CHECK (version >= 1),
  document   jsonb NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (context_id, version)
);

-- Which context served a request (a variant is a model version and a context), and the CPU time and memory the
-- serving process measured for it; null where a router does not record them.
ALTER TABLE inference_requests
  ADD COLUMN context_id text,
  ADD COLUMN context_version integer,
  ADD COLUMN cpu_ms real,
  ADD COLUMN memory_bytes bigint;

-- One row per abTest workflow (id = workflow id). A variant is {"version", "contextId", "contextVersion"}.
CREATE TABLE ab_tests (
  id            text PRIMARY KEY,
  model_id      text NOT NULL REFERENCES models (model_id),
  variant_a     jsonb NOT NULL,
  variant_b     jsonb NOT NULL,
  traffic_split integer NOT NULL CHECK (traffic_split BETWEEN 1 AND 99),
  alpha         real NOT NULL CHECK (alpha > 0 AND alpha < 1),
  status        text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'winner', 'inconclusive', 'aborted')),
  winner        text CHECK (winner IN ('A', 'B')),
  analysis      jsonb,
  started_at    timestamptz NOT NULL DEFAULT now(),
  ended_at      timestamptz,
  CHECK ((status = 'winner') = (winner IS NOT NULL))
);

-- A variant's metrics over one snapshot interval; the key makes a retried snapshot activity keep the first reading.
CREATE TABLE ab_test_snapshots (
  ab_test_id   text NOT NULL REFERENCES ab_tests (id),
  snapshot_no  integer NOT NULL CHECK (snapshot_no >= 1),
  variant      text NOT NULL CHECK (variant IN ('A', 'B')),
  window_start timestamptz NOT NULL,
  window_end   timestamptz NOT NULL,
  metrics      jsonb NOT NULL,
  at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ab_test_id, snapshot_no, variant)
);

-- The context library: contexts that won an A/B test, with the test that proved them (a test promotes once).
CREATE TABLE promoted_strategies (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  context_id      text NOT NULL,
  context_version integer NOT NULL,
  model_id        text NOT NULL REFERENCES models (model_id),
  ab_test_id      text NOT NULL UNIQUE REFERENCES ab_tests (id),
  evidence        jsonb NOT NULL,
  promoted_at     timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (context_id, context_version) REFERENCES contexts (context_id, version)
);
CREATE INDEX promoted_strategies_model ON promoted_strategies (model_id, promoted_at);

-- CI/CD events (JUnit, SARIF, the JSON envelope) as normalised feedback. The event id is the key: a redelivered
-- webhook finds its row and is processed once.
CREATE TABLE ci_events (
  event_id     text PRIMARY KEY CHECK (length(event_id) BETWEEN 1 AND 200),
  context_id   text NOT NULL,
  task         text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('junit', 'sarif', 'envelope')),
  feedback     jsonb NOT NULL,
  status       text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'processed', 'failed')),
  error        text,
  received_at  timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz
);
CREATE INDEX ci_events_context ON ci_events (context_id, received_at);

-- Each learning step on a context: the documents before and after, the gradient, and the measured improvement
-- (this event's score minus the previous event's for the same context). One per CI event.
CREATE TABLE context_updates (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id          text NOT NULL UNIQUE REFERENCES ci_events (event_id),
  context_id        text NOT NULL,
  from_version      integer NOT NULL,
  to_version        integer NOT NULL,
  before            jsonb NOT NULL,
  after             jsonb NOT NULL,
  gradient          jsonb NOT NULL,
  added_constraints jsonb NOT NULL DEFAULT '[]'::jsonb,
  score             double precision,
  improvement       double precision,
  at                timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (context_id, from_version) REFERENCES contexts (context_id, version),
  FOREIGN KEY (context_id, to_version) REFERENCES contexts (context_id, version)
);
CREATE INDEX context_updates_context ON context_updates (context_id, at);

-- Debugging patterns: an error signature and the fix that was applied for it, with the cases it was learned from
-- and how often the error came back afterwards.
CREATE TABLE debug_patterns (
  signature_hash text NOT NULL,
  fix_type       text NOT NULL,
  signature      jsonb NOT NULL,
  context_change jsonb NOT NULL DEFAULT '{}'::jsonb,
  cases          jsonb NOT NULL DEFAULT '[]'::jsonb,
  applied        integer NOT NULL DEFAULT 0 CHECK (applied >= 0),
  recurred       integer NOT NULL DEFAULT 0 CHECK (recurred >= 0 AND recurred <= applied),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (signature_hash, fix_type)
);

-- Down Migration

DROP TABLE debug_patterns;
DROP TABLE context_updates;
DROP TABLE ci_events;
DROP TABLE promoted_strategies;
DROP TABLE ab_test_snapshots;
DROP TABLE ab_tests;
ALTER TABLE inference_requests DROP COLUMN context_id, DROP COLUMN context_version, DROP COLUMN cpu_ms, DROP COLUMN memory_bytes;
DROP TABLE contexts;
