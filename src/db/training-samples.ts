import type { Db } from './pool.js';

/** One improvement a cycle applied, as the feedback trainer learns from it. */
export interface TrainingSampleRecord {
  application: string;
  fromVersion: number;
  toVersion: number;
  improvementKey: string;
  input: string;
  output: string;
  completenessGain: number;
  clarityGain: number;
  incidentsAddressed: number;
  weight: number;
}

/** A cycle's samples, each once however often the refine phase runs. */
export async function insertTrainingSamples(db: Db, cycleId: string, samples: readonly TrainingSampleRecord[]): Promise<void> {
  if (samples.length === 0) return;
  await db.query(
    `INSERT INTO learning_training_samples (cycle_id, application, improvement_key, from_version, to_version, input, output, weight,
                                            completeness_gain, clarity_gain, incidents_addressed)
     SELECT $1, x.application, x."improvementKey", x."fromVersion", x."toVersion", x.input, x.output, x.weight,
            x."completenessGain", x."clarityGain", x."incidentsAddressed"
       FROM jsonb_to_recordset($2::jsonb) AS x(application text, "improvementKey" text, "fromVersion" integer, "toVersion" integer,
                                               input text, output text, weight double precision, "completenessGain" double precision,
                                               "clarityGain" double precision, "incidentsAddressed" integer)
     ON CONFLICT (cycle_id, application, improvement_key) DO NOTHING`,
    [cycleId, JSON.stringify(samples)],
  );
}

export interface StoredTrainingSample {
  application: string;
  improvementKey: string;
  input: string;
  output: string;
  weight: number;
}

export async function readTrainingSamples(db: Db, cycleId: string): Promise<StoredTrainingSample[]> {
  const { rows } = await db.query<StoredTrainingSample>(
    `SELECT application, improvement_key AS "improvementKey", input, output, weight
       FROM learning_training_samples WHERE cycle_id = $1 ORDER BY application, improvement_key`,
    [cycleId],
  );
  return rows;
}
