import { status } from "@grpc/grpc-js";
import {
  BackendUnavailableError,
  BlobUnknownError,
  DigestMismatchError,
  type DomainError,
  ManifestInvalidError,
  ManifestReferencesUnknownError,
  ManifestUnknownError,
  RepositoryUnknownError,
  SizeMismatchError,
  UploadOffsetError,
  UploadUnknownError,
} from "@portfolio/core";
import type { metadataV1 } from "@portfolio/proto";

/**
 * How a domain error crosses the gRPC boundary: its status code, and the
 * serialized `metadataV1.DomainError` in trailing metadata under DETAIL_KEY
 * (a `-bin` key, so grpc-js carries raw bytes). KIND_KEY repeats the kind in
 * text for anyone reading the trailers without the proto.
 */
export const DETAIL_KEY = "portfolio-domain-error-bin";
export const KIND_KEY = "portfolio-domain-error-kind";

type Detail = NonNullable<metadataV1.DomainError["error"]>;

/** The status each kind travels with; unknown things are NOT_FOUND, bad input INVALID_ARGUMENT. */
const STATUS_OF_CASE: Record<Detail["$case"], status> = {
  blobUnknown: status.NOT_FOUND,
  uploadUnknown: status.NOT_FOUND,
  manifestUnknown: status.NOT_FOUND,
  repositoryUnknown: status.NOT_FOUND,
  uploadOffset: status.OUT_OF_RANGE,
  manifestReferencesUnknown: status.FAILED_PRECONDITION,
  digestMismatch: status.INVALID_ARGUMENT,
  sizeMismatch: status.INVALID_ARGUMENT,
  manifestInvalid: status.INVALID_ARGUMENT,
  backendUnavailable: status.UNAVAILABLE,
};

export function statusOf(detail: Detail): status {
  return STATUS_OF_CASE[detail.$case];
}

/** The detail of a domain error, or undefined for a kind this boundary does not know. */
export function detailOf(error: DomainError): Detail | undefined {
  if (error instanceof BlobUnknownError) {
    return { $case: "blobUnknown", blobUnknown: { digest: error.digest } };
  }
  if (error instanceof UploadUnknownError) {
    return { $case: "uploadUnknown", uploadUnknown: { uploadId: error.uploadId } };
  }
  if (error instanceof UploadOffsetError) {
    const { expectedOffset, givenOffset } = error;
    return { $case: "uploadOffset", uploadOffset: { expectedOffset, givenOffset } };
  }
  if (error instanceof DigestMismatchError) {
    const { expected, actual } = error;
    return { $case: "digestMismatch", digestMismatch: { expected, actual } };
  }
  if (error instanceof SizeMismatchError) {
    const { expected, actual } = error;
    return { $case: "sizeMismatch", sizeMismatch: { expected, actual } };
  }
  if (error instanceof ManifestUnknownError) {
    return { $case: "manifestUnknown", manifestUnknown: { reference: error.reference } };
  }
  if (error instanceof ManifestReferencesUnknownError) {
    const digests = [...error.digests];
    return { $case: "manifestReferencesUnknown", manifestReferencesUnknown: { digests } };
  }
  if (error instanceof RepositoryUnknownError) {
    return { $case: "repositoryUnknown", repositoryUnknown: { repository: error.repository } };
  }
  if (error instanceof BackendUnavailableError) {
    return { $case: "backendUnavailable", backendUnavailable: { backend: error.backend } };
  }
  if (error instanceof ManifestInvalidError) {
    return { $case: "manifestInvalid", manifestInvalid: { message: error.message } };
  }
  return undefined;
}

/** The domain error a detail describes, equal in kind and fields to the one encoded. */
export function domainErrorOf(detail: Detail): DomainError {
  switch (detail.$case) {
    case "blobUnknown":
      return new BlobUnknownError(detail.blobUnknown.digest);
    case "uploadUnknown":
      return new UploadUnknownError(detail.uploadUnknown.uploadId);
    case "uploadOffset":
      return new UploadOffsetError(
        detail.uploadOffset.expectedOffset,
        detail.uploadOffset.givenOffset,
      );
    case "digestMismatch":
      return new DigestMismatchError(detail.digestMismatch.expected, detail.digestMismatch.actual);
    case "sizeMismatch":
      return new SizeMismatchError(detail.sizeMismatch.expected, detail.sizeMismatch.actual);
    case "manifestUnknown":
      return new ManifestUnknownError(detail.manifestUnknown.reference);
    case "manifestReferencesUnknown":
      return new ManifestReferencesUnknownError(detail.manifestReferencesUnknown.digests);
    case "repositoryUnknown":
      return new RepositoryUnknownError(detail.repositoryUnknown.repository);
    case "backendUnavailable":
      return new BackendUnavailableError(detail.backendUnavailable.backend);
    case "manifestInvalid":
      return new ManifestInvalidError(detail.manifestInvalid.message);
  }
}
