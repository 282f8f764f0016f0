-- Up Migration

CREATE TABLE models (
  model_id    text PRIMARY KEY CHECK (model_id ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  description text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE model_versions (
  model_id     text NOT NULL REFERENCES models (model_id),
  version      text NOT NULL CHECK (version ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
  artifact_uri text NOT NULL,
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  status       text NOT NULL DEFAULT 'registered'
               CHECK (status IN ('registered', 'canary', 'production', 'archived', 'failed')),
  metrics      jsonb NOT NULL DEFAULT '{}'::jsonb,
  metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model_id, version)
);

-- MLflow-style aliases (production, canary, user-defined); moved only together with a model_alias_events row.
CREATE TABLE model_aliases (
  model_id   text NOT NULL,
  alias      text NOT NULL CHECK (alias ~ '^[a-z][a-z0-9_-]{0,62}$'),
  version    text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model_id, alias),
  FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version)
);

CREATE TABLE model_alias_events (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_id     text NOT NULL REFERENCES models (model_id),
  alias        text NOT NULL,
  from_version text,
  to_version   text,
  changed_by   text NOT NULL,
  reason       text NOT NULL DEFAULT '',
  at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX model_alias_events_model_at ON model_alias_events (model_id, at);

-- Every step a deployment takes; idempotency_key (workflow id + step) makes a retried write land once.
CREATE TABLE deployment_events (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_id        text NOT NULL REFERENCES models (model_id),
  version         text NOT NULL,
  event_type      text NOT NULL,
  workflow_id     text,
  idempotency_key text UNIQUE,
  details         jsonb NOT NULL DEFAULT '{}'::jsonb,
  at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deployment_events_model_at ON deployment_events (model_id, at);

CREATE TABLE rollback_events (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_id        text NOT NULL REFERENCES models (model_id),
  from_version    text NOT NULL,
  to_version      text NOT NULL,
  reason          text NOT NULL,
  metrics         jsonb NOT NULL DEFAULT '{}'::jsonb,
  workflow_id     text,
  idempotency_key text UNIQUE,
  at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rollback_events_model_at ON rollback_events (model_id, at);

CREATE TABLE training_runs (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_id          text NOT NULL REFERENCES models (model_id),
  workflow_id       text UNIQUE,
  trigger           text NOT NULL CHECK (trigger IN ('weekly', 'degradation', 'data_threshold', 'manual')),
  status            text NOT NULL DEFAULT 'running'
                    CHECK (status IN ('running', 'skipped', 'rejected', 'deployed', 'failed', 'cancelled')),
  base_version      text,
  candidate_version text,
  examples_selected integer,
  examples_after_dedup integer,
  epochs_run        integer,
  losses            jsonb NOT NULL DEFAULT '[]'::jsonb,
  metrics           jsonb NOT NULL DEFAULT '{}'::jsonb,
  backend           text,
  started_at        timestamptz NOT NULL DEFAULT now(),
  ended_at          timestamptz
);
CREATE INDEX training_runs_model_started ON training_runs (model_id, started_at);

CREATE TABLE inference_requests (
  request_id uuid PRIMARY KEY,
  model_id   text NOT NULL,
  version    text NOT NULL,
  user_key   text,
  input      jsonb NOT NULL,
  output     jsonb,
  latency_ms real NOT NULL,
  error      text,
  at         timestamptz NOT NULL DEFAULT now()
);
-- The rollout checks and retraining selection read recent rows of one model version.
CREATE INDEX inference_requests_model_version_at ON inference_requests (model_id, version, at);

-- One feedback row per request; model_id/version are copied from the request so window queries need no join.
CREATE TABLE feedback (
  request_id             uuid PRIMARY KEY REFERENCES inference_requests (request_id),
  model_id               text NOT NULL,
  version                text NOT NULL,
  test_pass_rate         real NOT NULL CHECK (test_pass_rate BETWEEN 0 AND 1),
  implementation_variance real NOT NULL CHECK (implementation_variance >= 0),
  latency_ms             real,
  error                  text,
  at                     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feedback_model_version_at ON feedback (model_id, version, at);
CREATE INDEX feedback_quality_at ON feedback (at) WHERE test_pass_rate > 0.75 AND implementation_variance < 0.04;

CREATE TABLE phase4_training_data (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  request_id      uuid NOT NULL UNIQUE REFERENCES inference_requests (request_id),
  model_id        text NOT NULL REFERENCES models (model_id),
  training_run_id uuid REFERENCES training_runs (id),
  input           jsonb NOT NULL,
  output          jsonb NOT NULL,
  quality_score   real NOT NULL,
  used_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE routing_weights (
  model_id   text NOT NULL,
  version    text NOT NULL,
  percent    integer NOT NULL CHECK (percent BETWEEN 0 AND 100),
  changed_by text NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model_id, version),
  FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version)
);

-- Weights of one model sum to 100 (or the model has none): checked at commit, so a transaction may
-- move traffic between versions in several statements.
CREATE FUNCTION routing_weights_sum_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  m text := COALESCE(NEW.model_id, OLD.model_id);
  total bigint;
  n bigint;
BEGIN
  SELECT COALESCE(SUM(percent), 0), COUNT(*) INTO total, n FROM routing_weights WHERE model_id = m;
  IF n > 0 AND total <> 100 THEN
    RAISE EXCEPTION 'routing weights for model % sum to %, not 100', m, total
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER routing_weights_sum
  AFTER INSERT OR UPDATE OR DELETE ON routing_weights
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION routing_weights_sum_check();

-- Router processes LISTEN on this channel and re-read the model's weights.
CREATE FUNCTION routing_weights_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('routing_weights', COALESCE(NEW.model_id, OLD.model_id));
  RETURN NULL;
END $$;

CREATE TRIGGER routing_weights_changed
  AFTER INSERT OR UPDATE OR DELETE ON routing_weights
  FOR EACH ROW EXECUTE FUNCTION routing_weights_notify();

-- Down Migration

DROP TABLE routing_weights;
DROP FUNCTION routing_weights_notify();
DROP FUNCTION routing_weights_sum_check();
DROP TABLE phase4_training_data;
DROP TABLE feedback;
DROP TABLE inference_requests;
DROP TABLE training_runs;
DROP TABLE rollback_events;
DROP TABLE deployment_events;
DROP TABLE model_alias_events;
DROP TABLE model_aliases;
DROP TABLE model_versions;
DROP TABLE models;
