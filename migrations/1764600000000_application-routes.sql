-- Up Migration

-- The learning cycle's applications served behind the router. Every variant of an application answers every
-- request: `percent` is its share of live answers (returned to the caller), the rest it answers in shadow, so the
-- monitors can compare variants on the same inputs. A cycle's deploy phase writes these rows; the router LISTENs.
CREATE TABLE application_routes (
  application          text NOT NULL,
  variant              text NOT NULL,
  percent              integer NOT NULL CHECK (percent BETWEEN 0 AND 100),
  baseline             boolean NOT NULL,
  requirements_version integer NOT NULL,
  cycle_id             text NOT NULL REFERENCES learning_cycles (id),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (application, variant),
  FOREIGN KEY (application, requirements_version) REFERENCES requirements (application, version)
);

CREATE FUNCTION application_routes_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  a text := COALESCE(NEW.application, OLD.application);
  total bigint;
  n bigint;
  baselines bigint;
BEGIN
  SELECT COALESCE(SUM(percent), 0), COUNT(*), COUNT(*) FILTER (WHERE baseline) INTO total, n, baselines
    FROM application_routes WHERE application = a;
  IF n > 0 AND (total <> 100 OR baselines <> 1) THEN
    RAISE EXCEPTION 'application routes for % sum to % with % baselines, not 100 with 1', a, total, baselines
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;

-- Deferred: a deploy replaces an application's rows one by one inside a transaction.
CREATE CONSTRAINT TRIGGER application_routes_valid
  AFTER INSERT OR UPDATE OR DELETE ON application_routes
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION application_routes_check();

CREATE FUNCTION application_routes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('application_routes', COALESCE(NEW.application, OLD.application));
  RETURN NULL;
END $$;

CREATE TRIGGER application_routes_changed
  AFTER INSERT OR UPDATE OR DELETE ON application_routes
  FOR EACH ROW EXECUTE FUNCTION application_routes_notify();

-- What an application's routes were before a cycle deployed it (null: it had none), restored when the cycle aborts.
ALTER TABLE learning_deployments ADD COLUMN previous_routes jsonb;

-- Requests now arrive through the router: a row is one variant's answer (live or shadow) to one client request,
-- and a monitoring check claims the rows that arrived since the previous one (check_no is null until then).
ALTER TABLE application_requests ALTER COLUMN check_no DROP NOT NULL;
ALTER TABLE application_requests ADD COLUMN client_request_id uuid;
ALTER TABLE application_requests ADD COLUMN shadow boolean NOT NULL DEFAULT false;
CREATE INDEX application_requests_unclaimed ON application_requests (cycle_id, application) WHERE check_no IS NULL;

-- Down Migration

DROP INDEX application_requests_unclaimed;
ALTER TABLE application_requests DROP COLUMN shadow;
ALTER TABLE application_requests DROP COLUMN client_request_id;
DELETE FROM application_requests WHERE check_no IS NULL;
ALTER TABLE application_requests ALTER COLUMN check_no SET NOT NULL;
ALTER TABLE learning_deployments DROP COLUMN previous_routes;
DROP TABLE application_routes;
DROP FUNCTION application_routes_notify();
DROP FUNCTION application_routes_check();
