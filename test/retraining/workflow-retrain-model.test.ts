import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { createTrainingActivities } from '../../activities/training.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { generateRequirements } from '../../src/reference/generator.js';
import { REFERENCE_MODEL_ID } from '../../src/reference/register.js';
import { TRAINING_TASK_QUEUE } from '../../src/temporal/task-queues.js';
import { tfjsTrainer } from '../../src/training/tfjs-trainer.js';
import type { Trainer, TrainerRequest } from '../../src/training/trainer.js';
import { insertTrainingSamples } from '../../src/db/training-samples.js';
import { detectDedupPath } from '../../src/db/vector-index.js';
import { sampleWeight, type TrainingSample } from '../../src/learning/feedback-trainer.js';
import { abortSignal } from '../../workflows/contracts/canary-rollout.js';
import { progressQuery, retrainModel } from '../../workflows/contracts/retrain-model.js';
import { startReferenceStack, type ReferenceStack } from '../support/reference-model.js';
import { seedExample } from '../support/retraining-seed.js';
import { workflowBundle } from '../../bench/support/workflow-bundle.js';
import { createTimeSkippingEnv, signalSettled } from '../../bench/support/temporal.js';
import { canaryHeldOutSet } from '../../src/reference/held-out.js';
import { deployableApplications } from '../../src/learning/applications/deployable.js';

