import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { access, mkdir, open, rename, rm, writeFile } from "node:fs/promises";
import type { Readable } from "node:stream";
import {
  BackendUnavailableError,
  type BlobStorage,
  BlobUnknownError,
  type ByteRange,
  type DigestAlgorithm,
  DigestMismatchError,
  parseDigest,
  type StoredBlob,
  type StoredObject,
  UploadOffsetError,
  UploadUnknownError,
} from "@portfolio/core";
import { putViaUpload } from "../put-via-upload";
import { SerialisedUploads } from "../serialised-uploads";
import { appendToFile } from "./append";
import {
  digestOfFile,
  isNotFound,
  makeDirectoryDurably,
  READ_BUFFER_BYTES,
  sizeOf,
  syncDirectory,
  syncFile,
} from "./files";
import { asUuid, FilesystemLayout } from "./layout";
import { listStoredObjects } from "./listing";
import { RunningDigests } from "./running-digests";

export interface FilesystemBlobStorageOptions {
  /** The directory that holds staged uploads and stored blobs; created on demand. */
  root: string;
}

/**
 * Blob storage on the local filesystem, for the embedded default. The layout
 * is described in `layout.ts`. Staged bytes are hashed as they arrive; a
 * commit syncs them to disk before renaming them into place.
 */
export class FilesystemBlobStorage extends SerialisedUploads implements BlobStorage {
  private readonly layout: FilesystemLayout;
  private readonly digests = new RunningDigests();

  constructor(options: FilesystemBlobStorageOptions) {
    super();
    this.layout = new FilesystemLayout(options.root);
  }

  /** A driver over `root`, with its directories created up front so a bad root fails at start. */
  static async open(root: string): Promise<FilesystemBlobStorage> {
    const storage = new FilesystemBlobStorage({ root });
    await makeDirectoryDurably(storage.layout.uploadsDirectory);
    await makeDirectoryDurably(storage.layout.blobsDirectory);
    return storage;
  }

  async createUpload(uploadId: string): Promise<void> {
    const id = asUuid(uploadId);
    if (id === undefined) throw new TypeError(`upload id ${uploadId} is not a UUID`);

    await mkdir(this.layout.uploadsDirectory, { recursive: true });
    await writeFile(this.layout.uploadPath(id), new Uint8Array(), { flag: "wx" });
    this.digests.start(id);
  }

  async uploadSize(uploadId: string): Promise<number | undefined> {
    const id = asUuid(uploadId);
    return id === undefined ? undefined : sizeOf(this.layout.uploadPath(id));
  }

  /** An upload of its own: staging in a file costs nothing a shortcut would save. */
  async putBlob(
    body: Readable,
    digest: string,
    options?: { length?: number },
  ): Promise<StoredBlob> {
    return putViaUpload(this, body, digest, options);
  }

  async cancelUpload(uploadId: string): Promise<void> {
    const id = asUuid(uploadId);
    if (id === undefined) return;

    await this.uploads.run(id, async () => {
      await rm(this.layout.uploadPath(id), { force: true });
      this.digests.forget(id);
    });
  }

  async read(storageKey: string, range?: ByteRange): Promise<Readable> {
    const key = asUuid(storageKey);
    if (key === undefined) throw new BlobUnknownError(storageKey);

    const file = await open(this.layout.blobPath(key), "r").catch((error: unknown) => {
      throw isNotFound(error) ? new BlobUnknownError(storageKey) : error;
    });
    return file.createReadStream({
      start: range?.start,
      end: range?.end,
      highWaterMark: READ_BUFFER_BYTES,
    });
  }

  listObjects(): AsyncIterable<StoredObject> {
    return listStoredObjects(this.layout);
  }

  async delete(storageKey: string): Promise<void> {
    const key = asUuid(storageKey);
    if (key !== undefined) await rm(this.layout.blobPath(key), { force: true });
  }

  /** Waits for appends and commits under way; the driver holds nothing else open. */
  /** Storage is usable when its blobs folder can be written to. */
  async ping(): Promise<void> {
    try {
      await access(this.layout.blobsDirectory, constants.W_OK);
    } catch (error) {
      throw new BackendUnavailableError("filesystem", { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.uploads.idle();
  }

  private async stagedSize(id: string): Promise<number> {
    const size = await sizeOf(this.layout.uploadPath(id));
    if (size === undefined) throw new UploadUnknownError(id);
    return size;
  }

  protected override async appendNow(
    id: string,
    body: Readable,
    { offset, length }: { offset?: number; length?: number },
  ): Promise<number> {
    const staged = await this.stagedSize(id);
    if (offset !== undefined && offset !== staged) throw new UploadOffsetError(staged, offset);

    const hash = this.digests.continueAt(id, staged);
    try {
      const size = await appendToFile(this.layout.uploadPath(id), staged, body, {
        limit: length,
        hash,
      });
      this.digests.advance(id, size);
      return size;
    } catch (error) {
      this.digests.forget(id);
      throw error;
    }
  }

  /** An unparseable digest cannot match; it is reported against the bytes' sha256. */
  protected override async commitNow(id: string, digest: string): Promise<StoredBlob> {
    const size = await this.stagedSize(id);
    const expected = parseDigest(digest);
    const actual = await this.digestOfUpload(id, expected?.algorithm ?? "sha256", size);
    if (actual !== expected?.digest) throw new DigestMismatchError(digest, actual);

    const storageKey = randomUUID();
    await this.moveToBlobs(this.layout.uploadPath(id), storageKey);
    this.digests.forget(id);
    return { digest: actual, size, storageKey };
  }

  private async digestOfUpload(id: string, algorithm: DigestAlgorithm, size: number) {
    const running = algorithm === "sha256" ? this.digests.sha256At(id, size) : undefined;
    return running ?? digestOfFile(this.layout.uploadPath(id), algorithm);
  }

  /** Syncs the bytes first, so that after a crash the blob's name never points at a torn file. */
  private async moveToBlobs(stagedPath: string, storageKey: string): Promise<void> {
    const shard = this.layout.shardDirectory(storageKey);
    await syncFile(stagedPath);
    await makeDirectoryDurably(shard);
    await rename(stagedPath, this.layout.blobPath(storageKey));
    await syncDirectory(shard);
  }
}
