import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { archiveVersion } from '../src/db/model-versions.js';
import { withTransaction } from '../src/db/pool.js';
import {
  acquireRolloutLock,
  applyDeploymentStep,
  insertRolloutCheck,
  recordRollback,
  releaseRolloutLock,
  takeOverRolloutLock,
  type CheckRecord,
  type DbTime,
} from '../src/db/rollouts.js';
import { readCheckWindows, readVersionMetrics } from '../src/db/version-metrics.js';
import { ModelRegistry } from '../src/models/registry.js';
import type { VersionMetrics } from '../src/rollout/metrics.js';
import { activityLogger } from './activity-logger.js';
import type { ActivityDeps } from './deps.js';

export interface RolloutRef {
  workflowId: string;
  /** The rollout's first run id: the same across continue-as-new, new for `rollout retry`. */
  runKey: string;
  modelId: string;
  candidateVersion: string;
}

export interface TrafficStep extends RolloutRef {
  baselineVersion: string;
  /** Names the step in its idempotency key: "stage-0", "rollback", "promote". */
  step: string;
  candidatePercent: number;
  eventType: 'stage' | 'rollback' | 'promoted';
  details: Record<string, unknown>;
}

export interface AlertInput {
  level: 'error' | 'warn';
  event: 'rolled_back' | 'aborted' | 'paused' | 'cancelled';
  workflowId: string;
  modelId: string;
  candidateVersion: string;
  message: string;
  details?: Record<string, unknown>;
}

const WEBHOOK_TIMEOUT_MS = 10_000;

