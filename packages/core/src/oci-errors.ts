/**
 * Every error code the OCI Distribution spec defines (spec.md, "Error Codes"),
 * with the status this registry answers it with and its default message.
 * UNAVAILABLE is ours: a backend outage, answered 503 so that clients retry.
 */
export const ERROR_CODES = {
  BLOB_UNKNOWN: { status: 404, message: "blob unknown to registry" },
  BLOB_UPLOAD_INVALID: { status: 400, message: "blob upload invalid" },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: "blob upload unknown to registry" },
  DIGEST_INVALID: { status: 400, message: "provided digest did not match uploaded content" },
  MANIFEST_BLOB_UNKNOWN: {
    status: 400,
    message: "manifest references a manifest or blob unknown to registry",
  },
  MANIFEST_INVALID: { status: 400, message: "manifest invalid" },
  MANIFEST_UNKNOWN: { status: 404, message: "manifest unknown to registry" },
  NAME_INVALID: { status: 400, message: "invalid repository name" },
  NAME_UNKNOWN: { status: 404, message: "repository name not known to registry" },
  SIZE_INVALID: { status: 400, message: "provided length did not match content length" },
  UNAUTHORIZED: { status: 401, message: "authentication required" },
  DENIED: { status: 403, message: "requested access to the resource is denied" },
  UNSUPPORTED: { status: 405, message: "the operation is unsupported" },
  TOOMANYREQUESTS: { status: 429, message: "too many requests" },
  UNAVAILABLE: { status: 503, message: "service unavailable, retry later" },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One entry of the spec's `{"errors":[...]}` body. */
export interface ErrorBodyEntry {
  code: ErrorCode;
  message: string;
  detail?: unknown;
}

/**
 * A protocol error: what the gateway answers. `status` overrides the table
 * where the spec asks for another one (416 for an out-of-order chunk, 413 for
 * an oversized manifest).
 */
export class OciError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly detail?: unknown,
    options?: { status?: number; headers?: Record<string, string>; cause?: unknown },
  ) {
    super(message ?? ERROR_CODES[code].message, { cause: options?.cause });
    this.name = "OciError";
    this.status = options?.status ?? ERROR_CODES[code].status;
    this.headers = options?.headers ?? {};
  }

  readonly headers: Record<string, string>;

  toBody(): { errors: ErrorBodyEntry[] } {
    const entry: ErrorBodyEntry = { code: this.code, message: this.message };
    if (this.detail !== undefined) entry.detail = this.detail;
    return { errors: [entry] };
  }
}
