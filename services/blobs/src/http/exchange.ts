import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { BlobStorage } from "@portfolio/core";
import type { Logger } from "pino";
import type { KeyedSerializer } from "../streams/keyed-serializer";

/** One request to the blob service, as its handler sees it. */
export interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
  /** The route's path parameter, decoded: an upload id or a storage key ("" for none). */
  name: string;
  query: URLSearchParams;
  storage: BlobStorage;
  /** Orders every operation on one upload, across all connections (see uploads.ts). */
  uploads: KeyedSerializer;
  log: Logger;
}

export type Handler = (exchange: Exchange) => Promise<void>;

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(json),
  });
  response.end(json);
}

/**
 * The storage's stream failed after the response had begun, so the response
 * could only be cut short; `cause` is the storage's error.
 */
export class StorageStreamError extends Error {
  override name = "StorageStreamError";

  constructor(cause: unknown) {
    super("storage stream failed mid-body", { cause });
  }
}

/**
 * Pipes `body`, the storage's stream, into a response whose head is written,
 * with the response's backpressure. Throws StorageStreamError when `body`
 * fails while the response is still open, and the stream error of the
 * response when the client has gone away first (`body` is then destroyed).
 */
export async function sendStream(response: ServerResponse, body: Readable): Promise<void> {
  let storageFailed = false;
  // Attached before pipeline's own listener: the response is still open when the storage failed.
  body.once("error", () => {
    storageFailed = !response.destroyed;
  });
  try {
    await pipeline(body, response);
  } catch (error) {
    throw storageFailed ? new StorageStreamError(error) : error;
  }
}

export function sendEmpty(response: ServerResponse, status = 204): void {
  response.writeHead(status).end();
}

/** A query parameter that must be a non-negative integer when present. */
export function optionalCount(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;

  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) {
    throw new TypeError(`${name} must be a non-negative integer, not ${raw}`);
  }
  return value;
}

export function requiredText(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (value === null || value === "") throw new TypeError(`${name} is required`);
  return value;
}
