import { InvalidArgumentError, type Command } from 'commander';
import { planSampleSize, sampleSizeInputSchema } from '../ab-testing/sample-size.js';
import { countRequestsLastDay } from '../db/inference-requests.js';
import { defined } from '../platform/defined.js';
import { number } from './arguments.js';
import { withContext } from './context.js';

/** Requests per hour the model served over the last day. */
async function currentTraffic(modelId: string): Promise<number> {
  return withContext(async ({ pool }) => {
    return (await countRequestsLastDay(pool, modelId)) / 24;
  });
}

export function registerAbTestingCommands(program: Command): void {
  const ab = program.command('ab').description('A/B tests of context strategies');
  ab.command('plan')
    .description('how many requests per variant, and how many hours at the current traffic, an A/B test needs')
    .requiredOption('--baseline <rate>', "the control's pass/success rate, e.g. 0.71", number('--baseline'))
    .requiredOption('--mde <delta>', 'smallest absolute change worth detecting, e.g. 0.02', number('--mde'))
    .option('--alpha <alpha>', 'significance level (two-sided)', number('--alpha'), 0.05)
    .option('--power <power>', 'chance of detecting a change of mde', number('--power'), 0.8)
    .option('--split <percent>', 'percent of traffic to variant B', number('--split'), 50)
    .option('--requests-per-hour <n>', "traffic to plan with (default: the model's last 24 hours)", number('--requests-per-hour'))
    .option('--model <modelId>', 'model whose traffic of the last 24 hours is used', 'reference')
    .action(
      async (o: {
        baseline: number;
        mde: number;
        alpha: number;
        power: number;
        split: number;
        requestsPerHour?: number;
        model: string;
      }) => {
        const requestsPerHour = o.requestsPerHour ?? (await currentTraffic(o.model));
        const input = { baseline: o.baseline, mde: o.mde, alpha: o.alpha, power: o.power, trafficSplit: o.split, requestsPerHour };
        const checked = sampleSizeInputSchema.safeParse(input);
        if (!checked.success) {
          const issue = defined(checked.error.issues[0], 'the first validation issue');
          throw new InvalidArgumentError(
            `--${String(issue.path[0] ?? 'input').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue.message}`,
          );
        }
        const plan = planSampleSize(input);
        console.log(
          `${plan.samplesPerArm} requests per variant (${plan.totalSamples} in all) to detect ${o.baseline} → ${+(o.baseline + o.mde).toFixed(6)} ` +
            `at alpha ${o.alpha}, power ${o.power}`,
        );
        console.log(
          `at ${+requestsPerHour.toFixed(1)} requests/hour with ${o.split}% to B: ${plan.hours.toFixed(1)} hours (${(plan.hours / 24).toFixed(1)} days)`,
        );
      },
    );
}
