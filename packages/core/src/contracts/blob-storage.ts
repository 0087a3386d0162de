import type { Readable } from "node:stream";

/** The bytes of a committed upload, now stored under their own key. */
export interface StoredBlob {
  digest: string;
  size: number;
  storageKey: string;
}

/**
 * An object as a storage listing reports it: the bytes of a blob under its
 * storage key, or the bytes staged by an upload under its upload id.
 */
export interface StoredObject {
  kind: "blob" | "upload";
  /** The storage key (kind blob) or the upload id (kind upload). */
  key: string;
  /** Bytes held; for an upload, those the listing can see. */
  size: number;
  /** When the object was last written. */
  modifiedAt: Date;
}

/** An inclusive byte range, already checked against the blob's size. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Bulk bytes: resumable uploads and stored blobs. Upload bytes are staged
 * under the upload session's id and become a blob only through `commitUpload`,
 * which verifies the digest first; nothing partial is ever readable as a blob.
 *
 * Storage knows nothing of repositories: metadata decides who may read what.
 */
export interface BlobStorage {
  /**
   * The smallest chunk, except the last, that the backend stores efficiently
   * (S3 multipart parts); the gateway advertises it as OCI-Chunk-Min-Length.
   * Absent when any chunk size will do. Storage in another process
   * (HttpBlobStorage) knows it only once a call has reached that process, so
   * read it after a call such as createUpload, not before the first one.
   */
  readonly minimumChunkLength?: number;

  /** Prepares staging for a new upload session. */
  createUpload(uploadId: string): Promise<void>;

  /** Bytes staged so far, or undefined when the upload is unknown. */
  uploadSize(uploadId: string): Promise<number | undefined>;

  /**
   * Appends `body` to the staged bytes and returns the new size. When `offset`
   * is given it must equal the staged size, else UploadOffsetError and nothing
   * is written. `length`, when known, must match the bytes received, else
   * SizeMismatchError and the upload is left as it was. Appends to one upload
   * are serialised. Throws UploadUnknownError for an unknown upload.
   */
  appendUpload(
    uploadId: string,
    body: Readable,
    options?: { offset?: number; length?: number },
  ): Promise<number>;

  /**
   * Verifies that the staged bytes have `digest` (sha256 or sha512) and moves
   * them under a new storage key. Throws DigestMismatchError, leaving the
   * upload in place so the client may retry.
   */
  commitUpload(uploadId: string, digest: string): Promise<StoredBlob>;

  /**
   * Stores `body` as a new blob in one call: what createUpload, one
   * appendUpload and commitUpload do together, for a push whose upload would
   * live only for one request (a monolithic POST ?digest=). With no session
   * to resume, nothing need be staged where another instance could find it,
   * which lets a driver skip its bookkeeping. Throws DigestMismatchError or,
   * when `length` is given and the body differs, SizeMismatchError; on any
   * failure nothing is left stored. Absent where staging costs nothing extra.
   */
  putBlob?(body: Readable, digest: string, options?: { length?: number }): Promise<StoredBlob>;

  /** Discards an upload's staged bytes; unknown uploads are ignored. */
  cancelUpload(uploadId: string): Promise<void>;

  /** Streams a stored blob, or the inclusive range of it. */
  read(storageKey: string, range?: ByteRange): Promise<Readable>;

  /**
   * A URL from which anyone holding it may GET the stored blob (and ranges of
   * it, with a Range header) for the next `expiresInSeconds`, without passing
   * through the registry; undefined when this storage cannot make one. Lets
   * pulls go straight to the object store. The URL is a bearer credential:
   * it must never be logged. Nothing is checked: a URL for missing bytes
   * simply answers 404 when used. Absent where storage has no such URLs.
   *
   * `audience` says who will use it: registry clients (the default), who may
   * reach the store under another name than the registry's own processes do,
   * or those processes themselves (a gateway reading the bytes directly).
   */
  presignRead?(storageKey: string, options: PresignOptions): Promise<string | undefined>;

  /**
   * Every stored blob and staged upload, in no particular order, for the
   * garbage collector to find what a crash left without metadata. Objects
   * written while the listing runs may or may not appear. Absent where
   * storage cannot be listed; the collector then sweeps metadata only.
   */
  listObjects?(): AsyncIterable<StoredObject>;

  /** Deletes stored bytes; unknown keys are ignored. */
  delete(storageKey: string): Promise<void>;

  /** Resolves when storage can be used; throws BackendUnavailableError if not. */
  ping(): Promise<void>;

  close(): Promise<void>;
}

/** Options of BlobStorage.presignRead. */
export interface PresignOptions {
  expiresInSeconds: number;
  /** Default "clients". */
  audience?: PresignAudience;
}

export type PresignAudience = "clients" | "registry";
