import type {
  BlobRecord,
  Descriptor,
  ManifestPut,
  ManifestRecord,
  ManifestReference,
  Page,
  UploadSession,
} from "@portfolio/core";
import type { metadataV1 } from "@portfolio/proto";

/**
 * Conversions between the core value types and their messages, used by both
 * ends. Optional fields stay absent rather than becoming empty strings, and
 * keys keep the order the Postgres store gives them, since descriptors are
 * served to clients as JSON.
 */

export function blobMessage(blob: BlobRecord): metadataV1.Blob {
  return { digest: blob.digest, size: blob.size, storageKey: blob.storageKey };
}

export function blobRecord(message: metadataV1.Blob): BlobRecord {
  return { digest: message.digest, size: message.size, storageKey: message.storageKey };
}

export function uploadMessage(upload: UploadSession): metadataV1.UploadSession {
  return { ...upload };
}

export function uploadSession(message: metadataV1.UploadSession): UploadSession {
  return {
    id: message.id,
    repository: message.repository,
    createdAt: required(message.createdAt, "createdAt"),
    expiresAt: required(message.expiresAt, "expiresAt"),
  };
}

export function manifestMessage(manifest: ManifestRecord): metadataV1.Manifest {
  return { ...manifest };
}

export function manifestRecord(message: metadataV1.Manifest): ManifestRecord {
  const { repository, digest, mediaType, size, payload } = message;
  return { repository, digest, mediaType, size, payload };
}

export function putManifestRequest(put: ManifestPut): metadataV1.PutManifestRequest {
  const { annotations, ...rest } = put;
  return annotations === undefined ? rest : { ...rest, annotations: { entries: annotations } };
}

export function manifestPut(request: metadataV1.PutManifestRequest): ManifestPut {
  const put: ManifestPut = {
    repository: request.repository,
    digest: request.digest,
    mediaType: request.mediaType,
    payload: request.payload,
    blobs: request.blobs,
    children: request.children,
  };
  if (request.artifactType !== undefined) put.artifactType = request.artifactType;
  if (request.subject !== undefined) put.subject = request.subject;
  if (request.annotations !== undefined) put.annotations = { ...request.annotations.entries };
  if (request.tag !== undefined) put.tag = request.tag;
  return put;
}

export function referenceMessage(
  reference: ManifestReference,
): metadataV1.FindManifestRequest["reference"] {
  return "digest" in reference
    ? { $case: "digest", digest: reference.digest }
    : { $case: "tag", tag: reference.tag };
}

export function manifestReference(
  message: metadataV1.FindManifestRequest["reference"],
): ManifestReference {
  const reference = required(message, "reference");
  return reference.$case === "digest" ? { digest: reference.digest } : { tag: reference.tag };
}

export function descriptorMessage(descriptor: Descriptor): metadataV1.Descriptor {
  const { mediaType, digest, size, artifactType, annotations } = descriptor;
  const message: metadataV1.Descriptor = { mediaType, digest, size, artifactType };
  if (annotations !== undefined) message.annotations = { entries: annotations };
  return message;
}

export function descriptor(message: metadataV1.Descriptor): Descriptor {
  const descriptor: Descriptor = {
    mediaType: message.mediaType,
    digest: message.digest,
    size: message.size,
  };
  if (message.artifactType !== undefined) descriptor.artifactType = message.artifactType;
  if (message.annotations !== undefined)
    descriptor.annotations = { ...message.annotations.entries };
  return descriptor;
}

export function pageMessage(page: Page): metadataV1.Page {
  return { n: page.n, last: page.last };
}

export function page(message: metadataV1.Page | undefined): Page {
  const page: Page = {};
  if (message?.n !== undefined) page.n = message.n;
  if (message?.last !== undefined) page.last = message.last;
  return page;
}

/** A field proto3 cannot require but the method does; its absence is a malformed request. */
export class MissingFieldError extends Error {
  override name = "MissingFieldError";
  constructor(readonly field: string) {
    super(`${field} is required`);
  }
}

export function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new MissingFieldError(field);
  return value;
}
