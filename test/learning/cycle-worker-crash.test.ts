import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { learningCycle, progressQuery } from '../../workflows/contracts/learning-cycle.js';
import { throwawayDatabase } from '../../bench/support/database.js';
import { startRouterOn } from '../support/router.js';
import { createTimeSkippingEnv } from '../../bench/support/temporal.js';

const workerScript = fileURLToPath(new URL('./fixtures/cycle-worker.ts', import.meta.url));
type WorkerMessage = { ready: true } | { committed: number; opened: number };

function startWorker(env: Record<string, string>): {
  child: ChildProcess;
  messages: WorkerMessage[];
  next: (match: (m: WorkerMessage) => boolean) => Promise<WorkerMessage>;
} {
  const child = fork(workerScript, {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: WorkerMessage[] = [];
  const next = (match: (m: WorkerMessage) => boolean) =>
    new Promise<WorkerMessage>((resolve, reject) => {
      const found = messages.find(match);
      if (found) {
        resolve(found);
        return;
      }
      const onMessage = (m: WorkerMessage) => {
        if (!match(m)) return;
        child.off('exit', onExit);
        child.off('message', onMessage);
        resolve(m);
      };
      const onExit = (code: number | null) => {
        reject(new Error(`the worker process exited (${String(code)}) before the awaited message`));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  child.on('message', (m: WorkerMessage) => messages.push(m));
  return { child, messages, next };
}

test(
  'a worker killed mid-cycle, after a check committed and before Temporal heard of it, loses no incident and counts none twice',
  { timeout: 300_000 },
  async () => {
    const env = await createTimeSkippingEnv();
    const db = await throwawayDatabase();
    const router = await startRouterOn(db);
    const taskQueue = `learning-crash-${randomUUID()}`;
    const common = { TEMPORAL_ADDRESS: env.address, TASK_QUEUE: taskQueue, DATABASE_URL: db.url, LEARNLOOP_ROUTER_URL: router.url };
    const crashAt = 0;
    const first = startWorker({ ...common, CRASH_AFTER_CHECK: String(crashAt) });
    let second: ReturnType<typeof startWorker> | undefined;
    try {
      await first.next((m) => 'ready' in m);
      const handle = await env.client.workflow.start(learningCycle, {
        taskQueue,
        workflowId: `cycle-${randomUUID()}`,
        args: [{ applications: ['ticket-triage', 'invoice-extractor', 'address-normalizer'], durationDays: 0.5 }],
      });
      // Awaiting the result lets the server skip time through the hourly timers.
      const result = handle.result();
      const committed = await first.next((m) => 'committed' in m);
      first.child.kill('SIGKILL');
      await once(first.child, 'exit');
      second = startWorker(common);
      await second.next((m) => 'ready' in m);

      const report = await result;
      assert.equal(report.status, 'completed');
      assert.equal(report.checksRun, 12);

      const { rows: stored } = await db.pool.query<{ check_no: number; n: number }>(
        `SELECT check_no, count(*)::int AS n FROM incidents WHERE cycle_id = $1 GROUP BY check_no ORDER BY check_no`,
        [handle.workflowId],
      );
      const total = stored.reduce((s, r) => s + r.n, 0);
      assert.ok('opened' in committed && committed.opened > 0, 'the killed check opened incidents');
      assert.equal(stored.find((r) => r.check_no === crashAt)?.n, committed.opened, "the killed check's incidents are stored once");
      assert.equal(report.summary.incidents, total);
      const counted = Object.values((await handle.query(progressQuery)).incidentsByType).reduce((a, b) => a + b, 0);
      assert.equal(counted, total, 'the workflow counted every stored incident once, the retried check included');

      const { rows: checks } = await db.pool.query(
        `SELECT count(*)::int AS n, count(DISTINCT check_no)::int AS checks FROM learning_checks WHERE cycle_id = $1`,
        [handle.workflowId],
      );
      assert.deepEqual(checks[0], { n: 12 * 6, checks: 12 }, 'one monitor row per check and variant, none twice');
      // The retried check resent its window through the router: each request stored once, in its own check's window.
      const { rows: windows } = await db.pool.query<{ requests: number; answers: number }>(
        `SELECT count(DISTINCT client_request_id)::int AS requests, count(*)::int AS answers FROM application_requests
        WHERE cycle_id = $1 GROUP BY check_no, application`,
        [handle.workflowId],
      );
      assert.equal(windows.length, 12 * 3);
      assert.ok(
        windows.every((w) => w.requests === 100 && w.answers === 200),
        JSON.stringify(windows.find((w) => w.requests !== 100 || w.answers !== 200)),
      );

      // The check the dead worker ran was run again: its completed attempt is not the first.
      const history = await handle.fetchHistory();
      const retried = history.events!.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
      assert.equal(retried.length, 1, 'exactly one activity ran again after the kill');
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
      await router.close();
      await db.drop();
      await env.teardown();
    }
  },
);
