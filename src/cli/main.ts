import { Command } from 'commander';
import { registerCycleCommands } from './cycle.js';
import { registerDoctorCommand } from './doctor.js';
import { registerAbTestingCommands } from './ab-testing.js';
import { registerPatternCommands } from './patterns.js';
import { registerModelCommands } from './models.js';
import { registerPlatformCommands } from './platform.js';
import { registerReferenceCommands } from './reference.js';
import { registerRolloutCommands } from './rollout.js';
import { registerRouteCommands } from './routes.js';
import { registerScheduleCommands } from './schedules.js';
import { registerSimulateCommand } from './simulate.js';

const program = new Command('learnloop')
  .description('keeps a production model learning from its own traffic and ships every new version safely')
  .showHelpAfterError('(add --help for usage)');

registerPlatformCommands(program);
registerDoctorCommand(program);
registerReferenceCommands(program);
registerModelCommands(program);
registerRouteCommands(program);
registerRolloutCommands(program);
registerAbTestingCommands(program);
registerPatternCommands(program);
registerSimulateCommand(program);
registerScheduleCommands(program);
registerCycleCommands(program);

program.parseAsync(process.argv).then(
  // Pools, listeners and servers are closed by the commands; exit so a lingering handle cannot keep a CLI alive.
  () => process.exit(), // with the exitCode a command set (doctor's findings)
  (err: unknown) => {
    console.error(`learnloop: ${String((err as Error).message.split('\n')[0])}`);
    process.exit(1);
  },
);
