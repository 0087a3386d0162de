import type { Readable } from "node:stream";
import { type BlobRecord, BlobUnknownError, type ByteRange } from "@portfolio/core";
import { type BlobLeaseOptions, BlobLookups } from "./blob-lookups";
import type { RegistryBackends } from "./registry";

/** Reading and deleting the blobs of a repository. */
export class BlobService {
  private readonly lookups: BlobLookups;

  constructor(
    private readonly backends: RegistryBackends,
    leases: BlobLeaseOptions,
    private readonly redirectSeconds?: number,
  ) {
    this.lookups = new BlobLookups(backends.metadata, leases);
  }

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
      // Bytes collected after a lease was taken: the next pull asks again.
      if (error instanceof BlobUnknownError) this.lookups.forget(repository, blob.digest);
      throw error;
    }
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
    const removed = await this.backends.metadata.unlinkBlob(repository, digest);
    this.lookups.forget(repository, digest);
    if (!removed) throw new BlobUnknownError(digest);
    await this.lookups.outwaitLeases();
  }
}
