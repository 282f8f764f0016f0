-- Up Migration

-- Versioned requirements documents per application; a refinement adds the next version, never rewrites one.
CREATE TABLE requirements (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  application text NOT NULL CHECK (application ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  version     integer NOT NULL CHECK (version >= 1),
  document    jsonb NOT NULL,
  -- The cycle whose refinement produced it; null for documents written by people.
  cycle_id    text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (application, version)
);

-- One learningCycle run (its workflow id); the report is written when it ends.
CREATE TABLE learning_cycles (
  id           text PRIMARY KEY,
  input        jsonb NOT NULL,
  status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'aborted')),
  abort_reason text,
  report       jsonb,
  started_at   timestamptz NOT NULL DEFAULT now(),
  ended_at     timestamptz
);

-- What a cycle deployed: each variant of each application, against the requirements version it serves.
CREATE TABLE learning_deployments (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  cycle_id             text NOT NULL REFERENCES learning_cycles (id),
  application          text NOT NULL,
  variant              text NOT NULL,
  requirements_version integer NOT NULL,
  baseline             boolean NOT NULL,
  status               text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'aborted')),
  created_at           timestamptz NOT NULL DEFAULT now(),
  ended_at             timestamptz,
  UNIQUE (cycle_id, application, variant),
  FOREIGN KEY (application, requirements_version) REFERENCES requirements (application, version)
);

-- Requests the simulated applications served during a cycle, as the monitors read them; ids are derived from
-- the cycle, check and request number, so a retried check writes each request once.
CREATE TABLE application_requests (
  request_id  uuid PRIMARY KEY,
  cycle_id    text NOT NULL REFERENCES learning_cycles (id),
  check_no    integer NOT NULL,
  application text NOT NULL,
  variant     text NOT NULL,
  endpoint    text NOT NULL,
  input       jsonb NOT NULL,
  status      text NOT NULL CHECK (status IN ('ok', 'handled_error', 'error')),
  output      jsonb,
  error       text,
  latency_ms  real NOT NULL,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_requests_cycle_check ON application_requests (cycle_id, check_no);

-- Each monitor evaluation of a deployment: what the performance tracker scores.
CREATE TABLE learning_checks (
  cycle_id             text NOT NULL REFERENCES learning_cycles (id),
  check_no             integer NOT NULL,
  application          text NOT NULL,
  variant              text NOT NULL,
  requirements_version integer NOT NULL,
  metrics              jsonb NOT NULL,
  incidents_opened     integer NOT NULL,
  at                   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cycle_id, check_no, application, variant)
);

-- A tripped monitor. idempotency_key (cycle, check, deployment, monitor) opens it once however often the check
-- activity is retried; analysis is filled in by the analyze phase.
CREATE TABLE incidents (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  idempotency_key      text NOT NULL UNIQUE,
  cycle_id             text NOT NULL REFERENCES learning_cycles (id),
  check_no             integer NOT NULL,
  application          text NOT NULL,
  variant              text NOT NULL,
  requirements_version integer NOT NULL,
  type                 text NOT NULL CHECK (type IN ('error_rate', 'latency', 'contract_violation', 'behavioral_deviation')),
  value                double precision NOT NULL,
  threshold            double precision NOT NULL,
  request_ids          uuid[] NOT NULL,
  details              jsonb NOT NULL DEFAULT '{}'::jsonb,
  analysis             jsonb,
  opened_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incidents_cycle ON incidents (cycle_id, opened_at);

-- Down Migration

DROP TABLE incidents;
DROP TABLE learning_checks;
DROP TABLE application_requests;
DROP TABLE learning_deployments;
DROP TABLE learning_cycles;
DROP TABLE requirements;
