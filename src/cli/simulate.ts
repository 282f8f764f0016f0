import { InvalidArgumentError, type Command } from 'commander';
import { parseSeconds, wholeNumber } from './arguments.js';
import { loadConfig } from '../config.js';
import { REFERENCE_MODEL_ID } from '../reference/register.js';
import { simulateTraffic, type PassTally } from '../simulate/traffic.js';

function share(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`"${value}" is not a share between 0 and 1`);
  return n;
}

interface SimulateOptions {
  router?: string;
  model: string;
  duration: number;
  requests?: number;
  concurrency: number;
  samples: number;
  driftAfter?: number;
  driftShare: number;
  seed: number;
}

const passRate = (t: PassTally) => (t.requests === 0 ? '-' : (t.passRateSum / t.requests).toFixed(3));

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'send reference-task requirements through a running router and post feedback from really checking each output; ' +
        'with --drift-after the requirements switch to the drifted phrasing, with --samples each is asked several times ' +
        '(a router serving at a temperature answers each time with its own sample)',
    )
    .option('--router <url>', 'router to send to (default: http://ROUTER_HOST:ROUTER_PORT)')
    .option('--model <modelId>', 'model to ask', REFERENCE_MODEL_ID)
    .option('--duration <duration>', 'stop after this long (e.g. 20s, 2m)', parseSeconds, 20)
    .option('--requests <n>', 'stop after this many requests', wholeNumber(1))
    .option('--concurrency <n>', 'requests in flight at once', wholeNumber(1), 4)
    .option('--samples <n>', 'times each requirement is asked in a row', wholeNumber(1), 1)
    .option('--drift-after <n>', 'from this request on, requirements drift to the new phrasing', wholeNumber(0))
    .option('--drift-share <share>', 'share of requirements said the new way after the drift', share, 1)
    .option('--seed <n>', 'seed of the requirement stream', wholeNumber(0), 42)
    .action(async (opts: SimulateOptions) => {
      const config = loadConfig();
      const routerUrl = opts.router ?? `http://${config.router.host}:${config.router.port}`;
      const tally = await simulateTraffic({
        routerUrl,
        modelId: opts.model,
        apiToken: config.apiToken,
        durationMs: opts.duration * 1000,
        maxRequests: opts.requests,
        concurrency: opts.concurrency,
        seed: opts.seed,
        samplesPerRequirement: opts.samples,
        drift: opts.driftAfter === undefined ? undefined : { afterRequests: opts.driftAfter, share: opts.driftShare },
      });
      console.log('version  requests  errors  pass rate  standard  drifted');
      for (const [version, t] of [...tally].sort(([a], [b]) => a.localeCompare(b))) {
        console.log(
          `${version.padEnd(8)} ${String(t.requests).padStart(8)}  ${String(t.errors).padStart(6)}  ${passRate(t).padStart(9)}  ${passRate(t.byPhrasing.standard).padStart(8)}  ${passRate(t.byPhrasing.drifted).padStart(7)}`,
        );
      }
    });
}
