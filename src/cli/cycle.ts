import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { readCycleReport } from '../db/learning.js';
import { TASK_QUEUE } from '../temporal/task-queues.js';
import { renderReportHtml } from '../learning/report-html.js';
import type { CycleReport } from '../learning/report.js';
import { learningCycle, progressQuery } from '../../workflows/contracts/learning-cycle.js';
import { withContext } from './context.js';
import { withTemporalClient } from './temporal-client.js';

export function registerCycleCommands(program: Command): void {
  const cycle = program.command('cycle').description('multi-day production learning cycles (the learningCycle workflow)');

  cycle
    .command('start <applications...>')
    .description('deploy the applications, monitor them for --days, then analyze, refine and retrain')
    .option('--days <n>', 'monitoring days', Number, 7)
    .option('--check-every <duration>', 'monitor interval, e.g. 1h', '1h')
    .option('--no-refine', 'analyze only; do not write refined requirements')
    .option('--no-train', 'do not start a retraining')
    .option('--model <modelId>', 'the model a retraining retrains', 'reference')
    .option('--id <workflowId>', 'workflow id (default cycle-<time>)')
    .action(
      (applications: string[], opts: { days: number; checkEvery: string; refine: boolean; train: boolean; model: string; id?: string }) =>
        withTemporalClient(async (client) => {
          const workflowId = opts.id ?? `cycle-${new Date().toISOString().replace(/[:.]/g, '-')}`;
          await client.workflow.start(learningCycle, {
            taskQueue: TASK_QUEUE,
            workflowId,
            args: [
              {
                applications,
                durationDays: opts.days,
                checkInterval: opts.checkEvery,
                autoRefine: opts.refine,
                autoTrain: opts.train,
                modelId: opts.model,
              },
            ],
          });
          console.log(`started ${workflowId}`);
        }),
    );

  cycle
    .command('status <id>')
    .description('phase, day n of N, incidents so far by type, refinements, next check')
    .action((id: string) =>
      withTemporalClient(async (client) => {
        console.log(JSON.stringify(await client.workflow.getHandle(id).query(progressQuery), null, 2));
      }),
    );

  cycle
    .command('report <id>')
    .description("the finished cycle's report (JSON), or with --html a self-contained page with charts")
    .option('--html <file>', 'write the HTML report here')
    .action((id: string, opts: { html?: string }) =>
      withContext(async ({ pool }) => {
        const cycle = await readCycleReport(pool, id);
        if (!cycle) throw new Error(`no learning cycle ${id}`);
        if (!cycle.report) throw new Error(`cycle ${id} is ${cycle.status}; its report is written when it ends`);
        // Written by finishCycle from a CycleReport.
        const report = cycle.report as CycleReport;
        if (opts.html) {
          await writeFile(opts.html, await renderReportHtml(report));
          console.log(`wrote ${opts.html}`);
        } else {
          console.log(JSON.stringify(report, null, 2));
        }
      }),
    );
}
