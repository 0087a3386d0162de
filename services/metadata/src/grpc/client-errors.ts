import { type Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { BackendUnavailableError } from "@portfolio/core";
import { metadataV1 } from "@portfolio/proto";
import { DETAIL_KEY, domainErrorOf } from "./domain-error-detail";

/**
 * Statuses that say the service did not answer in time or at all: the
 * channel is down, the deadline passed, or the server cancelled the call as
 * it shut down.
 */
const UNANSWERED = new Set<status>([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.CANCELLED,
]);

/**
 * The one place where the client turns a failed call back into what the
 * store behind the server threw: the domain error of the trailers when there
 * is one (so a database outage stays BackendUnavailableError("postgres")),
 * BackendUnavailableError("metadata") when the service did not answer, and a
 * plain Error otherwise (a bug on one side, which the gateway answers with 500).
 */
export function fromServiceError(error: ServiceError, method: string): Error {
  const detail = detailIn(error.metadata);
  if (detail !== undefined) return domainErrorOf(detail);
  if (UNANSWERED.has(error.code)) return new BackendUnavailableError("metadata", { cause: error });
  return new Error(`metadata ${method} failed: ${error.details}`, { cause: error });
}

function detailIn(trailers: Metadata | undefined) {
  const [encoded] = trailers?.get(DETAIL_KEY) ?? [];
  if (!Buffer.isBuffer(encoded)) return undefined;
  return metadataV1.DomainError.decode(encoded).error;
}
