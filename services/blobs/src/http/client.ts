import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import {
  BackendUnavailableError,
  type BlobStorage,
  type ByteRange,
  DomainError,
  type PresignOptions,
  type StoredBlob,
  type StoredObject,
  UploadOffsetError,
  UploadUnknownError,
} from "@portfolio/core";
import { type Dispatcher, errors, Pool } from "undici";
import { KeyedSerializer } from "../streams/keyed-serializer";
import { DirectReads, type DirectReadsOptions } from "./direct-reads";
import { parseListingLine } from "./objects";
import { PresignedUrls } from "./presigned-urls";
import {
  blobPath,
  commitPath,
  MINIMUM_CHUNK_LENGTH_HEADER,
  OBJECTS_PATH,
  PRESIGN_ON_STORE,
  PUT_BLOB_PATH,
  presignAsk,
  presignPath,
  REQUEST_ID_HEADER,
  rangeHeader,
  type StoredBlobAnswer,
  uploadPath,
} from "./protocol";
import { fromWireError, UnsupportedCallError } from "./wire-errors";

export interface HttpBlobStorageOptions {
  /** The blob service's base URL, e.g. http://127.0.0.1:5002. */
  url: string;
  /**
   * Connections to the blob service at most; default no limit. Each append or
   * read holds one for as long as its client takes, so a limit makes the
   * transfers beyond it wait for the slowest clients.
   */
  connections?: number | null;
  /** Deadline for the answer to a call that streams nothing; default 30 s. */
  requestTimeoutMs?: number;
  /** Deadline for a commit's answer, which may read back and sync a large blob; default 10 min. */
  commitTimeoutMs?: number;
  /** The id of the request being served, sent along so both services log it. */
  requestId?: () => string | undefined;
  /**
   * Read blobs straight from storage through presigned URLs when the
   * service's driver can make them (see DirectReads); off when absent.
   */
  directReads?: DirectReadsOptions;
  /**
   * URLs to ask for along with every blob stored, kept for the first pull
   * (the gateway's redirect URLs, when it redirects); direct reads add theirs.
   */
  presignOnStore?: PresignOptions[];
}

/**
 * The URLs this process reads with: signed for the endpoint the blob service
 * itself uses, and reused for half an hour.
 */
const REGISTRY_URLS: PresignOptions = { expiresInSeconds: 3600, audience: "registry" };

type Call = Omit<Dispatcher.RequestOptions, "origin">;

const ERROR_BODY_LIMIT = 64 * 1024;

/**
 * BlobStorage in another process: each call is one request to the blob
 * service's HTTP API (see protocol.ts and BlobServer for why HTTP). Upload
 * bodies stream through with TCP's backpressure and reads return the
 * response stream itself, so nothing is buffered whole here either.
 *
 * The service's domain errors come back as the same classes the driver threw;
 * a service that cannot be reached is BackendUnavailableError("blobs"). When
 * an append's body fails (the gateway's client went away), the request is
 * torn down and the service rolls the append back.
 */
export class HttpBlobStorage implements BlobStorage {
  private readonly pool: Pool;
  private readonly uploads = new KeyedSerializer();
  private readonly requestTimeoutMs: number;
  private readonly commitTimeoutMs: number;
  /** False once the service said it cannot presign; its driver does not change while it runs. */
  private presigns = true;
  private readonly presigned = new PresignedUrls();
  private advertisedMinimum: number | undefined;
  private readonly direct: DirectReads | undefined;

  constructor(private readonly options: HttpBlobStorageOptions) {
    this.pool = new Pool(options.url, { connections: options.connections ?? null });
    this.direct = options.directReads && new DirectReads(options.directReads);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.commitTimeoutMs = options.commitTimeoutMs ?? 600_000;
  }

  /**
   * The minimum of the driver behind the service, as its last answer gave it
   * (every answer carries it): unknown until a call has reached the service.
   * An upload start calls createUpload before the gateway reads this, so even
   * the first upload advertises it, and a service restarted over another
   * driver is seen at the next call.
   */
  get minimumChunkLength(): number | undefined {
    return this.advertisedMinimum;
  }

  async createUpload(uploadId: string): Promise<void> {
    await this.discard(this.call({ method: "POST", path: uploadPath(uploadId) }));
  }

  async uploadSize(uploadId: string): Promise<number | undefined> {
    try {
      const answer = await this.call({ method: "GET", path: uploadPath(uploadId) });
      return ((await answer.body.json()) as { size: number }).size;
    } catch (error) {
      if (error instanceof UploadUnknownError) return undefined;
      throw error;
    }
  }

