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
  return causes(error).some(isDriverUnavailable);
}

function isDriverUnavailable(error: ErrorLike): boolean {
  if (typeof error.code === "string" && UNAVAILABLE_SOCKET_CODES.has(error.code)) return true;
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(String(error.message)));
}

interface ErrorLike {
  message?: unknown;
  code?: unknown;
  cause?: unknown;
}

/**
 * The error and the chain of its causes. Duck-typed rather than `instanceof
 * Error`: driver errors may come from another realm (a worker, a sandbox).
 */
function causes(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  for (let current = error; isErrorLike(current); current = current.cause) {
    if (chain.includes(current)) break;
    chain.push(current);
  }
  return chain;
}

function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === "object" && value !== null && "message" in value;
}
