import { Metadata, type StatusObject, status } from "@grpc/grpc-js";
import { BackendUnavailableError, DomainError } from "@portfolio/core";
import { metadataV1 } from "@portfolio/proto";
import { DETAIL_KEY, detailOf, KIND_KEY, statusOf } from "./domain-error-detail";
import { MissingFieldError } from "./messages";

/** A failed call as it goes back to the client, and how loudly to log it. */
export interface CallFailure {
  status: Pick<StatusObject, "code" | "details" | "metadata">;
  /** Refusals the caller can act on are `info`; failures of the service are `error`. */
  level: "info" | "error";
}

/**
 * The one place where the server turns what a store threw into a gRPC status.
 * Domain errors keep their kind and fields in trailing metadata; anything else
 * is a fault of this service and leaves as INTERNAL without its message.
 */
export function toCallFailure(error: unknown): CallFailure {
  if (error instanceof MissingFieldError) {
    return failure(status.INVALID_ARGUMENT, error.message, new Metadata(), "info");
  }
  const detail = error instanceof DomainError ? detailOf(error) : undefined;
  if (detail === undefined || !(error instanceof DomainError)) {
    return failure(status.INTERNAL, "internal error", new Metadata(), "error");
  }

  const trailers = new Metadata();
  trailers.set(KIND_KEY, error.kind);
  trailers.set(DETAIL_KEY, Buffer.from(metadataV1.DomainError.encode({ error: detail }).finish()));
  const level = error instanceof BackendUnavailableError ? "error" : "info";
  return failure(statusOf(detail), error.message, trailers, level);
}

function failure(
  code: status,
  details: string,
  metadata: Metadata,
  level: CallFailure["level"],
): CallFailure {
  return { status: { code, details, metadata }, level };
}
