/**
 * Documents by (id, version), each read once: a version never changes, so a cached one is never stale. A failed
 * read is not cached, so the next request tries again. Holds context documents and requirements documents.
 */
export class VersionedCache<T> {
  private readonly documents = new Map<string, Promise<T>>();

  constructor(private readonly read: (id: string, version: number) => Promise<T>) {}

  get(id: string, version: number): Promise<T> {
    const key = `${id}@${version}`;
    let doc = this.documents.get(key);
    if (!doc) {
      doc = this.read(id, version);
      doc.catch(() => this.documents.delete(key));
      this.documents.set(key, doc);
    }
    return doc;
  }
}
