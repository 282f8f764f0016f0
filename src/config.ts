import path from 'node:path';
import { z } from 'zod';
import { defined } from './platform/defined.js';

/**
 * The one place that reads the environment. Every other module receives a Config (or a slice of it),
 * so tests can build one without touching process.env.
 */
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

export const configSchema = z.object({
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default('postgres://postgres@127.0.0.1:5432/learnloop'),
  ROUTER_HOST: z.string().min(1).default('127.0.0.1'),
  ROUTER_PORT: port(8080),
  ROUTER_MAX_BUFFERED_ROWS: z.coerce.number().int().min(1).default(100_000),
  ROUTER_MAX_BUFFERED_MB: z.coerce.number().int().min(1).default(256),
  ROUTER_BATCH_ROWS: z.coerce.number().int().min(1).max(10_000).default(1_000),
  ROUTER_FLUSH_INTERVAL_MS: z.coerce.number().int().min(1).default(100),
  ROUTER_FEEDBACK_FLUSH_MS: z.coerce.number().int().min(0).default(10),
  ROUTER_MAX_BODY_KB: z.coerce
    .number()
    .int()
    .min(1)
    .max(1024 * 1024)
    .default(1024),
  ROUTER_WEIGHTS_RESYNC_MS: z.coerce.number().int().min(100).default(10_000),
  ROUTER_SAMPLING_TEMPERATURE: z.coerce.number().min(0).max(10).default(0),
  LEARNLOOP_API_TOKEN: optionalString,
  LEARNLOOP_HOME: z.string().min(1).default('.learnloop'),
  LEARNLOOP_ARTIFACT_DIR: optionalString,
  LEARNLOOP_ALERT_WEBHOOK_URL: z.url().optional(),
  ROLLOUT_METRICS_LAG_MS: z.coerce.number().int().min(0).default(5_000),
  LEARNLOOP_TRAINER_COMMAND: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text.trim() === '') return undefined;
      try {
        return z.array(z.string().min(1)).min(1).parse(JSON.parse(text));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array of strings, e.g. ["python3","train.py"]' });
        return z.NEVER;
      }
    }),
  /** Unset: each trainer's default (src/training/fine-tune.ts:defaultLearningRate): 1e-6 command, 3e-3 tfjs. */
  LEARNLOOP_TRAINING_LR: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce.number().gt(0).max(1).optional(),
  ),
  LEARNLOOP_SCHEDULE_TIMEZONE: z.string().min(1).default('UTC'),
  LEARNLOOP_ROUTER_URL: z.url().optional(),
  LEARNLOOP_CYCLE_TRAFFIC: z.enum(['simulated', 'none']).default('simulated'),
  LEARNLOOP_VECTOR_INDEX: z.enum(['auto', 'off']).default('auto'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  temporal: { address?: string; namespace: string; port: number; uiPort: number };
  databaseUrl: string;
  router: {
    host: string;
    port: number;
    /** Request + feedback rows held in memory while PostgreSQL is slow or down; past either bound the router answers 503. */
    maxBufferedRows: number;
    maxBufferedBytes: number;
    /** Rows per INSERT; a batch is written when this many are waiting or every flushIntervalMs. */
    batchRows: number;
    flushIntervalMs: number;
    /** Group-commit window: feedback is answered once committed, and a waiting feedback row has its batch written within this. */
    feedbackFlushMs: number;
    /** Largest JSON request body a route reads; bigger ones are answered 413 unread (CI reports have their own 10 MiB). */
    maxBodyBytes: number;
    /** Full re-read of routing_weights, the safety net under LISTEN/NOTIFY. */
    weightsResyncMs: number;
    /** 0 serves the most likely label; above 0 samples labels, so a weak model still yields passing outputs to learn from. */
    samplingTemperature: number;
  };
  apiToken?: string;
  home: string;
  artifactDir: string;
  modelDir: string;
  alertWebhookUrl?: string;
  training: {
    /** A user's own training program (the `command` trainer, src/training/command-trainer.md); tfjs when unset. */
    command?: string[];
    /**
     * Every run's learning rate, whatever the trainer. Unset: the trainer's default, the specs' 1e-6 for a `command`
     * trainer (an upstream LLM) and 3e-3 for the tfjs reference head, which needs far more (README, "Retraining").
     */
    learningRate?: number;
  };
  /** IANA time zone of the retraining schedules (weekly Sunday 02:00, daily 03:00). */
  scheduleTimeZone: string;
  rollout: {
    /**
     * A health-check window ends this long before the check: the router writes rows in batches, so the newest
     * second of feedback may not be in PostgreSQL yet, and a row must not miss both its windows.
     */
    metricsLagMs: number;
  };
  learning: {
    /** The router the learning cycle deploys applications behind (default: this configuration's router). */
    routerUrl: string;
    /**
     * `simulated`: each monitoring check first sends its window of simulated users' requests through the router;
     * `none`: checks only read what real clients sent since the previous check.
     */
    traffic: 'simulated' | 'none';
  };
  /**
   * `auto`: deduplication searches pgvector's HNSW index where the server has the extension (src/db/vector-index.ts
   * creates it at start); `off`: it compares embeddings exactly even there.
   */
  vectorIndex: 'auto' | 'off';
  logLevel: z.infer<typeof configSchema>['LOG_LEVEL'];
  /** PATH, for finding the pip-installed Temporal binaries. */
  searchPath: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; a bad value throws one line naming the variable and the reason. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const issue = defined(parsed.error.issues[0], 'the first validation issue');
    throw new ConfigError(`invalid configuration: ${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  const home = path.resolve(e.LEARNLOOP_HOME);
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      port: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
    },
    databaseUrl: e.DATABASE_URL,
    router: {
      host: e.ROUTER_HOST,
      port: e.ROUTER_PORT,
      maxBufferedRows: e.ROUTER_MAX_BUFFERED_ROWS,
      maxBufferedBytes: e.ROUTER_MAX_BUFFERED_MB * 1024 * 1024,
      batchRows: e.ROUTER_BATCH_ROWS,
      flushIntervalMs: e.ROUTER_FLUSH_INTERVAL_MS,
      feedbackFlushMs: e.ROUTER_FEEDBACK_FLUSH_MS,
      maxBodyBytes: e.ROUTER_MAX_BODY_KB * 1024,
      weightsResyncMs: e.ROUTER_WEIGHTS_RESYNC_MS,
      samplingTemperature: e.ROUTER_SAMPLING_TEMPERATURE,
    },
    apiToken: e.LEARNLOOP_API_TOKEN,
    home,
    artifactDir: path.resolve(e.LEARNLOOP_ARTIFACT_DIR ?? path.join(home, 'artifacts')),
    modelDir: path.join(home, 'models'),
    alertWebhookUrl: e.LEARNLOOP_ALERT_WEBHOOK_URL,
    rollout: { metricsLagMs: e.ROLLOUT_METRICS_LAG_MS },
    training: { command: e.LEARNLOOP_TRAINER_COMMAND, learningRate: e.LEARNLOOP_TRAINING_LR },
    scheduleTimeZone: e.LEARNLOOP_SCHEDULE_TIMEZONE,
    learning: { routerUrl: e.LEARNLOOP_ROUTER_URL ?? `http://${e.ROUTER_HOST}:${e.ROUTER_PORT}`, traffic: e.LEARNLOOP_CYCLE_TRAFFIC },
    vectorIndex: e.LEARNLOOP_VECTOR_INDEX,
    logLevel: e.LOG_LEVEL,
    searchPath: env.PATH ?? '',
  };
}

/** Environment variable names the configuration knows (docker-compose.yml is checked against them). */
export const knownEnvironmentVariables: readonly string[] = Object.keys(configSchema.shape);
