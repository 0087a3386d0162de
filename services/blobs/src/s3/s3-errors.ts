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

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

export function isNotFound(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as SdkError;
  return NOT_FOUND.has(name ?? "") || $metadata?.httpStatusCode === 404;
}

/**
 * The one place S3 failures become domain errors: an unreachable or failing
 * server (network errors, 5xx, throttling) is BackendUnavailableError("s3");
 * anything else, such as a refused signature, is a fault and passes unchanged.
 */
export function translateS3Error(error: unknown): unknown {
  const { name, code, $metadata } = (error ?? {}) as SdkError;
  const status = $metadata?.httpStatusCode ?? 0;
  const unreachable = UNREACHABLE.has(code ?? "") || UNREACHABLE.has(name ?? "");
  if (unreachable || status >= 500 || status === 429 || name === "SlowDown") {
    return new BackendUnavailableError("s3", { cause: error });
  }
  return error;
}
