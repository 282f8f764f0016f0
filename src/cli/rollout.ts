import { InvalidArgumentError, type Command } from 'commander';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import prettyMilliseconds from 'pretty-ms';
import { wholeNumber } from './arguments.js';
import { defined } from '../platform/defined.js';
import { parseRolloutInput } from '../rollout/input.js';
import { LearnloopCandidate, LearnloopModel, LearnloopStage, LearnloopState } from '../temporal/search-attributes.js';
import { TASK_QUEUE } from '../temporal/task-queues.js';
import {
  abortSignal,
  canaryRollout,
  pauseSignal,
  progressQuery,
  promoteSignal,
  resumeSignal,
  type RolloutProgress,
  type RolloutResult,
} from '../../workflows/contracts/canary-rollout.js';
import { withTemporalClient } from './temporal-client.js';

export const rolloutWorkflowId = (modelId: string, candidateVersion: string) => `rollout-${modelId}-${candidateVersion}`;

/** "10:6h" → { percent: 10, dwell: "6h" }; "100" → { percent: 100 }; the workflow validates the values. */
function parseStage(value: string, previous: { percent: number; dwell?: string }[] = []) {
  const m = /^(\d+)(?::(.+))?$/.exec(value);
  if (!m) throw new InvalidArgumentError(`"${value}" is not PERCENT[:DWELL], e.g. 10:6h, 50:manual or 100`);
  return [...previous, { percent: Number(m[1]), ...(m[2] ? { dwell: m[2] } : {}) }];
}

function parseThreshold(value: string, previous: Record<string, number> = {}) {
  const m = /^([A-Za-z0-9]+)=([-0-9.eE]+)$/.exec(value);
  if (!m || Number.isNaN(Number(m[2]))) throw new InvalidArgumentError(`"${value}" is not NAME=NUMBER, e.g. minPassRate=0.75`);
  return { ...previous, [defined(m[1], 'the threshold name')]: Number(m[2]) };
}

/** What `rollout start` parses from its options (commander hands them over untyped). */
interface StartOptions {
  baseline?: string;
  stage?: ReturnType<typeof parseStage>;
  checkEvery?: string;
  checkWindow?: string;
  minSamples?: number;
  failureLimit?: number;
  onFailure?: string;
  threshold?: ReturnType<typeof parseThreshold>;
  preRolloutWebhook?: string;
  confirmPromotionWebhook?: string;
  wait?: boolean;
}

