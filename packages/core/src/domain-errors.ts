/**
 * Errors the stores below the gateway raise. They say what went wrong in the
 * registry's own terms; each boundary (gateway, and later the gRPC and stream
 * clients) translates them in one place.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: string;
}

export class BlobUnknownError extends DomainError {
  readonly kind = "blob-unknown";
  constructor(readonly digest: string) {
    super(`blob ${digest} is unknown`);
  }
}

export class UploadUnknownError extends DomainError {
  readonly kind = "upload-unknown";
  constructor(readonly uploadId: string) {
    super(`upload ${uploadId} is unknown`);
  }
}

/** A chunk that does not start where the upload's stored bytes end. */
export class UploadOffsetError extends DomainError {
  readonly kind = "upload-offset";
  constructor(
    readonly expectedOffset: number,
    readonly givenOffset: number,
  ) {
    super(`chunk starts at ${givenOffset}, the upload holds ${expectedOffset} bytes`);
  }
}

export class DigestMismatchError extends DomainError {
  readonly kind = "digest-mismatch";
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`content digest ${actual} does not match ${expected}`);
  }
}

export class SizeMismatchError extends DomainError {
  readonly kind = "size-mismatch";
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`received ${actual} bytes, expected ${expected}`);
  }
}

export class ManifestUnknownError extends DomainError {
  readonly kind = "manifest-unknown";
  constructor(readonly reference: string) {
    super(`manifest ${reference} is unknown`);
  }
}

/** A manifest names blobs or child manifests that its repository does not have. */
export class ManifestReferencesUnknownError extends DomainError {
  readonly kind = "manifest-references-unknown";
  constructor(readonly digests: readonly string[]) {
    super(`manifest references unknown content: ${digests.join(", ")}`);
  }
}

export class RepositoryUnknownError extends DomainError {
  readonly kind = "repository-unknown";
  constructor(readonly repository: string) {
    super(`repository ${repository} is unknown`);
  }
}

/** A backend (database, object store) that cannot answer right now. */
export class BackendUnavailableError extends DomainError {
  readonly kind = "backend-unavailable";
  constructor(
    readonly backend: string,
    options?: { cause?: unknown },
  ) {
    super(`${backend} is unavailable`, options);
  }
}

/** A manifest body that is not a manifest this registry accepts. */
export class ManifestInvalidError extends DomainError {
  readonly kind = "manifest-invalid";
}
