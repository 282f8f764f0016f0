-- Up Migration

-- The feedback trainer's samples: one per improvement a cycle applied, weighted by what it gained. Written in the
-- refine phase's transaction with the requirements versions they come from, read by the trainer of a retrainModel
-- the cycle starts; the key makes a retried refine phase write each sample once.
CREATE TABLE learning_training_samples (
  cycle_id            text NOT NULL REFERENCES learning_cycles (id),
  application         text NOT NULL,
  improvement_key     text NOT NULL,
  from_version        integer NOT NULL,
  to_version          integer NOT NULL,
  input               text NOT NULL,
  output              text NOT NULL,
  weight              double precision NOT NULL CHECK (weight > 0),
  completeness_gain   double precision NOT NULL,
  clarity_gain        double precision NOT NULL,
  incidents_addressed integer NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cycle_id, application, improvement_key)
);

-- A retraining a learning cycle started, and which cycle's samples it trained with.
ALTER TABLE training_runs DROP CONSTRAINT training_runs_trigger_check;
ALTER TABLE training_runs ADD CONSTRAINT training_runs_trigger_check
  CHECK (trigger IN ('weekly', 'degradation', 'data_threshold', 'manual', 'learning_cycle'));
ALTER TABLE training_runs ADD COLUMN learning_cycle_id text REFERENCES learning_cycles (id);

-- Down Migration

ALTER TABLE training_runs DROP COLUMN learning_cycle_id;
ALTER TABLE training_runs DROP CONSTRAINT training_runs_trigger_check;
ALTER TABLE training_runs ADD CONSTRAINT training_runs_trigger_check
  CHECK (trigger IN ('weekly', 'degradation', 'data_threshold', 'manual'));
DROP TABLE learning_training_samples;
