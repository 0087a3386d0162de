import type { ByteRange, PresignAudience, PresignOptions, StoredBlob } from "@portfolio/core";

/*
 * The blob service's HTTP API, shared by server and client so the two cannot drift:
 *
 *   POST   /uploads/:id                    create an upload session            201
 *   GET    /uploads/:id  (HEAD too)        {"size": n}, size also in a header  200
 *   PATCH  /uploads/:id?offset=&length=    append the streamed body            200 {"size": n}
 *   POST   /uploads/:id/commit?digest=     verify and store                    201 StoredBlob
 *   DELETE /uploads/:id                    cancel                              204
 *   POST   /blobs?digest=&length=          store the streamed body as a blob   201 StoredBlob
 *                                          (no session; see BlobStorage.putBlob)
 *   GET    /blobs/:key   (Range: bytes=a-b) the blob's bytes                    200 or 206
 *   DELETE /blobs/:key                     delete                              204
 *   POST   /blobs/:key/presign?expires=s   a URL to GET the blob from directly 200 {"url": u}
 *          &audience=clients|registry      (501 when the driver cannot make one)
 *   GET    /objects                        every stored object, NDJSON         200
 *                                          (see objects.ts; for the garbage collector)
 *   GET    /healthz, /readyz               liveness, and the driver's ping     200 or 503
 *   GET    /metrics                        Prometheus text (metrics/)          200
 *
 * The two calls that store a blob (commit, POST /blobs) also take
 * `presign=audience:seconds`, repeated: the answer then carries `urls`, one
 * presigned URL of the new blob per ask, when the driver can make them. A
 * gateway keeps them, so that the first pull of a blob it stored (read
 * directly, or redirected) needs no presign call of its own.
 *
 * Failures answer `{kind, message, ...fields}` (see wire-errors.ts). Every
 * answer carries the driver's minimum chunk length, when it has one, in
 * MINIMUM_CHUNK_LENGTH_HEADER, so clients learn it without a call of its own.
 */

export const REQUEST_ID_HEADER = "x-request-id";
export const UPLOAD_SIZE_HEADER = "x-upload-size";
export const MINIMUM_CHUNK_LENGTH_HEADER = "x-minimum-chunk-length";

export function uploadPath(uploadId: string): string {
  return `/uploads/${encodeURIComponent(uploadId)}`;
}

export function commitPath(uploadId: string): string {
  return `${uploadPath(uploadId)}/commit`;
}

export const PUT_BLOB_PATH = "/blobs";

export const OBJECTS_PATH = "/objects";

export function blobPath(storageKey: string): string {
  return `/blobs/${encodeURIComponent(storageKey)}`;
}

export function presignPath(
  storageKey: string,
  { expiresInSeconds, audience = "clients" }: PresignOptions,
): string {
  const query = new URLSearchParams({ expires: `${expiresInSeconds}`, audience });
  return `${blobPath(storageKey)}/presign?${query}`;
}

export const PRESIGN_ON_STORE = "presign";

/** What commit and POST /blobs answer: the stored blob, and the URLs asked for. */
export interface StoredBlobAnswer extends StoredBlob {
  urls?: Array<PresignOptions & { url: string }>;
}

/** One `presign` value of a store call. */
export function presignAsk({ audience = "clients", expiresInSeconds }: PresignOptions): string {
  return `${audience}:${expiresInSeconds}`;
}

/** A `presign` value back into its options; undefined when it is not one. */
export function parsePresignAsk(value: string): Required<PresignOptions> | undefined {
  const match = /^(\w+):(\d{1,7})$/.exec(value);
  const audience = match?.[1];
  if (match === null || !isPresignAudience(audience)) return undefined;
  return { audience, expiresInSeconds: Number(match[2]) };
}

/** The `audience` of a presign call; "clients" when absent. */
export function presignAudience(value: string | null): PresignAudience {
  if (value === null) return "clients";
  if (isPresignAudience(value)) return value;
  throw new TypeError(`audience must be clients or registry, not ${value}`);
}

function isPresignAudience(value: string | undefined): value is PresignAudience {
  return value === "clients" || value === "registry";
}

/** An HTTP Range header for an inclusive byte range (RFC 9110, section 14.1.2). */
export function rangeHeader(range: ByteRange): string {
  return `bytes=${range.start}-${range.end}`;
}

/** The single closed range the client sends, or undefined for anything else. */
export function parseRangeHeader(value: string): ByteRange | undefined {
  const match = /^bytes=(\d+)-(\d+)$/.exec(value);
  if (match === null) return undefined;

  const start = Number(match[1]);
  const end = Number(match[2]);
  return start <= end && Number.isSafeInteger(end) ? { start, end } : undefined;
}