// The real thing end to end: production feedback rows in PostgreSQL, the real encoder for dedup, real tfjs training
// from v1's registered weights, evaluation of both versions on held-out canary requirements, ONNX export and
// registration, and a canaryRollout child. Time skips; nothing is mocked.
describe('retrainModel on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let stack: ReferenceStack;
  const workers: { worker: Worker; running: Promise<void> }[] = [];
  let taskQueue: string;
  const trainerRequests: TrainerRequest[] = [];

  before(async () => {
    env = await createTimeSkippingEnv();
    stack = await startReferenceStack();
    const config = loadConfig({ DATABASE_URL: stack.db.url, LEARNLOOP_ARTIFACT_DIR: `${stack.home}/artifacts` });
    const deps = { pool: stack.db.pool, logger: createLogger({ level: 'silent' }), config };
    taskQueue = `retrain-${randomUUID()}`;
    const w1 = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities(deps, { applications: deployableApplications }),
    });
    // The real tfjs trainer, watched: a test reads what requests it was given.
    const trainer: Trainer = {
      kind: 'tfjs',
      train: (request, context) => (trainerRequests.push(request), tfjsTrainer.train(request, context)),
    };
    const w2 = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TRAINING_TASK_QUEUE,
      activities: createTrainingActivities(deps, { embedder: stack.embedder, trainer, canaryHeldOutSet }),
    });
    for (const worker of [w1, w2]) workers.push({ worker, running: worker.run() });
  });
  after(async () => {
    for (const w of workers) w.worker.shutdown();
    await Promise.all(workers.map((w) => w.running));
    // after() runs even when before() failed part-way: what it did not get to is still undefined.
    await (stack as typeof stack | undefined)?.close();
    await (env as typeof env | undefined)?.teardown();
  });

  /** Production traffic after a drift: drifted requirements whose served label passed its checks. */
  async function seedDriftedPasses(count: number, seed: number): Promise<void> {
    for (const r of generateRequirements({ seed, count, phrasing: 'drifted' })) {
      await seedExample(stack.db.pool, {
        modelId: REFERENCE_MODEL_ID,
        version: 'v1',
        text: r.text,
        output: { label: r.template },
        passRate: 1,
        variance: 0,
      });
    }
  }

  const run = (input: Record<string, unknown>) =>
    env.client.workflow.start(retrainModel, { taskQueue, workflowId: `retrain-${REFERENCE_MODEL_ID}-${randomUUID()}`, args: [input] });

  test('too few qualifying examples: skipped, with the count, and nothing trained', async () => {
    const handle = await run({ modelId: REFERENCE_MODEL_ID, trigger: 'weekly' });
    const result = await handle.result();
    assert.equal(result.status, 'skipped');
    assert.match(result.reason, /^0 qualifying examples, fewer than minExamples 50/);
    const { rows } = await stack.db.pool.query('SELECT status, examples_selected FROM training_runs WHERE workflow_id = $1', [
      handle.workflowId,
    ]);
    assert.deepEqual(rows, [{ status: 'skipped', examples_selected: 0 }]);
  });

  test('bad input fails at once, naming the field', async () => {
    const handle = await run({ modelId: REFERENCE_MODEL_ID, trigger: 'hourly' });
    await assert.rejects(handle.result(), (err: Error & { cause?: Error }) => {
      assert.match(String(err.cause?.message), /^trigger: Invalid option/);
      return true;
    });
    const cycleless = await run({ modelId: REFERENCE_MODEL_ID, trigger: 'learning_cycle' });
    await assert.rejects(cycleless.result(), (err: Error & { cause?: Error }) => {
      assert.match(String(err.cause?.message), /^learningCycleId: is given exactly when trigger is "learning_cycle"/);
      return true;
    });
  });

  test('after a drift, an emergency retrain selects, dedups, trains, passes the gate, registers and starts a canary', async (t) => {
    await seedDriftedPasses(150, 100);
    const handle = await run({ modelId: REFERENCE_MODEL_ID, trigger: 'degradation', minExamples: 20 });
    const result = await handle.result();
    t.diagnostic(JSON.stringify(result.evaluation));
    assert.equal(result.status, 'deployed', result.reason);
    assert.equal(result.emergency, true);
    assert.equal(result.examplesSelected, 150);
    assert.ok(result.examplesAfterDedup! >= 20 && result.examplesAfterDedup! <= 150);
    assert.equal(result.training!.epochsRun <= 3, true, 'an emergency trains at most 3 epochs');
    assert.ok(result.evaluation!.improvement > -0.02);
    assert.equal((await handle.query(progressQuery)).step, 'done');
    // Its recorded history replays against the workflow code without nondeterminism.
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await handle.fetchHistory(), handle.workflowId);

    const { rows: runs } = await stack.db.pool.query(
      'SELECT status, trigger, base_version, candidate_version, examples_selected, examples_after_dedup, epochs_run, backend, jsonb_array_length(losses) AS losses FROM training_runs WHERE workflow_id = $1',
      [handle.workflowId],
    );
    assert.equal(runs[0].status, 'deployed');
    assert.equal(runs[0].trigger, 'degradation');
    assert.equal(runs[0].base_version, 'v1');
    assert.equal(runs[0].candidate_version, result.candidateVersion);
    assert.equal(runs[0].losses, runs[0].epochs_run);
    assert.ok(
      ['wasm', 'cpu', 'tensorflow'].some((b) => String(runs[0].backend).includes(b)),
      runs[0].backend,
    );
    const { rows: used } = await stack.db.pool.query('SELECT count(*)::int AS n FROM phase4_training_data WHERE model_id = $1', [
      REFERENCE_MODEL_ID,
    ]);
    assert.equal(used[0].n, result.examplesAfterDedup);
    const { rows: embedded } = await stack.db.pool.query(
      'SELECT count(*)::int AS n FROM phase4_training_data WHERE model_id = $1 AND embedding IS NOT NULL',
      [REFERENCE_MODEL_ID],
    );
    assert.equal(embedded[0].n, result.examplesAfterDedup, 'each used example keeps its embedding for later runs to dedup against');
    // Either path: on a server without pgvector (npm test in CI) this is the exact one.
    t.diagnostic(`deduplication: ${JSON.stringify(await detectDedupPath(stack.db.pool))}`);
    assert.ok(await stack.registry.find(REFERENCE_MODEL_ID, result.candidateVersion!));

    // The rollout outlives the retraining (parent close policy ABANDON) and is running now.
    const rollout = env.client.workflow.getHandle(result.rolloutWorkflowId!);
    assert.equal((await rollout.describe()).status.name, 'RUNNING');
    await signalSettled(rollout, abortSignal, { reason: 'test over' });
    assert.equal(((await rollout.result()) as { outcome: string }).outcome, 'aborted');

    // The examples are used now: the next run finds only the near-duplicates dedup dropped, too few to train on.
    const again = await run({ modelId: REFERENCE_MODEL_ID, trigger: 'degradation', minExamples: 20 });
    const second = await again.result();
    assert.equal(second.status, 'skipped');
    assert.equal(second.examplesSelected, 150 - result.examplesAfterDedup!);
  });

  test('a retrain that cannot beat production is rejected by the gate and nothing is rolled out', async () => {
    // Standard-phrasing requests v1 already gets right: training on them cannot improve it, so a regular gate (> 0) says no.
    for (const r of generateRequirements({ seed: 400, count: 60 })) {
      await seedExample(stack.db.pool, {
        modelId: REFERENCE_MODEL_ID,
        version: 'v1',
        text: r.text,
        output: { label: r.template },
        passRate: 1,
        variance: 0,
      });
    }
    const before = (await stack.registry.list(REFERENCE_MODEL_ID)).length;
    const handle = await run({
      modelId: REFERENCE_MODEL_ID,
      trigger: 'manual',
      minExamples: 20,
      canary: [{ phrasing: 'standard', seed: 300, count: 250 }],
    });
    const result = await handle.result();
    assert.equal(result.status, 'rejected', result.reason);
    assert.match(result.reason, /^quality gate: candidate 1\.0000 vs production 1\.0000: improvement 0\.0000 ≤ 0/);
    assert.equal(result.candidateVersion, null);
    assert.equal(result.rolloutWorkflowId, null);
    assert.equal((await stack.registry.list(REFERENCE_MODEL_ID)).length, before, 'nothing registered');
    const { rows } = await stack.db.pool.query('SELECT status FROM training_runs WHERE workflow_id = $1', [handle.workflowId]);
    assert.deepEqual(rows, [{ status: 'rejected' }]);
  });

  test("a retrain a learning cycle started gives the trainer the cycle's weighted samples and records the cycle", async () => {
    // What the refine phase stores: one sample per applied improvement (the cycle itself has its own tests).
    const cycleId = `cycle-${randomUUID()}`;
    await stack.db.pool.query(`INSERT INTO learning_cycles (id, input) VALUES ($1, '{}')`, [cycleId]);
    const samples: TrainingSample[] = Array.from({ length: 12 }, (_, i) => ({
      application: i % 2 ? 'ticket-triage' : 'invoice-extractor',
      fromVersion: 1,
      toVersion: 2,
      improvementKey: `improvement-${i}`,
      input: JSON.stringify({ kind: 'edge_case', field: `f${i}` }),
      output: `say what happens when f${i} is empty`,
      completenessGain: 0.3,
      clarityGain: 0.4,
      incidentsAddressed: i,
      weight: sampleWeight(0.3, 0.4, i),
    }));
    await insertTrainingSamples(stack.db.pool, cycleId, samples);
    await insertTrainingSamples(stack.db.pool, cycleId, samples); // a retried refine phase stores nothing twice
    for (const r of generateRequirements({ seed: 500, count: 30, phrasing: 'drifted' })) {
      await seedExample(stack.db.pool, {
        modelId: REFERENCE_MODEL_ID,
        version: 'v1',
        text: r.text,
        output: { label: r.template },
        passRate: 1,
        variance: 0,
      });
    }
    const handle = await run({
      modelId: REFERENCE_MODEL_ID,
      trigger: 'learning_cycle',
      learningCycleId: cycleId,
      minExamples: 20,
      dryRun: true,
    });
    const result = await handle.result();
    assert.equal(result.training?.feedbackSamples, 12, result.reason);

    const request = trainerRequests.at(-1)!;
    const byKey = new Map(samples.map((s) => [`${s.application}/${s.output}`, s.weight]));
    assert.equal(request.feedback?.length, 12);
    for (const f of request.feedback) assert.equal(f.weight, byKey.get(`${f.application}/${f.output}`), `the weight of "${f.output}"`);
    assert.deepEqual(
      [...new Set(request.feedback.map((f) => f.weight))].length,
      12,
      'weights differ with the incidents each improvement addresses',
    );

    const { rows } = await stack.db.pool.query(
      `SELECT trigger, learning_cycle_id, metrics->'feedbackSamples' AS feedback FROM training_runs WHERE workflow_id = $1`,
      [handle.workflowId],
    );
    assert.deepEqual(rows, [{ trigger: 'learning_cycle', learning_cycle_id: cycleId, feedback: 12 }]);
  });
});
