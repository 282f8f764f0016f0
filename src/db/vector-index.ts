import type pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { defined } from '../platform/defined.js';

/**
 * pgvector is an accelerator, not a requirement. Embeddings are plain `real[]` (migrations need no extension) and
 * deduplication compares them exactly; where the server has pgvector, the start-up step here (run by migrate())
 * creates the extension and an HNSW index over `embedding::vector(384)`, and deduplication searches that index.
 * A database that gains the extension later thus moves to the index in place on its next start.
 */

/** `LEARNLOOP_VECTOR_INDEX`: `auto` uses pgvector where the server has it, `off` stays exact even there. */
export type VectorIndexSetting = Config['vectorIndex'];

export type DedupPathName = 'hnsw' | 'exact';

/** How deduplication finds the examples a model already learned from, and why, in words for an operator. */
export interface DedupPath {
  path: DedupPathName;
  reason: string;
}

/** The HNSW index the start-up step creates on phase4_training_data. */
export const HNSW_INDEX = 'phase4_training_data_embedding';

/**
 * The indexed expression. A query takes the index only when it orders by exactly this expression
 * (`p.embedding::vector(384) <=> …`), typmod included.
 */
export const INDEXED_EMBEDDING = 'embedding::vector(384)';

/** Iterative index scans (`hnsw.iterative_scan`), which dedup's per-model search relies on, came in pgvector 0.8.0. */
const MIN_PGVECTOR = [0, 8, 0] as const;

/** Serialises the start-up step of processes starting at once against the same database (any value of our own). */
const STEP_LOCK = 0x1ea41_0007;

type Queryable = Pick<pg.ClientBase, 'query'>;

interface VectorFacts {
  /** pg_available_extensions' default_version of `vector`, or null: the server has no pgvector files. */
  available: string | null;
  /** The version created in this database, or null. */
  installed: string | null;
  /** Whether the type `vector` resolves on the search_path (the extension may live in another schema). */
  visible: boolean;
  /** phase4_training_data.embedding's type, or null before the migrations created it. */
  columnType: string | null;
  /** The HNSW index: null when missing, false while invalid. */
  indexValid: boolean | null;
}

async function vectorFacts(db: Queryable): Promise<VectorFacts> {
  const { rows } = await db.query<{
    available: string | null;
    installed: string | null;
    visible: boolean;
    column_type: string | null;
    index_valid: boolean | null;
  }>(
    `SELECT
       (SELECT default_version FROM pg_available_extensions WHERE name = 'vector') AS available,
       (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS installed,
       to_regtype('vector') IS NOT NULL AS visible,
       (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
        WHERE attrelid = to_regclass('phase4_training_data') AND attname = 'embedding' AND NOT attisdropped) AS column_type,
       (SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
        WHERE i.indexrelid = to_regclass($1) AND am.amname = 'hnsw') AS index_valid`,
    [HNSW_INDEX],
  );
  const r = defined(rows[0], 'pgvector facts row');
  return { available: r.available, installed: r.installed, visible: r.visible, columnType: r.column_type, indexValid: r.index_valid };
}

const versionAtLeast = (version: string, min: readonly number[]): boolean => {
  const parts = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (const [i, wanted] of min.entries()) {
    const part = parts[i] ?? 0;
    if (part !== wanted) return part > wanted;
  }
  return true;
};

function pathFrom(facts: VectorFacts, setting: VectorIndexSetting): DedupPath {
  const exact = (reason: string): DedupPath => ({ path: 'exact', reason });
  if (setting === 'off') return exact('LEARNLOOP_VECTOR_INDEX=off');
  if (facts.available === null && facts.installed === null) return exact('extension vector is not available on this server');
  if (facts.installed === null) {
    return exact(
      `pgvector ${String(facts.available)} is available on this server but not created in this database (learnloop creates it when it starts, unless CREATE EXTENSION is refused)`,
    );
  }
  if (!versionAtLeast(facts.installed, MIN_PGVECTOR)) {
    return exact(
      `pgvector ${facts.installed} is installed, but its HNSW search needs ${MIN_PGVECTOR.join('.')} or newer (iterative index scans)`,
    );
  }
  if (!facts.visible) return exact(`pgvector ${facts.installed} is installed in a schema outside the search_path`);
  if (facts.indexValid !== true) {
    return exact(`pgvector ${facts.installed} installed, but no valid HNSW index ${HNSW_INDEX} yet (learnloop creates it when it starts)`);
  }
  return { path: 'hnsw', reason: `pgvector ${facts.installed} installed, HNSW index ${HNSW_INDEX}` };
}

/**
 * The path deduplication takes on this database, read from the catalog now: `hnsw` when pgvector is installed and
 * the index exists (and `setting` is not `off`), otherwise `exact`, with the reason. For `learnloop doctor`, the
 * demo and tests; deduplication itself asks {@link dedupPath}, which remembers the answer per pool.
 */
