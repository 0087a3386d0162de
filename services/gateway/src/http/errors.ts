import {
  BackendUnavailableError,
  BlobUnknownError,
  DigestMismatchError,
  DomainError,
  ManifestInvalidError,
  ManifestReferencesUnknownError,
  ManifestUnknownError,
  OciError,
  RepositoryUnknownError,
  SizeMismatchError,
  UploadOffsetError,
  UploadUnknownError,
} from "@portfolio/core";

/**
 * Translates what the stores below raise into the spec's errors: the one
 * place where domain errors meet HTTP. Returns undefined for anything else,
 * which the error handler answers with a 500.
 */
export function toOciError(error: unknown): OciError | undefined {
  if (error instanceof OciError) return error;
  if (!(error instanceof DomainError)) return undefined;

  if (error instanceof BlobUnknownError)
    return new OciError("BLOB_UNKNOWN", undefined, { digest: error.digest });
  if (error instanceof UploadUnknownError) return new OciError("BLOB_UPLOAD_UNKNOWN");
  if (error instanceof UploadOffsetError) return outOfOrderChunk(error);
  if (error instanceof DigestMismatchError) {
    return new OciError("DIGEST_INVALID", error.message, {
      expected: error.expected,
      actual: error.actual,
    });
  }
  if (error instanceof SizeMismatchError) return new OciError("SIZE_INVALID", error.message);
  if (error instanceof ManifestUnknownError) return new OciError("MANIFEST_UNKNOWN");
  if (error instanceof ManifestInvalidError) return new OciError("MANIFEST_INVALID", error.message);
  if (error instanceof ManifestReferencesUnknownError) {
    return new OciError("MANIFEST_BLOB_UNKNOWN", error.message, { digests: error.digests });
  }
  if (error instanceof RepositoryUnknownError) return new OciError("NAME_UNKNOWN");
  if (error instanceof BackendUnavailableError) {
    return new OciError("UNAVAILABLE", undefined, undefined, { headers: { "retry-after": "5" } });
  }
  return undefined;
}

/** Spec: an out-of-order chunk is answered 416, with the Range the upload holds. */
function outOfOrderChunk(error: UploadOffsetError): OciError {
  return new OciError("BLOB_UPLOAD_INVALID", error.message, undefined, {
    status: 416,
    headers: { range: uploadRange(error.expectedOffset) },
  });
}

/** The upload `Range` header: inclusive, without a unit; `0-0` for an empty upload. */
export function uploadRange(size: number): string {
  return `0-${Math.max(size - 1, 0)}`;
}
