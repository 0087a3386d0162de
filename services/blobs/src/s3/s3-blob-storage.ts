import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import {
  BackendUnavailableError,
  type BlobStorage,
  BlobUnknownError,
  type ByteRange,
  DigestMismatchError,
  type PresignOptions,
  parseDigest,
  type StoredBlob,
  type StoredObject,
  UploadOffsetError,
  UploadUnknownError,
} from "@portfolio/core";
import { asUuid } from "../filesystem/layout";
import { SerialisedUploads } from "../serialised-uploads";
import { type AppendContext, appendToUpload } from "./append";
import { createS3Client, type S3ConnectionOptions } from "./client";
import { assembleBlob, digestByReading, restage } from "./commit";
import { S3Layout } from "./layout";
import { listStoredObjects } from "./listing";
import { BASE_PART_BYTES } from "./part-sizes";
import { Presigner } from "./presigner";
import { putBlob } from "./put-blob";
import { RunningSha256 } from "./running-sha256";
import { S3Objects } from "./s3-objects";
import type { UploadState } from "./upload-state";
import { UploadStates } from "./upload-states";

export interface S3BlobStorageOptions extends S3ConnectionOptions {
  bucket: string;
  /** Prepended to every key (e.g. "registry/"), so that one bucket can hold several stores. */
  prefix?: string;
  /**
   * The endpoint that registry clients reach the store at, when it differs
   * from `endpoint`; used only to sign the URLs of `presignRead`.
   */
  publicEndpoint?: string;
}

/**
 * Blob storage in an S3-compatible object store. The key layout is described
 * in `layout.ts`, the upload's saved state in `upload-state.ts`.
 *
 * Uploads are S3 multipart uploads that complete straight into the blob's
 * key, so a commit copies no bytes. Appends are serialised per upload within
 * this process; the gateway must send one upload's requests to one instance
 * at a time (as it does: an upload's chunks arrive in order).
 */
export class S3BlobStorage extends SerialisedUploads implements BlobStorage {
  /** Chunks below one part are accepted, but each costs a re-read of the tail. */
  readonly minimumChunkLength = BASE_PART_BYTES;

  private readonly client: S3Client;
  /** Its own client only when it signs for another endpoint; else `client`. */
  private readonly signingClient: S3Client;
  /** Signs for the endpoint registry clients reach (PORTFOLIO_S3_PUBLIC_ENDPOINT when set). */
  private readonly presigner: Presigner;
  /** Signs for the endpoint this process uses, for Portfolio's own processes. */
  private readonly registryPresigner: Presigner;
  private readonly context: AppendContext;
  private readonly digests = new RunningSha256();

  constructor(options: S3BlobStorageOptions) {
    super();
    this.client = createS3Client(options);
    const { publicEndpoint } = options;
    this.signingClient = publicEndpoint
      ? createS3Client({ ...options, endpoint: publicEndpoint })
      : this.client;
    this.presigner = new Presigner(this.signingClient, options.bucket);
    this.registryPresigner = new Presigner(this.client, options.bucket);
    const objects = new S3Objects(this.client, options.bucket);
    const layout = new S3Layout(options.prefix);
    this.context = { objects, layout, states: new UploadStates(objects, layout) };
  }

  async createUpload(uploadId: string): Promise<void> {
    const id = asUuid(uploadId);
    if (id === undefined) throw new TypeError(`upload id ${uploadId} is not a UUID`);

    await this.context.states.save(id, { size: 0, storageKey: randomUUID(), parts: [] });
    this.digests.start(id);
  }

  async uploadSize(uploadId: string): Promise<number | undefined> {
    const id = asUuid(uploadId);
    return id === undefined ? undefined : (await this.context.states.load(id))?.size;
  }

  /** See put-blob.ts: a blob pushed in one request skips the upload's state and tail. */
  async putBlob(
    body: Readable,
    digest: string,
    options: { length?: number } = {},
  ): Promise<StoredBlob> {
    const { objects, layout } = this.context;
    // Under a key of its own, only so that close() waits for it too.
    return this.uploads.run(randomUUID(), () => putBlob(objects, layout, body, digest, options));
  }

