import { BackendUnavailableError, DomainError } from "@portfolio/core";
import { Prisma } from "./generated/prisma/client";

/**
 * Prisma codes that say the database did not answer rather than refused the
 * query: every P1xxx (cannot reach, timed out, connection closed), an empty
 * pool (P2024), a transaction that could not start (P2028) and too many
 * connections (P2037).
 */
const UNAVAILABLE_PRISMA_CODES = new Set(["P2024", "P2028", "P2037"]);

/** Socket errors from `pg`, possibly wrapped as the `cause` of Prisma's error. */
const UNAVAILABLE_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "57P01", // admin_shutdown: the server is going away
  "57P03", // cannot_connect_now: the server is starting or recovering
]);

/**
 * Driver adapter error kinds (the `cause.kind` of Prisma's DriverAdapterError,
 * which raw queries carry in `meta.driverAdapterError`) that mean the same.
 */
const UNAVAILABLE_ADAPTER_KINDS = new Set([
  "DatabaseNotReachable",
  "ConnectionClosed",
  "SocketTimeout",
  "TlsConnectionError",
  "TooManyConnections",
  "DatabaseDoesNotExist",
  "DatabaseAccessDenied",
  "AuthenticationFailed",
]);

/** Messages of drivers whose connection is gone and that set no code. */
const UNAVAILABLE_MESSAGES = [/PGlite is closed/i, /Connection terminated/i];

/**
 * The one place where Prisma and driver errors become domain errors: an
 * unreachable database becomes BackendUnavailableError("postgres"); domain
 * errors pass through; anything else is a bug or a broken invariant and is
 * rethrown unchanged.
 */
export function translateError(error: unknown): never {
  if (error instanceof DomainError) throw error;
  if (isUnavailable(error)) throw new BackendUnavailableError("postgres", { cause: error });
  throw error;
}

function isUnavailable(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientInitializationError) return true;
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (error.code.startsWith("P1") || UNAVAILABLE_PRISMA_CODES.has(error.code)) return true;
  }
  return related(error).some(saysUnavailable);
}

interface ErrorLike {
  message?: unknown;
  code?: unknown;
  kind?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown };
}

function saysUnavailable(error: ErrorLike): boolean {
  if (typeof error.code === "string" && UNAVAILABLE_SOCKET_CODES.has(error.code)) return true;
  if (typeof error.kind === "string" && UNAVAILABLE_ADAPTER_KINDS.has(error.kind)) return true;
  const message = typeof error.message === "string" ? error.message : "";
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * The error, its causes and the driver adapter error Prisma attaches, as
 * plain objects: driver errors may come from another realm (a worker, a
 * sandbox), where `instanceof Error` fails.
 */
function related(error: unknown): ErrorLike[] {
  const found: ErrorLike[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && found.length < 16) {
    const current = queue.shift();
    if (typeof current !== "object" || current === null || found.includes(current)) continue;
    const like = current as ErrorLike;
    found.push(like);
    queue.push(like.cause, like.meta?.driverAdapterError);
  }
  return found;
}