export async function detectDedupPath(db: Queryable, setting: VectorIndexSetting = 'auto'): Promise<DedupPath> {
  return pathFrom(await vectorFacts(db), setting);
}

const remembered = new WeakMap<object, Map<VectorIndexSetting, Promise<DedupPath>>>();

/**
 * {@link detectDedupPath}, asked once per pool and setting (not per query) and logged then at info. A process
 * therefore keeps its path until it restarts: one started before the index existed stays exact, which is correct.
 */
export function dedupPath(pool: pg.Pool, options: { setting?: VectorIndexSetting; logger?: Logger } = {}): Promise<DedupPath> {
  const setting = options.setting ?? 'auto';
  let bySetting = remembered.get(pool);
  if (!bySetting) remembered.set(pool, (bySetting = new Map<VectorIndexSetting, Promise<DedupPath>>()));
  let found = bySetting.get(setting);
  if (!found) {
    found = detectDedupPath(pool, setting);
    bySetting.set(setting, found);
    found.then(
      (p) =>
        options.logger?.info(
          { dedupPath: p.path, reason: p.reason },
          `deduplication searches ${p.path === 'hnsw' ? 'the pgvector HNSW index' : 'exactly'}: ${p.reason}`,
        ),
      () => bySetting.delete(setting), // asked again next time, e.g. once the database answers
    );
  }
  return found;
}

/** Forgets the remembered path of this pool (after its index or extension went away under it). */
export function forgetDedupPath(pool: pg.Pool): void {
  remembered.delete(pool);
}

/**
 * The start-up step, run by migrate() after the migrations: where the server has pgvector and `setting` allows it,
 * creates the extension (if missing) and the HNSW index (if missing) over phase4_training_data's embeddings.
 * Never fails a start for the accelerator's sake: CREATE EXTENSION refused (no privilege) or an index that cannot
 * be built leaves deduplication exact, said at info (warn for the unexpected). Processes starting at once take
 * turns on an advisory lock, so each finds what the first created. Returns the path deduplication now takes.
 */
export async function ensureVectorIndex(
  client: pg.Client,
  options: { setting?: VectorIndexSetting; logger?: Logger } = {},
): Promise<DedupPath> {
  const setting = options.setting ?? 'auto';
  const { logger } = options;
  const before = await vectorFacts(client);
  const current = pathFrom(before, setting);
  if (setting === 'off' || before.available === null || before.columnType !== 'real[]' || current.path === 'hnsw') return current;

  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [STEP_LOCK]);
    const facts = await vectorFacts(client); // what another process may have done while this one waited
    if (facts.installed === null) {
      await client.query('SAVEPOINT create_extension');
      try {
        await client.query('CREATE EXTENSION IF NOT EXISTS vector');
      } catch (err) {
        await client.query('ROLLBACK TO SAVEPOINT create_extension');
        const { code, message } = err as { code?: string; message: string };
        const refused = code === '42501'; // insufficient_privilege: the role may not create it, a DBA may
        (refused ? logger?.info.bind(logger) : logger?.warn.bind(logger))?.(
          { err: message, code },
          `pgvector ${String(facts.available)} is on this server but CREATE EXTENSION vector ${refused ? 'was refused' : 'failed'}: deduplication compares exactly`,
        );
        await client.query('COMMIT');
        return {
          path: 'exact',
          reason: `pgvector ${String(facts.available)} is available but CREATE EXTENSION vector ${refused ? 'was refused' : 'failed'}: ${message}`,
        };
      }
      logger?.info({ version: facts.available }, 'pgvector extension created');
    }
    const now = await vectorFacts(client);
    if (now.installed !== null && versionAtLeast(now.installed, MIN_PGVECTOR) && now.visible && now.indexValid === null) {
      const started = performance.now();
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM phase4_training_data WHERE embedding IS NOT NULL');
      await client.query('SAVEPOINT create_index');
      try {
        await client.query(
          `CREATE INDEX IF NOT EXISTS ${HNSW_INDEX} ON phase4_training_data USING hnsw ((${INDEXED_EMBEDDING}) vector_cosine_ops)`,
        );
        logger?.info(
          { index: HNSW_INDEX, embeddings: defined(rows[0], 'embedding count row').n, ms: Math.round(performance.now() - started) },
          'pgvector HNSW index created',
        );
      } catch (err) {
        await client.query('ROLLBACK TO SAVEPOINT create_index');
        logger?.warn({ err: (err as Error).message }, `HNSW index ${HNSW_INDEX} could not be built: deduplication compares exactly`);
      }
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return detectDedupPath(client, setting);
}
