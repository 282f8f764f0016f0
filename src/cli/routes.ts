import { InvalidArgumentError, type Command } from 'commander';
import { parseVariantKey, readRoutes, variantKey, writeVariantRoutes, type VariantRoute } from '../db/routing-weights.js';
import { defined } from '../platform/defined.js';
import { withContext } from './context.js';

function parseAssignment(value: string, previous: VariantRoute[] = []): VariantRoute[] {
  const m = /^([^=]+)=(\d+)$/.exec(value);
  const variant = m ? parseVariantKey(defined(m[1], 'the variant')) : undefined;
  if (!m || !variant) throw new InvalidArgumentError(`"${value}" is not VERSION=PERCENT or VERSION+CONTEXT@N=PERCENT`);
  return [...previous, { ...variant, percent: Number(m[2]) }];
}

const describe = (routes: readonly VariantRoute[]) => routes.map((r) => `${variantKey(r)}=${r.percent}`).join(' ');

export function registerRouteCommands(program: Command): void {
  const routes = program.command('routes').description('traffic weights per model version or variant (sum to 100)');

  routes
    .command('set <modelId> <assignments...>')
    .description(
      "replace a model's routes, e.g. `routes set reference v1=90 v2=10`, or variants with a context, " +
        '`routes set reference v1=50 v1+drifted-phrasebook@2=50`; every router sees it within a second',
    )
    .action((modelId: string, assignments: string[]) =>
      withContext(async ({ pool }) => {
        const variants = assignments.reduce<VariantRoute[]>((acc, a) => parseAssignment(a, acc), []);
        await writeVariantRoutes(pool, modelId, variants, 'cli');
        console.log(`${modelId}: ${describe(variants)}`);
      }),
    );

  routes
    .command('show <modelId>')
    .description("the model's current routes (VERSION+CONTEXT@N for a variant served with a context)")
    .action((modelId: string) =>
      withContext(async ({ pool }) => {
        const current = (await readRoutes(pool, modelId)).get(modelId);
        console.log(current ? describe(current) : `no routes for ${modelId}`);
      }),
    );
}
