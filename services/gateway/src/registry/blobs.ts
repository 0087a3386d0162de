import type { Readable } from "node:stream";
import { type BlobRecord, BlobUnknownError, type ByteRange } from "@portfolio/core";
import type { BlobLookups } from "./blob-lookups";
import type { RegistryBackends } from "./registry";

/** Reading and deleting the blobs of a repository. */
export class BlobService {
  constructor(
    private readonly backends: RegistryBackends,
    private readonly lookups: BlobLookups,
    private readonly redirectSeconds?: number,
  ) {}

  /** The blob if the repository holds it; throws BlobUnknownError otherwise. */
  async stat(repository: string, digest: string): Promise<BlobRecord> {
    const blob = await this.lookups.find(repository, digest);
    if (!blob) throw new BlobUnknownError(digest);
    return blob;
  }

  /** The blob's bytes, from `stat`'s answer for `repository`. */
  async open(repository: string, blob: BlobRecord, range?: ByteRange): Promise<Readable> {
    try {
      return await this.backends.storage.read(blob.storageKey, range);
    } catch (error) {
      if (!(error instanceof BlobUnknownError)) throw error;
    }
    // A lease can name bytes the collector has deleted since, and the blob may
    // have been uploaded again under a new storage key: ask once more.
    this.lookups.forget(repository, blob.digest);
    const current = await this.lookups.find(repository, blob.digest);
    if (current === undefined || current.storageKey === blob.storageKey) {
      // Storage names its key; the client is told the digest.
      throw new BlobUnknownError(blob.digest);
    }
    return this.backends.storage.read(current.storageKey, range);
  }

  /**
   * Where the client may fetch the blob itself, when redirects are on and the
   * storage can presign; otherwise undefined and the gateway streams it. The
   * URL is a credential: it goes into the Location header and nowhere else.
   */
  async redirectUrl(blob: BlobRecord): Promise<string | undefined> {
    const { storage } = this.backends;
    if (this.redirectSeconds === undefined || storage.presignRead === undefined) return undefined;
    return storage.presignRead(blob.storageKey, { expiresInSeconds: this.redirectSeconds });
  }

  /**
   * Removes the blob from the repository, and answers once no gateway can
   * serve it from a lookup it made before. Its bytes stay until garbage
   * collection finds that no repository holds them.
   */
  async delete(repository: string, digest: string): Promise<void> {
    let removed: boolean;
    try {
      removed = await this.backends.metadata.unlinkBlob(repository, digest);
    } finally {
      // Even when the answer was lost: the unlink may have committed.
      this.lookups.forget(repository, digest);
    }
    // A 404 waits too: the blob may have left just before (a DELETE still
    // waiting, or one whose client gave up and retries), and other gateways
    // may hold leases from before that.
    await this.lookups.outwaitLeases();
    if (!removed) throw new BlobUnknownError(digest);
  }
}