  async cancelUpload(uploadId: string): Promise<void> {
    const id = asUuid(uploadId);
    if (id === undefined) return;

    await this.uploads.run(id, async () => {
      const state = await this.context.states.load(id);
      await this.context.states.remove(id);
      this.digests.forget(id);
      if (state?.multipartUploadId !== undefined) {
        const blobKey = this.context.layout.blobKey(state.storageKey);
        await this.context.objects.abortMultipart(blobKey, state.multipartUploadId);
      }
      await this.context.objects.deletePrefix(this.context.layout.uploadPrefix(id));
    });
  }

  async read(storageKey: string, range?: ByteRange): Promise<Readable> {
    const key = asUuid(storageKey);
    const stream = key && (await this.context.objects.get(this.context.layout.blobKey(key), range));
    if (!stream) throw new BlobUnknownError(storageKey);
    return stream;
  }

  /** A presigned GetObject URL, signed locally; S3 honours Range on it. */
  async presignRead(
    storageKey: string,
    { expiresInSeconds, audience = "clients" }: PresignOptions,
  ): Promise<string> {
    const key = asUuid(storageKey);
    if (key === undefined) throw new BlobUnknownError(storageKey);
    const presigner = audience === "registry" ? this.registryPresigner : this.presigner;
    return presigner.getUrl(this.context.layout.blobKey(key), expiresInSeconds);
  }

  listObjects(): AsyncIterable<StoredObject> {
    return listStoredObjects(this.context.objects, this.context.layout);
  }

  async delete(storageKey: string): Promise<void> {
    const key = asUuid(storageKey);
    if (key !== undefined) await this.context.objects.delete(this.context.layout.blobKey(key));
  }

  /** Storage is usable when the bucket answers with these credentials. */
  async ping(): Promise<void> {
    try {
      await this.context.objects.headBucket();
    } catch (error) {
      if (error instanceof BackendUnavailableError) throw error;
      throw new BackendUnavailableError("s3", { cause: error });
    }
  }

  /** Waits for appends, commits and puts under way, then closes the client's connections. */
  async close(): Promise<void> {
    await this.uploads.idle();
    this.client.destroy();
    if (this.signingClient !== this.client) this.signingClient.destroy();
  }

  private async stateOf(id: string): Promise<UploadState> {
    const state = await this.context.states.load(id);
    if (state === undefined) throw new UploadUnknownError(id);
    return state;
  }

  protected override async appendNow(
    id: string,
    body: Readable,
    { offset, length }: { offset?: number; length?: number },
  ): Promise<number> {
    const state = await this.stateOf(id);
    if (offset !== undefined && offset !== state.size) {
      throw new UploadOffsetError(state.size, offset);
    }

    const pending = this.digests.beginAppend(id, state.size);
    const after = await appendToUpload(this.context, id, state, body, {
      length,
      hash: pending?.hash,
    });
    pending?.done(after.size);
    return after.size;
  }

  /**
   * Verifies the digest and completes the blob. With the running sha256 at
   * hand a wrong digest is refused before anything moves. Otherwise (a
   * sha512 digest, or an upload begun before a restart) the blob is assembled
   * first and read back once; if its digest is refused, it is turned back into
   * a resumable upload (see `restage`). An unparseable digest is reported
   * against the bytes' sha256.
   */
  protected override async commitNow(id: string, digest: string): Promise<StoredBlob> {
    const state = await this.stateOf(id);
    const expected = parseDigest(digest);
    const algorithm = expected?.algorithm ?? "sha256";
    const running = algorithm === "sha256" ? this.digests.digestAt(id, state.size) : undefined;
    if (running !== undefined && running !== expected?.digest) {
      throw new DigestMismatchError(digest, running);
    }

    await assembleBlob(this.context, id, state);
    if (running === undefined) {
      const read = await digestByReading(this.context, state.storageKey, algorithm);
      if (read.digest !== expected?.digest) {
        const restaged = await restage(this.context, id, state);
        this.digests.start(id, read.sha256, restaged.size);
        throw new DigestMismatchError(digest, read.digest);
      }
    }

    await this.forgetUpload(id);
    return { digest, size: state.size, storageKey: state.storageKey };
  }

  /** Removes a committed upload's state first, so that it can never be committed twice. */
  private async forgetUpload(id: string): Promise<void> {
    this.digests.forget(id);
    await this.context.states.remove(id);
    await this.context.objects.deletePrefix(this.context.layout.uploadPrefix(id));
  }
}