/** Activities of canaryRollout: every read and write of the rollout, each safe to run twice. */
export function createRolloutActivities({ pool, logger, config }: ActivityDeps) {
  const registry = new ModelRegistry(pool, config.artifactDir);
  const log = activityLogger(logger);

  const post = async (url: string, payload: unknown): Promise<Response> =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });

  const applyTraffic = (s: TrafficStep) =>
    applyDeploymentStep(pool, {
      idempotencyKey: `${s.workflowId}/${s.runKey}/${s.step}`,
      modelId: s.modelId,
      version: s.candidateVersion,
      eventType: s.eventType,
      workflowId: s.workflowId,
      details: { ...s.details, step: s.step, baselineVersion: s.baselineVersion },
      weights: { [s.candidateVersion]: s.candidatePercent, [s.baselineVersion]: 100 - s.candidatePercent },
      changedBy: `rollout ${s.workflowId}`,
    });

  return {
    /**
     * Checks the versions, resolves the baseline (production's alias when none is given), takes the model's rollout
     * lock and marks the candidate `canary`. Refusals are non-retryable: retrying cannot make them true.
     */
    async beginRollout(input: RolloutRef & { baselineVersion?: string }): Promise<{ baselineVersion: string }> {
      const candidate = await registry.find(input.modelId, input.candidateVersion);
      if (!candidate) {
        throw ApplicationFailure.nonRetryable(
          `candidateVersion: ${input.modelId}@${input.candidateVersion} is not registered`,
          'InvalidRolloutInput',
        );
      }
      if (candidate.status === 'production') {
        throw ApplicationFailure.nonRetryable(
          `candidateVersion: ${input.modelId}@${input.candidateVersion} is already production`,
          'InvalidRolloutInput',
        );
      }
      const baselineVersion = input.baselineVersion ?? (await registry.aliases(input.modelId)).production;
      if (baselineVersion === undefined) {
        throw ApplicationFailure.nonRetryable(
          `baselineVersion: ${input.modelId} has no production version to roll out against; give baselineVersion`,
          'InvalidRolloutInput',
        );
      }
      if (baselineVersion === input.candidateVersion) {
        throw ApplicationFailure.nonRetryable(
          `candidateVersion: ${input.candidateVersion} is the production version already`,
          'InvalidRolloutInput',
        );
      }
      if (!(await registry.find(input.modelId, baselineVersion))) {
        throw ApplicationFailure.nonRetryable(
          `baselineVersion: ${input.modelId}@${baselineVersion} is not registered`,
          'InvalidRolloutInput',
        );
      }

      const lock = { modelId: input.modelId, workflowId: input.workflowId, runKey: input.runKey };
      const taken = await acquireRolloutLock(pool, lock);
      if (!taken.acquired) {
        const { holder } = taken;
        if (await isRunning(holder.workflowId, holder.runKey)) {
          throw ApplicationFailure.nonRetryable(
            `${input.modelId} already has a rollout running: ${holder.workflowId} (since ${holder.acquiredAt}); abort it or wait for it to finish`,
            'RolloutAlreadyRunning',
          );
        }
        if (!(await takeOverRolloutLock(pool, { ...lock, fromRunKey: holder.runKey }))) {
          throw ApplicationFailure.retryable(`${input.modelId}'s rollout lock changed hands while taking it over`);
        }
        log().warn({ previous: holder.workflowId }, 'took over the rollout lock of a rollout that no longer runs');
      }
      await registry.setStatus(input.modelId, input.candidateVersion, 'canary');
      log().info({ modelId: input.modelId, candidate: input.candidateVersion, baseline: baselineVersion }, 'rollout begins');
      return { baselineVersion };
    },

    /** Sets candidate/baseline weights and records the step, once per step however often it is retried. */
    async setRouteWeights(step: TrafficStep): Promise<{ at: DbTime; applied: boolean }> {
      const result = await applyTraffic(step);
      log().info({ step: step.step, candidatePercent: step.candidatePercent, applied: result.applied }, 'routing weights set');
      return result;
    },

    /** Each version's metrics since `since` (exclusive) up to now minus the metrics lag; `until` starts the next window. */
    async collectVersionMetrics(input: {
      modelId: string;
      versions: string[];
      since: DbTime;
    }): Promise<{ until: DbTime; metrics: VersionMetrics[] }> {
      return readVersionMetrics(pool, { ...input, lagMs: config.rollout.metricsLagMs });
    },

    /**
     * A health check's reads, both ending now minus the metrics lag: each version over the last `windowMs` (not before
     * `notBefore`), and over (since, until] for the sequential test; `until` is the next check's `since`.
     */
    async collectCheckMetrics(input: {
      modelId: string;
      versions: string[];
      since: DbTime;
      windowMs: number;
      notBefore: DbTime;
    }): Promise<{ until: DbTime; window: VersionMetrics[]; sinceLastCheck: VersionMetrics[] }> {
      return readCheckWindows(pool, { ...input, lagMs: config.rollout.metricsLagMs });
    },

    async recordCheck(record: CheckRecord): Promise<void> {
      await insertRolloutCheck(pool, record);
    },

    /**
     * The specs' procedure, in this order: candidate to 0% and baseline to 100% (traffic first, so users are safe
     * even if the rest fails and is retried), then the candidate marked `failed` (or back to `registered` after an
     * abort) with its archival recorded, then the rollback_events row with the metrics that triggered it.
     * The artifact's bytes stay in the content-addressed store: another version may share them.
     */
    async rollback(step: TrafficStep & { reason: string; metrics: Record<string, unknown>; aborted: boolean }): Promise<void> {
      await applyTraffic({ ...step, candidatePercent: 0, eventType: 'rollback' });
      await withTransaction(pool, async (c) => {
        await archiveVersion(c, {
          modelId: step.modelId,
          version: step.candidateVersion,
          status: step.aborted ? 'registered' : 'failed',
          reason: step.reason,
          workflowId: step.workflowId,
        });
        await recordRollback(c, {
          idempotencyKey: `${step.workflowId}/${step.runKey}/rollback`,
          modelId: step.modelId,
          fromVersion: step.candidateVersion,
          toVersion: step.baselineVersion,
          reason: step.reason,
          metrics: step.metrics,
          workflowId: step.workflowId,
        });
      });
      log().info({ candidate: step.candidateVersion, baseline: step.baselineVersion, reason: step.reason }, 'rolled back to the baseline');
    },

    /** Candidate to 100% and `production` (alias moved, with its event), baseline `archived`. */
    async promote(step: TrafficStep): Promise<void> {
      await applyTraffic({ ...step, candidatePercent: 100, eventType: 'promoted' });
      await registry.setAlias(step.modelId, 'production', step.candidateVersion, {
        changedBy: `rollout ${step.workflowId}`,
        reason: 'canary rollout promoted',
      });
      await registry.setStatus(step.modelId, step.candidateVersion, 'production');
      await registry.setStatus(step.modelId, step.baselineVersion, 'archived');
      log().info({ candidate: step.candidateVersion, baseline: step.baselineVersion }, 'candidate promoted');
    },

    async releaseRollout(ref: { modelId: string; runKey: string }): Promise<void> {
      await releaseRolloutLock(pool, ref);
    },

    /** A gate webhook (preRollout, confirmPromotion): anything but a 2xx answer fails, and the retry policy retries. */
    async callWebhook(input: { name: string; url: string; payload: Record<string, unknown> }): Promise<{ status: number }> {
      const res = await post(input.url, { webhook: input.name, ...input.payload });
      await res.body?.cancel();
      if (res.status < 200 || res.status > 299) {
        throw ApplicationFailure.retryable(`${input.name} webhook answered ${res.status}`, 'WebhookRefused');
      }
      return { status: res.status };
    },

    /** The operator's page: a pino line always, and a POST to LEARNLOOP_ALERT_WEBHOOK_URL when it is set. */
    async sendAlert(alert: AlertInput): Promise<void> {
      const l = log();
      l[alert.level]({ alert: alert.event, modelId: alert.modelId, candidate: alert.candidateVersion, ...alert.details }, alert.message);
      if (!config.alertWebhookUrl) return;
      const res = await post(config.alertWebhookUrl, alert);
      await res.body?.cancel();
      if (!res.ok) throw ApplicationFailure.retryable(`alert webhook answered ${res.status}`, 'AlertNotDelivered');
    },
  };

  /** Whether Temporal still runs the lock holder; a terminated or timed-out rollout leaves its lock behind. */
  async function isRunning(workflowId: string, firstRunId: string): Promise<boolean> {
    try {
      const description = await Context.current().client.workflow.getHandle(workflowId).describe();
      const sameRollout = description.raw.workflowExecutionInfo?.firstRunId === firstRunId;
      return sameRollout && description.status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }
}

export type RolloutActivities = ReturnType<typeof createRolloutActivities>;