  /** Appends to one upload leave this process in the order they were asked for. */
  async appendUpload(
    uploadId: string,
    body: Readable,
    options: { offset?: number; length?: number } = {},
  ): Promise<number> {
    return this.uploads.run(uploadId.toLowerCase(), () => this.appendNow(uploadId, body, options));
  }

  async commitUpload(uploadId: string, digest: string): Promise<StoredBlob> {
    const path = `${commitPath(uploadId)}?${this.storeQuery(digest)}`;
    const commit = () => this.call({ method: "POST", path, headersTimeout: this.commitTimeoutMs });
    const answer = await this.uploads.run(uploadId.toLowerCase(), commit);
    return this.stored(answer);
  }

  /**
   * One request, answered once the body has been stored: a service older than
   * this call answers route-unknown (UnsupportedCallError), so blob services
   * must be upgraded before gateways.
   */
  async putBlob(
    body: Readable,
    digest: string,
    { length }: { length?: number } = {},
  ): Promise<StoredBlob> {
    const query = this.storeQuery(digest);
    if (length !== undefined) query.set("length", String(length));
    const path = `${PUT_BLOB_PATH}?${query}`;
    const answer = await this.call({ method: "POST", path, body, headersTimeout: 0 });
    return this.stored(answer);
  }

  async cancelUpload(uploadId: string): Promise<void> {
    const cancel = () => this.call({ method: "DELETE", path: uploadPath(uploadId) });
    await this.discard(this.uploads.run(uploadId.toLowerCase(), cancel));
  }

  /**
   * The response body itself; the caller consumes or destroys it. With
   * direct reads on, the bytes come from storage itself when it can presign
   * (see DirectReads), and through the service otherwise.
   */
  async read(storageKey: string, range?: ByteRange): Promise<Readable> {
    const direct = await this.readDirectly(storageKey, range);
    if (direct !== undefined) return direct;

    const headers = range === undefined ? {} : { range: rangeHeader(range) };
    const answer = await this.call({ method: "GET", path: blobPath(storageKey), headers });
    return answer.body;
  }

  /**
   * The service's driver's URL, or undefined when it has none to give; after
   * the first such answer no more are asked for, so a gateway over a
   * filesystem blob service pays one round trip once, not on every pull.
   * A URL is reused for half its lifetime (see PresignedUrls).
   */
  async presignRead(storageKey: string, options: PresignOptions): Promise<string | undefined> {
    if (!this.presigns) return undefined;
    const known = this.presigned.get(storageKey, options);
    if (known !== undefined) return known;
    try {
      const answer = await this.call({ method: "POST", path: presignPath(storageKey, options) });
      const { url } = (await answer.body.json()) as { url: string };
      this.presigned.set(storageKey, options, url);
      return url;
    } catch (error) {
      if (!(error instanceof UnsupportedCallError)) throw error;
      this.presigns = false;
      return undefined;
    }
  }

  /**
   * The service's listing, read line by line as it streams (nothing is held
   * whole). A listing cut short throws instead of ending early, so the
   * collector never mistakes a partial listing for the whole store.
   */
  async *listObjects(): AsyncIterable<StoredObject> {
    const answer = await this.call({ method: "GET", path: OBJECTS_PATH, headersTimeout: 0 });
    if (answer.headers["x-listing"] === "unsupported") {
      await answer.body.dump();
      throw new UnsupportedCallError("the blob service's storage cannot be listed");
    }
    let ended = false;
    for await (const line of createInterface({ input: answer.body, crlfDelay: Infinity })) {
      if (line === "") continue;
      const object = parseListingLine(line);
      if (object === "end") ended = true;
      else yield object;
    }
    if (!ended) throw new Error("the blob service's listing ended early");
  }

  async delete(storageKey: string): Promise<void> {
    await this.discard(this.call({ method: "DELETE", path: blobPath(storageKey) }));
  }

  /** Ready when the service is, which includes its own storage's ping. */
  async ping(): Promise<void> {
    await this.discard(this.call({ method: "GET", path: "/readyz" }));
  }

  /** Waits for appends and commits under way, then closes the pooled connections. */
  async close(): Promise<void> {
    await this.uploads.idle();
    await Promise.all([this.pool.close(), this.direct?.close()]);
  }

  /**
   * The query of a call that stores a blob. It asks for the URLs this
   * gateway will read or redirect with, so that a pull of the new blob
   * through it needs no presign call of its own: a URL in the answer costs
   * the service a local signature, a presign call a round trip on top.
   */
  private storeQuery(digest: string): URLSearchParams {
    const query = new URLSearchParams({ digest });
    if (!this.presigns) return query;
    const asks = [...(this.options.presignOnStore ?? [])];
    if (this.direct !== undefined) asks.push(REGISTRY_URLS);
    for (const ask of asks) query.append(PRESIGN_ON_STORE, presignAsk(ask));
    return query;
  }

