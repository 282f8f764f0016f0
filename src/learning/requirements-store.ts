import { readRequirementsDocument } from '../db/learning.js';
import type { Db } from '../db/pool.js';
import { parseRequirements, type RequirementsDocument } from './requirements.js';

/** The document of one version, or the latest when `version` is absent. */
export async function readRequirements(db: Db, application: string, version?: number): Promise<RequirementsDocument | undefined> {
  const document = await readRequirementsDocument(db, application, version);
  return document === undefined ? undefined : parseRequirements(document);
}
