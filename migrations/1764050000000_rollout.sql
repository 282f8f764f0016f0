-- Up Migration

-- One canaryRollout per model at a time, whatever its workflow id: the row is taken when a rollout starts and
-- given back when it ends. A holder that Temporal no longer runs (terminated) is taken over by the next rollout.
CREATE TABLE rollout_locks (
  model_id    text PRIMARY KEY REFERENCES models (model_id),
  workflow_id text NOT NULL,
  run_key     text NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now()
);

-- Every health check a rollout made, as the operator saw it in `progress`; (run_key, check_no) makes a retried
-- recordCheck a no-op. run_key is the workflow's first run id, so a continued-as-new rollout keeps numbering.
CREATE TABLE rollout_checks (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_id     text NOT NULL REFERENCES models (model_id),
  workflow_id  text NOT NULL,
  run_key      text NOT NULL,
  check_no     integer NOT NULL CHECK (check_no >= 1),
  stage        integer NOT NULL,
  percent      integer NOT NULL,
  decision     text NOT NULL CHECK (decision IN ('pass', 'fail', 'insufficient_data')),
  reasons      jsonb NOT NULL DEFAULT '[]'::jsonb,
  candidate    jsonb NOT NULL,
  baseline     jsonb,
  sequential   jsonb,
  at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE (run_key, check_no)
);
CREATE INDEX rollout_checks_workflow ON rollout_checks (workflow_id, at);

-- Down Migration

DROP TABLE rollout_checks;
DROP TABLE rollout_locks;
