import { InvalidArgumentError, type Command } from 'commander';
import { readWeights, writeWeights, type Weights } from '../db/routing-weights.js';
import { withContext } from './context.js';

function parseAssignment(value: string, previous: Weights = {}): Weights {
  const m = /^([^=]+)=(\d+)$/.exec(value);
  if (!m) throw new InvalidArgumentError(`"${value}" is not VERSION=PERCENT`);
  return { ...previous, [m[1]!]: Number(m[2]) };
}

export function registerRouteCommands(program: Command): void {
  const routes = program.command('routes').description('traffic weights per model version (sum to 100)');

  routes
    .command('set <modelId> <assignments...>')
    .description('replace a model\'s weights, e.g. `routes set reference v1=90 v2=10`; every router sees it within a second')
    .action((modelId: string, assignments: string[]) =>
      withContext(async ({ pool }) => {
        const weights = assignments.reduce<Weights>((acc, a) => parseAssignment(a, acc), {});
        await writeWeights(pool, modelId, weights, 'cli');
        console.log(`${modelId}: ${Object.entries(weights).map(([v, p]) => `${v}=${p}`).join(' ')}`);
      }),
    );

  routes
    .command('show <modelId>')
    .description('the model\'s current weights')
    .action((modelId: string) =>
      withContext(async ({ pool }) => {
        const weights = (await readWeights(pool, modelId)).get(modelId);
        console.log(weights ? Object.entries(weights).map(([v, p]) => `${v}=${p}`).join(' ') : `no routes for ${modelId}`);
      }),
    );
}
