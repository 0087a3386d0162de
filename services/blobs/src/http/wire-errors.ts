import {
  BackendUnavailableError,
  BlobUnknownError,
  DigestMismatchError,
  DomainError,
  SizeMismatchError,
  UploadOffsetError,
  UploadUnknownError,
} from "@portfolio/core";

/** The kind of a presign answer from a driver that has no URLs to give. */
export const PRESIGN_UNSUPPORTED = "presign-unsupported";

/**
 * A call the service cannot answer: its driver lacks the feature, or the
 * service predates the route (during a rolling update). Callers fall back.
 */
export class UnsupportedCallError extends Error {
  override name = "UnsupportedCallError";
}

/**
 * How errors cross the blob service's HTTP boundary, both ways, in one table:
 * the server answers a domain error with its status and `{kind, message,
 * ...fields}`, and the client rebuilds the very same error from that body.
 * A kind missing here reaches the client as a plain Error with the message.
 */
const KINDS: Record<string, { status: number; rebuild(fields: WireFields): Error }> = {
  "blob-unknown": { status: 404, rebuild: (f) => new BlobUnknownError(text(f.digest)) },
  "upload-unknown": { status: 404, rebuild: (f) => new UploadUnknownError(text(f.uploadId)) },
  "upload-offset": {
    status: 416,
    rebuild: (f) => new UploadOffsetError(count(f.expectedOffset), count(f.givenOffset)),
  },
  "digest-mismatch": {
    status: 400,
    rebuild: (f) => new DigestMismatchError(text(f.expected), text(f.actual)),
  },
  "size-mismatch": {
    status: 400,
    rebuild: (f) => new SizeMismatchError(count(f.expected), count(f.actual)),
  },
  "backend-unavailable": {
    status: 503,
    rebuild: (f) => new BackendUnavailableError(text(f.backend)),
  },
  [PRESIGN_UNSUPPORTED]: { status: 501, rebuild: (f) => new UnsupportedCallError(text(f.message)) },
  "route-unknown": { status: 404, rebuild: (f) => new UnsupportedCallError(text(f.message)) },
  // Drivers throw TypeError for arguments they cannot take (an upload id that is no UUID).
  "invalid-argument": { status: 400, rebuild: (f) => new TypeError(text(f.message)) },
};

export type WireFields = Record<string, unknown>;

export interface WireError {
  status: number;
  body: WireFields & { kind: string; message: string };
}

/** The status and body that report `error`; anything unexpected is a 500 of kind `internal`. */
export function toWireError(error: unknown): WireError {
  if (error instanceof DomainError && error.kind in KINDS) {
    const fields = { ...error } as WireFields;
    return {
      status: statusOf(error.kind),
      body: { ...fields, kind: error.kind, message: error.message },
    };
  }
  if (error instanceof TypeError) {
    return { status: 400, body: { kind: "invalid-argument", message: error.message } };
  }
  return { status: 500, body: { kind: "internal", message: "internal error" } };
}

/** The error a failed response stands for, rebuilt from its body. */
export function fromWireError(status: number, body: unknown): Error {
  const fields = (typeof body === "object" && body !== null ? body : {}) as WireFields;
  const kind = KINDS[text(fields.kind)];
  if (kind !== undefined) return kind.rebuild(fields);

  const message = typeof fields.message === "string" ? fields.message : "no message";
  return new Error(`blob service answered ${status}: ${message}`);
}

function statusOf(kind: string): number {
  return KINDS[kind]?.status ?? 500;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : String(value);
}

function count(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}
