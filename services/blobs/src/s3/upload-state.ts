/** One full part of an upload, as S3 acknowledged it. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
  size: number;
}

/**
 * What an upload session is, kept in S3 as `uploads/<id>/state.json` and
 * rewritten after every successful append, so that any instance of the blob
 * service can continue the upload after a restart without reading its bytes.
 *
 * The staged bytes are the parts, in order, followed by the tail object
 * `tail/<size>` holding the `size − partsBytes` bytes that do not yet fill a part.
 */
export interface UploadState {
  /** Bytes staged so far. */
  size: number;
  /**
   * The blob key the upload will be committed under; chosen up front since a
   * multipart upload targets one key.
   */
  storageKey: string;
  /** The S3 multipart upload, created with the first full part. */
  multipartUploadId?: string;
  parts: UploadedPart[];
}

export function partsBytes(state: UploadState): number {
  return state.parts.reduce((sum, part) => sum + part.size, 0);
}

export function tailBytes(state: UploadState): number {
  return state.size - partsBytes(state);
}

export function nextPartNumber(state: UploadState): number {
  return state.parts.length + 1;
}

export function serializeState(state: UploadState): string {
  return JSON.stringify(state);
}

/** Parses a state object, refusing anything that is not one rather than guessing. */
export function parseState(text: string): UploadState {
  const value = JSON.parse(text) as Partial<UploadState>;
  if (
    typeof value.size !== "number" ||
    typeof value.storageKey !== "string" ||
    !Array.isArray(value.parts)
  ) {
    throw new Error("malformed upload state");
  }
  return value as UploadState;
}