const bar = (done: number, total: number, width = 30) => {
  const filled = Math.round((Math.min(done, total) / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
};

const duration = (ms: number) => prettyMilliseconds(Math.max(0, ms), { secondsDecimalDigits: 0, unitCount: 2 });

/** The `progress` query as an operator reads it on a terminal. */
export function renderProgress(id: string, p: RolloutProgress, dwellMs: number | 'manual' | null): string {
  const lines = [
    `${id}  ${p.state.toUpperCase()}  ${p.modelId}: ${p.candidateVersion} against ${p.baselineVersion ?? '(resolving baseline)'}`,
    `stage ${p.stage}/${p.stages}   weights ${p.candidateVersion}=${p.percent} ${p.baselineVersion ?? 'baseline'}=${100 - p.percent}`,
  ];
  if (typeof dwellMs === 'number' && dwellMs > 0 && p.dwellRemainingMs !== null) {
    const done = dwellMs - p.dwellRemainingMs;
    lines.push(`dwell ${bar(done, dwellMs)} ${duration(done)} of ${duration(dwellMs)} (${duration(p.dwellRemainingMs)} left)`);
  } else if (dwellMs === 'manual') {
    lines.push('dwell manual: waits for `learnloop rollout promote`');
  }
  if (p.waitingFor) lines.push(`waiting for ${p.waitingFor}`);
  if (p.nextCheckAt) lines.push(`next check ${p.nextCheckAt}`);
  if (p.reason) lines.push(`reason: ${p.reason}`);
  const shown = p.checks.slice(-5);
  lines.push(`checks: ${p.totalChecks}${shown.length ? ` (last ${shown.length})` : ''}`);
  for (const c of shown) {
    const arm = (m: typeof c.candidate) => (m ? `${m.passRate.toFixed(3)} n=${m.samples}` : '-');
    lines.push(
      `  ${c.at}  ${c.percent}%  ${c.decision.padEnd(17)} candidate ${arm(c.candidate)}  baseline ${arm(c.baseline)}  ${c.reason}`,
    );
  }
  const t = p.thresholds;
  lines.push(
    `thresholds minPassRate=${t.minPassRate} maxVariance=${t.maxVariance} maxErrorRate=${t.maxErrorRate} maxPassRateDrop=${t.maxPassRateDrop} ` +
      `maxVarianceRatio=${t.maxVarianceRatio} maxLatencyP95Ratio=${t.maxLatencyP95Ratio}`,
  );
  return lines.join('\n');
}

/** The input a rollout was started with, read back from its first history event. */
async function startedWith(client: Client, id: string): Promise<{ input: unknown; taskQueue: string }> {
  const history = await client.workflow.getHandle(id).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  if (!started || !payload) throw new Error(`${id} has no recorded input`);
  return { input: defaultPayloadConverter.fromPayload(payload), taskQueue: started.taskQueue?.name ?? TASK_QUEUE };
}

/** The dwell of the stage a rollout is in, from its input, for the progress bar. */
async function currentDwell(client: Client, id: string, stage: number): Promise<number | 'manual' | null> {
  const { input } = await startedWith(client, id);
  const parsed = parseRolloutInput(input);
  if (!parsed.ok || stage < 1) return null;
  return parsed.value.stages[stage - 1]?.dwellMs ?? null;
}

const withRollout = (id: string, fn: (client: Client) => Promise<void>) =>
  withTemporalClient(async (client) => {
    try {
      await fn(client);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new Error(`no rollout ${id} (see \`learnloop rollout list\`)`, { cause: err });
      throw err;
    }
  });

export function registerRolloutCommands(program: Command): void {
  const rollout = program.command('rollout').description('staged canary rollouts (the canaryRollout workflow on Temporal)');

  rollout
    .command('start <modelId> <candidateVersion>')
    .description('roll a registered version out 10% → 50% → 100% (or --stage …), rolling back on a failed health check')
    .option('--baseline <version>', 'compare with and roll back to this version (default: the production alias)')
    .option('--stage <percent[:dwell]>', 'a stage, repeatable: 10:6h, 50:manual, 100 (default 10:6h 50:12h 100)', parseStage)
    .option('--check-every <duration>', 'health-check interval, e.g. 5m')
    .option('--check-window <duration>', 'feedback each check reads, back from now (default 1h, at least the interval)')
    .option('--min-samples <n>', 'feedback rows a check needs to decide', wholeNumber())
    .option('--failure-limit <n>', 'failed checks tolerated before acting', wholeNumber())
    .option('--on-failure <action>', 'rollback or pause')
    .option('--threshold <name=value>', 'override a threshold, repeatable: minPassRate=0.75', parseThreshold)
    .option('--pre-rollout-webhook <url>', 'must answer 2xx before the first weight change')
    .option('--confirm-promotion-webhook <url>', 'must answer 2xx before 100%')
    .option('--wait', 'wait for the outcome and print it')
    .action((modelId: string, candidateVersion: string, opts: StartOptions) =>
      withTemporalClient(async (client) => {
        const input = {
          modelId,
          candidateVersion,
          ...(opts.baseline ? { baselineVersion: opts.baseline } : {}),
          ...(opts.stage ? { stages: opts.stage } : {}),
          ...(opts.checkEvery ? { checkInterval: opts.checkEvery } : {}),
          ...(opts.checkWindow ? { checkWindow: opts.checkWindow } : {}),
          ...(opts.minSamples !== undefined ? { minSamples: opts.minSamples } : {}),
          ...(opts.failureLimit !== undefined ? { failureLimit: opts.failureLimit } : {}),
          ...(opts.onFailure ? { onFailure: opts.onFailure } : {}),
          ...(opts.threshold ? { thresholds: opts.threshold } : {}),
          ...(opts.preRolloutWebhook || opts.confirmPromotionWebhook
            ? { webhooks: { preRollout: opts.preRolloutWebhook, confirmPromotion: opts.confirmPromotionWebhook } }
            : {}),
        };
        const id = rolloutWorkflowId(modelId, candidateVersion);
        const handle = await client.workflow.start(canaryRollout, { taskQueue: TASK_QUEUE, workflowId: id, args: [input] });
        console.log(`started ${id} (run ${handle.firstExecutionRunId})`);
        if (opts.wait) printResult(await handle.result());
      }),
    );

  rollout
    .command('status <id>')
    .description('stage, weights, dwell progress and the last checks of a rollout')
    .action((id: string) =>
      withRollout(id, async (client) => {
        const handle = client.workflow.getHandle(id);
        const progress = await handle.query(progressQuery);
        console.log(renderProgress(id, progress, await currentDwell(client, id, progress.stage)));
      }),
    );

  const signalCommand = (
    name: string,
    description: string,
    send: (client: Client, id: string, opts: Record<string, unknown>) => Promise<void>,
  ) =>
    rollout
      .command(`${name} <id>`)
      .description(description)
      .action((id: string, opts: Record<string, unknown>) =>
        withRollout(id, async (client) => {
          await send(client, id, opts);
          console.log(`${name}: sent to ${id}`);
        }),
      );
  signalCommand('pause', 'hold the weights and the dwell clock; checks go on and a failing one still rolls back', (c, id) =>
    c.workflow.getHandle(id).signal(pauseSignal),
  );
  signalCommand('resume', 'let a paused rollout go on', (c, id) => c.workflow.getHandle(id).signal(resumeSignal));
  signalCommand('abort', 'put all traffic back on the baseline and end the rollout', (c, id, opts) =>
    c.workflow.getHandle(id).signal(abortSignal, { reason: (opts.reason as string | undefined) ?? 'aborted from the CLI' }),
  ).option('--reason <text>', 'recorded with the rollback');
  signalCommand('promote', "skip the rest of this stage's dwell (--full: straight to 100% after the next passing check)", (c, id, opts) =>
    c.workflow.getHandle(id).signal(promoteSignal, { full: opts.full === true }),
  ).option('--full', 'go straight to 100%');

  rollout
    .command('list')
    .description('rollouts, newest first (a visibility query on the Learnloop search attributes)')
    .option('--model <modelId>', 'only this model')
    .option('--state <state>', 'running, paused, promoted, rolled_back or aborted')
    .option('--limit <n>', 'at most this many', wholeNumber(1), 20)
    .action((opts: { model?: string; state?: string; limit: number }) =>
      withTemporalClient(async (client) => {
        const quote = (v: string) => `'${v.replace(/'/g, "\\'")}'`;
        const query = [
          `WorkflowType = 'canaryRollout'`,
          ...(opts.model ? [`LearnloopModel = ${quote(opts.model)}`] : []),
          ...(opts.state ? [`LearnloopState = ${quote(opts.state)}`] : []),
        ].join(' AND ');
        const rows: string[][] = [['ID', 'MODEL', 'CANDIDATE', 'STAGE', 'STATE', 'STATUS', 'STARTED']];
        for await (const w of client.workflow.list({ query })) {
          const attrs = w.typedSearchAttributes;
          rows.push([
            w.workflowId,
            attrs.get(LearnloopModel) ?? '',
            attrs.get(LearnloopCandidate) ?? '',
            String(attrs.get(LearnloopStage) ?? ''),
            attrs.get(LearnloopState) ?? '',
            w.status.name,
            w.startTime.toISOString(),
          ]);
          if (rows.length > opts.limit) break;
        }
        const widths = defined(rows[0], 'the header row').map((_, i) => Math.max(...rows.map((r) => defined(r[i], `column ${i}`).length)));
        for (const r of rows)
          console.log(
            r
              .map((cell, i) => cell.padEnd(defined(widths[i], `the width of column ${i}`)))
              .join('  ')
              .trimEnd(),
          );
      }),
    );

  rollout
    .command('retry <id>')
    .description('a fresh run, with the same input under the same id, of a rollout that was aborted, rolled back or failed')
    .action((id: string) =>
      withRollout(id, async (client) => {
        const handle = client.workflow.getHandle(id);
        const { status } = await handle.describe();
        if (status.name === 'RUNNING') throw new Error(`${id} is still running; abort it first`);
        if (status.name === 'COMPLETED' && ((await handle.result()) as RolloutResult).outcome === 'promoted') {
          throw new Error(`${id} was promoted; nothing to retry`);
        }
        const { input, taskQueue } = await startedWith(client, id);
        const fresh = await client.workflow.start(canaryRollout, { taskQueue, workflowId: id, args: [input] });
        console.log(`retrying ${id} (previous run ${status.name.toLowerCase()}; new run ${fresh.firstExecutionRunId})`);
      }),
    );
}

function printResult(r: RolloutResult): void {
  console.log(`${r.outcome}: ${r.reason} (final ${r.finalPercent}%, ${r.totalChecks} checks, ${r.startedAt} → ${r.endedAt})`);
}
