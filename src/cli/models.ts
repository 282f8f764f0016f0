import type { Command } from 'commander';
import { withContext } from './context.js';

export function registerModelCommands(program: Command): void {
  const models = program.command('models').description('the model registry: versions by content hash, aliases, history');

  models
    .command('register <modelId> <version> <file>')
    .description('register an ONNX file as a model version (stored by sha256, verified on every load)')
    .action((modelId: string, version: string, file: string) =>
      withContext(async ({ registry }) => {
        const v = await registry.register({ modelId, version, file });
        console.log(`registered ${v.modelId}@${v.version} sha256=${v.sha256} status=${v.status}`);
      }),
    );

  models
    .command('list [modelId]')
    .description('list registered versions with status and aliases')
    .action((modelId?: string) =>
      withContext(async ({ registry }) => {
        const versions = await registry.list(modelId);
        const aliasCache = new Map<string, Record<string, string>>();
        for (const v of versions) {
          let modelAliases = aliasCache.get(v.modelId);
          if (!modelAliases) {
            modelAliases = await registry.aliases(v.modelId);
            aliasCache.set(v.modelId, modelAliases);
          }
          const aliases = Object.entries(modelAliases)
            .filter(([, ver]) => ver === v.version)
            .map(([a]) => a);
          console.log([v.modelId, v.version, v.status, v.sha256.slice(0, 12), v.createdAt.toISOString(), aliases.join(',')].join('\t'));
        }
        if (versions.length === 0) console.log('no model versions registered');
      }),
    );

  models
    .command('alias <modelId> <alias> <version>')
    .description('point an alias (production, canary, or your own) at a version; recorded in the history')
    .option('--reason <text>', 'why', '')
    .action((modelId: string, alias: string, version: string, opts: { reason: string }) =>
      withContext(async ({ registry }) => {
        await registry.setAlias(modelId, alias, version, { changedBy: 'cli', reason: opts.reason });
        console.log(`${modelId}: ${alias} -> ${version}`);
      }),
    );

  models
    .command('history <modelId>')
    .description('which version each alias pointed to, and when')
    .option('--alias <alias>', 'only this alias')
    .action((modelId: string, opts: { alias?: string }) =>
      withContext(async ({ registry }) => {
        const rows = await registry.history(modelId, opts.alias);
        for (const r of rows) {
          console.log([r.alias, r.version, r.from.toISOString(), r.to?.toISOString() ?? 'now', r.changedBy, r.reason].join('\t'));
        }
        if (rows.length === 0) console.log(`no alias history for ${modelId}`);
      }),
    );
}
