import type { Command } from 'commander';
import { applySchedules, learningCycleSchedule, retrainingSchedules } from '../schedules/retraining.js';
import { withTemporalClient } from './temporal-client.js';

export function registerScheduleCommands(program: Command): void {
  const schedules = program
    .command('schedules')
    .description('retraining triggers as Temporal Schedules (weekly, degradation every 6 h, new data daily)');

  schedules
    .command('apply')
    .description('create or update the schedules of a model (idempotent: run it on every deploy)')
    .option('--model <modelId>', 'the model to retrain', 'reference')
    .option('--time-zone <iana>', 'time zone of Sunday 02:00 and daily 03:00 (default LEARNLOOP_SCHEDULE_TIMEZONE)')
    .option('--learning-cycle <applications...>', 'also run a 7-day learningCycle over these applications every Monday (off unless given)')
    .action((opts: { model: string; timeZone?: string; learningCycle?: string[] }) =>
      withTemporalClient(async (client, config) => {
        const timeZone = opts.timeZone ?? config.scheduleTimeZone;
        const wanted = retrainingSchedules({ modelId: opts.model, timeZone });
        if (opts.learningCycle) wanted.push(learningCycleSchedule({ applications: opts.learningCycle, timeZone }));
        const changes = await applySchedules(client, wanted);
        for (const c of changes) console.log(`${c.change.padEnd(8)} ${c.scheduleId}`);
      }),
    );

  schedules
    .command('list')
    .description('the schedules, whether paused, and their next run')
    .action(() =>
      withTemporalClient(async (client) => {
        for await (const s of client.schedule.list()) {
          const next = s.info.nextActionTimes[0]?.toISOString() ?? '-';
          const action = s.action?.type === 'startWorkflow' ? s.action.workflowType : '';
          console.log(`${s.scheduleId.padEnd(44)} ${action.padEnd(17)}
 ${s.state.paused ? 'PAUSED ' : 'active '} next ${next}`);
        }
      }),
    );

  schedules
    .command('pause <scheduleId>')
    .description('pause a schedule (--resume to let it run again)')
    .option('--resume', 'unpause instead')
    .option('--note <text>', 'why, shown in the Web UI')
    .action((scheduleId: string, opts: { resume?: boolean; note?: string }) =>
      withTemporalClient(async (client) => {
        const handle = client.schedule.getHandle(scheduleId);
        if (opts.resume) await handle.unpause(opts.note ?? 'resumed from the CLI');
        else await handle.pause(opts.note ?? 'paused from the CLI');
        console.log(`${opts.resume ? 'resumed' : 'paused'} ${scheduleId}`);
      }),
    );

  schedules
    .command('trigger <scheduleId>')
    .description("run a schedule's action now (overlap policy still applies)")
    .action((scheduleId: string) =>
      withTemporalClient(async (client) => {
        await client.schedule.getHandle(scheduleId).trigger();
        console.log(`triggered ${scheduleId}`);
      }),
    );
}
