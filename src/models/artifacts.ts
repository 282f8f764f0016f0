import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export class ArtifactIntegrityError extends Error {
  override name = 'ArtifactIntegrityError';
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Model files stored by content hash: one file per distinct content, written atomically. */
export class ArtifactStore {
  constructor(private readonly root: string) {}

  uriFor(hash: string): string {
    return `file://${path.join(this.root, 'sha256', `${hash}.onnx`)}`;
  }

  async put(bytes: Uint8Array): Promise<{ sha256: string; uri: string }> {
    const hash = sha256(bytes);
    const file = path.join(this.root, 'sha256', `${hash}.onnx`);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
    return { sha256: hash, uri: this.uriFor(hash) };
  }

  /** Reads an artifact and refuses it unless its bytes still hash to what was registered. */
  async load(uri: string, expectedSha256: string): Promise<Uint8Array> {
    const file = new URL(uri).pathname;
    const bytes = await readFile(file);
    const actual = sha256(bytes);
    if (actual !== expectedSha256) {
      throw new ArtifactIntegrityError(`artifact ${file} is corrupted: sha256 ${actual}, registered ${expectedSha256}`);
    }
    return bytes;
  }
}
