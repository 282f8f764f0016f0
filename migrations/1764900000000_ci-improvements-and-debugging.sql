-- Up Migration

-- Spec 002's integrate_with_pipeline: each failed stage of a CI event (build, tests, quality gates, static analysis)
-- yields one improvement record, applied to the event's context in the same transaction as its learning step. The
-- event (ci_events.feedback: every stage, deployment and production metrics included) and these rows are the
-- feedback history.
CREATE TABLE ci_improvements (
  event_id          text NOT NULL REFERENCES ci_events (event_id),
  position          smallint NOT NULL CHECK (position >= 0),
  type              text NOT NULL CHECK (type IN ('build_failure', 'test_failure', 'quality_gate', 'static_analysis')),
  issues            jsonb NOT NULL,
  context_additions jsonb NOT NULL,
  evidence          jsonb NOT NULL,
  -- The constraint the improvement was written into; null when the context had no room left.
  constraint_id     text,
  PRIMARY KEY (event_id, position)
);

-- Debugging sessions the learner ran on a stack trace (ciFeedback's step for an event that came with one): the
-- error's signature, what was done (a fix learned, a recurrence charged, a fix recommended) and the context version
-- it wrote, if any. One per session id (the CI event id), so a retried step does nothing twice.
CREATE TABLE debugging_sessions (
  session_id      text PRIMARY KEY CHECK (length(session_id) BETWEEN 1 AND 200),
  context_id      text,
  signature       jsonb NOT NULL,
  outcome         text NOT NULL CHECK (outcome IN ('learned', 'recommended', 'no_pattern')),
  fix_type        text,
  confidence      double precision,
  recurrences     integer NOT NULL DEFAULT 0 CHECK (recurrences >= 0),
  context_version integer,
  steps           jsonb NOT NULL DEFAULT '[]'::jsonb,
  at              timestamptz NOT NULL DEFAULT now()
);

-- Down Migration

DROP TABLE debugging_sessions;
DROP TABLE ci_improvements;