  /** The stored blob of a store call's answer, keeping the URLs it carries. */
  private async stored(answer: Dispatcher.ResponseData): Promise<StoredBlob> {
    const { urls = [], ...blob } = (await answer.body.json()) as StoredBlobAnswer;
    for (const { url, ...options } of urls) this.presigned.set(blob.storageKey, options, url);
    return blob;
  }

  /** The blob from storage itself, or undefined to read it through the service. */
  private async readDirectly(storageKey: string, range?: ByteRange): Promise<Readable | undefined> {
    if (this.direct === undefined || this.direct.paused) return undefined;
    const url = await this.presignRead(storageKey, REGISTRY_URLS);
    if (url === undefined) return undefined;

    const body = await this.direct.read(url, range);
    // A URL storage refused is not tried again; the next read asks for a new one.
    if (body === undefined) this.presigned.forget(storageKey, REGISTRY_URLS);
    return body;
  }

  /**
   * HTTP/1.1 would let the service refuse a wrong offset before the body
   * moves (Expect: 100-continue), but undici does not offer it; asking for
   * the size first keeps a misplaced chunk from crossing the network. The
   * service still checks the offset itself, against appends from elsewhere.
   */
  private async appendNow(
    uploadId: string,
    body: Readable,
    { offset, length }: { offset?: number; length?: number },
  ): Promise<number> {
    if (offset !== undefined) await this.expectOffset(uploadId, offset);

    const query = new URLSearchParams();
    if (offset !== undefined) query.set("offset", String(offset));
    if (length !== undefined) query.set("length", String(length));
    // The answer comes only after the whole body, however long the caller takes to send it.
    const path = query.size === 0 ? uploadPath(uploadId) : `${uploadPath(uploadId)}?${query}`;
    const answer = await this.call({ method: "PATCH", path, body, headersTimeout: 0 });
    return ((await answer.body.json()) as { size: number }).size;
  }

  private async expectOffset(uploadId: string, offset: number): Promise<void> {
    const size = await this.uploadSize(uploadId);
    if (size === undefined) throw new UploadUnknownError(uploadId);
    if (size !== offset) throw new UploadOffsetError(size, offset);
  }

  /** Sends one request and answers its successful response; every failure is translated here. */
  private async call(call: Call): Promise<Dispatcher.ResponseData> {
    const answer = await this.pool
      .request({
        headersTimeout: this.requestTimeoutMs,
        bodyTimeout: this.requestTimeoutMs,
        ...call,
        headers: { ...call.headers, ...this.requestIdHeader() },
      })
      .catch((error: unknown) => {
        throw asTransportFailure(error);
      });
    this.advertisedMinimum = minimumChunkLengthOf(answer.headers);
    if (answer.statusCode < 400) return answer;

    throw fromWireError(answer.statusCode, await readErrorBody(answer.body));
  }

  private async discard(answer: Promise<Dispatcher.ResponseData>): Promise<void> {
    await (await answer).body.dump();
  }

  private requestIdHeader(): Record<string, string> {
    const id = this.options.requestId?.();
    return id === undefined ? {} : { [REQUEST_ID_HEADER]: id };
  }
}

/**
 * Undici's own errors and socket errors mean the service could not be
 * reached or went away mid-call. Anything else, such as the error an
 * append's body failed with, is the caller's and is passed on as it is.
 */
function asTransportFailure(error: unknown): unknown {
  if (error instanceof DomainError || error instanceof errors.RequestAbortedError) return error;
  const systemError = typeof (error as NodeJS.ErrnoException).syscall === "string";
  if (error instanceof errors.UndiciError || systemError) {
    return new BackendUnavailableError("blobs", { cause: error });
  }
  return error;
}

/** The service's driver's minimum chunk length; undefined when absent or not a positive count. */
function minimumChunkLengthOf(headers: Dispatcher.ResponseData["headers"]): number | undefined {
  const value = Number(headers[MINIMUM_CHUNK_LENGTH_HEADER]);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** The JSON of an error answer, read up to a bound; undefined when it is not JSON. */
async function readErrorBody(body: Dispatcher.ResponseData["body"]): Promise<unknown> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    bytes += chunk.length;
    if (bytes > ERROR_BODY_LIMIT) break;
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return undefined;
  }
}
