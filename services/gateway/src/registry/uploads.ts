import { Readable } from "node:stream";
import {
  type BlobRecord,
  type StoredBlob,
  UploadOffsetError,
  type UploadSession,
  UploadUnknownError,
} from "@portfolio/core";
import type { BlobLookups } from "./blob-lookups";
import type { RegistryBackends } from "./registry";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface Chunk {
  body: Readable;
  /** Where the chunk starts, from Content-Range; absent for a streamed append. */
  offset?: number;
  /** The chunk's length, from Content-Length or Content-Range, when known. */
  length?: number;
}

/**
 * The push sequence for blobs. A session is recorded in metadata and its bytes
 * are staged in blob storage under the session id. Completing it verifies the
 * digest in storage, moves the bytes under a fresh storage key, then records
 * the blob and links it to the repository in one metadata transaction: only
 * then is the blob visible. When another upload recorded the same digest
 * first, its bytes win and ours are deleted, so each blob is stored once.
 */
export class UploadService {
  constructor(
    private readonly backends: RegistryBackends,
    private readonly ttlMs: number,
    private readonly lookups: BlobLookups,
  ) {}

  async start(repository: string): Promise<UploadSession> {
    const expiresAt = new Date(Date.now() + this.ttlMs);
    const session = await this.backends.metadata.createUpload(repository, expiresAt);
    await this.backends.storage.createUpload(session.id);
    return session;
  }

  /** Bytes received so far; throws UploadUnknownError. */
  async size(repository: string, id: string): Promise<number> {
    await this.session(repository, id);
    const size = await this.backends.storage.uploadSize(id);
    if (size === undefined) throw new UploadUnknownError(id);
    return size;
  }

  /** Appends a chunk and returns the new size. */
  async append(repository: string, id: string, chunk: Chunk): Promise<number> {
    await this.session(repository, id);
    return this.backends.storage.appendUpload(id, chunk.body, chunk);
  }

  /** Appends the last chunk, if any, then verifies and publishes the blob. */
  async complete(
    repository: string,
    id: string,
    digest: string,
    lastChunk?: Chunk,
  ): Promise<BlobRecord> {
    await this.session(repository, id);
    if (lastChunk) await this.backends.storage.appendUpload(id, lastChunk.body, lastChunk);

    const stored = await this.backends.storage.commitUpload(id, digest);
    const blob = await this.publish(repository, stored);
    await this.backends.metadata.deleteUpload(repository, id);
    return blob;
  }

  /**
   * A monolithic push: the blob in one request. When storage can put a blob
   * in one call, no session is recorded at all, since none could outlive the
   * request: one storage call and one metadata call instead of three and four.
   * Otherwise it is a session started, completed and, on failure, cancelled.
   */
  async put(repository: string, digest: string, body?: Chunk): Promise<BlobRecord> {
    const { storage } = this.backends;
    if (storage.putBlob === undefined) return this.putInSession(repository, digest, body);

    if (body?.offset !== undefined && body.offset !== 0) {
      throw new UploadOffsetError(0, body.offset);
    }
    const stored = body
      ? await storage.putBlob(body.body, digest, { length: body.length })
      : await storage.putBlob(Readable.from([]), digest, { length: 0 });
    try {
      return await this.publish(repository, stored);
    } catch (error) {
      // Bytes that no record names would never be collected.
      await storage.delete(stored.storageKey).catch(() => undefined);
      throw error;
    }
  }

  async cancel(repository: string, id: string): Promise<void> {
    await this.session(repository, id);
    await this.backends.metadata.deleteUpload(repository, id);
    await this.backends.storage.cancelUpload(id);
  }

  /** Links a blob from another repository; undefined when it cannot be mounted. */
  async mount(repository: string, digest: string, from?: string): Promise<BlobRecord | undefined> {
    const sent = this.lookups.changeSent();
    const blob = await this.backends.metadata.mountBlob(repository, digest, from);
    if (blob === undefined) this.lookups.forget(repository, digest);
    else this.lookups.learn(repository, blob, sent);
    return blob;
  }

  private async putInSession(repository: string, digest: string, body?: Chunk) {
    const session = await this.start(repository);
    try {
      return await this.complete(repository, session.id, digest, body);
    } catch (error) {
      await this.cancel(repository, session.id);
      throw error;
    }
  }

  /** Records the stored bytes as the blob, unless another upload's bytes won: then ours go. */
  private async publish(repository: string, stored: StoredBlob): Promise<BlobRecord> {
    const sent = this.lookups.changeSent();
    const blob = await this.backends.metadata.commitBlob(repository, stored);
    this.lookups.learn(repository, blob, sent);
    if (blob.storageKey !== stored.storageKey) {
      await this.backends.storage.delete(stored.storageKey);
    }
    return blob;
  }

  private async session(repository: string, id: string): Promise<UploadSession> {
    if (!UUID.test(id)) throw new UploadUnknownError(id);
    const session = await this.backends.metadata.findUpload(repository, id);
    if (!session) throw new UploadUnknownError(id);
    return session;
  }
}
