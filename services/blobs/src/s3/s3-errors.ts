import { BackendUnavailableError } from "@portfolio/core";

/** S3 error codes that mean the object, or the multipart upload, is not there. */
const NOT_FOUND = new Set(["NoSuchKey", "NotFound", "NoSuchUpload"]);

/** Network failures that mean S3 could not be reached or did not answer. */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EPIPE",
  "ETIMEDOUT",
  "TimeoutError",
]);

/**
 * 409s a store answers while another request on a neighbouring key is under
 * way: S3's own OperationAborted ("try again"), and versitygw's posix
 * backend's ExistingObjectIsDirectory, seen (once in ~400 pushes) when a put
 * under uploads/<id>/ races the removal of another upload's emptied folder.
 * The request is not at fault: worth a retry, and unavailable if they persist.
 */
const CONFLICTS = new Set(["OperationAborted", "ExistingObjectIsDirectory"]);

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

export function isNotFound(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as SdkError;
  return NOT_FOUND.has(name ?? "") || $metadata?.httpStatusCode === 404;
}

export function isTransientConflict(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as SdkError;
  return $metadata?.httpStatusCode === 409 && CONFLICTS.has(name ?? "");
}

/**
 * The one place S3 failures become domain errors: an unreachable or failing
 * server (network errors, 5xx, throttling, conflicts that persist) is
 * BackendUnavailableError("s3"); anything else, such as a refused signature,
 * is a fault and passes unchanged.
 */
export function translateS3Error(error: unknown): unknown {
  const { name, code, $metadata } = (error ?? {}) as SdkError;
  const status = $metadata?.httpStatusCode ?? 0;
  const unreachable = UNREACHABLE.has(code ?? "") || UNREACHABLE.has(name ?? "");
  const failing = status >= 500 || status === 429 || name === "SlowDown";
  if (unreachable || failing || isTransientConflict(error)) {
    return new BackendUnavailableError("s3", { cause: error });
  }
  return error;
}
