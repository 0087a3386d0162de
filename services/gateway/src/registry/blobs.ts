import type { Readable } from "node:stream";
import { type BlobRecord, BlobUnknownError, type ByteRange } from "@portfolio/core";
import type { RegistryBackends } from "./registry";

/** Reading and deleting the blobs of a repository. */
export class BlobService {
  constructor(
    private readonly backends: RegistryBackends,
    private readonly redirectSeconds?: number,
  ) {}

  /** The blob if the repository holds it; throws BlobUnknownError otherwise. */
  async stat(repository: string, digest: string): Promise<BlobRecord> {
    const blob = await this.backends.metadata.findBlob(repository, digest);
    if (!blob) throw new BlobUnknownError(digest);
    return blob;
  }

  open(blob: BlobRecord, range?: ByteRange): Promise<Readable> {
    return this.backends.storage.read(blob.storageKey, range);
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
   * Removes the blob from the repository. Its bytes stay until garbage
   * collection finds that no repository holds them.
   */
  async delete(repository: string, digest: string): Promise<void> {
    const removed = await this.backends.metadata.unlinkBlob(repository, digest);
    if (!removed) throw new BlobUnknownError(digest);
  }
}
