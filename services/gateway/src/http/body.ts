import { OciError } from "@portfolio/core";
import type { FastifyRequest } from "fastify";

/** True when the request carries a body: a non-zero length or a chunked one. */
export function hasBody(request: FastifyRequest): boolean {
  const length = request.headers["content-length"];
  if (length !== undefined) return Number(length) > 0;
  return request.headers["transfer-encoding"] !== undefined;
}

/** The declared Content-Length, or undefined when the body is chunked. */
export function contentLength(request: FastifyRequest): number | undefined {
  const length = request.headers["content-length"];
  if (length === undefined) return undefined;
  const value = Number(length);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new OciError("SIZE_INVALID", "Content-Length is not a valid length");
  }
  return value;
}

/**
 * Reads a small body whole (manifests, forms), refusing with 413 as soon as it is
 * known to exceed `limit`: from Content-Length before reading anything, or
 * while counting a chunked body.
 */
export async function readBody(request: FastifyRequest, limit: number): Promise<Buffer> {
  const declared = contentLength(request);
  if (declared !== undefined && declared > limit) throw tooLarge(limit);

  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of request.raw) {
    received += chunk.length;
    if (received > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  if (declared !== undefined && received !== declared) {
    throw new OciError(
      "SIZE_INVALID",
      `received ${received} bytes, Content-Length says ${declared}`,
    );
  }
  return Buffer.concat(chunks, received);
}

function tooLarge(limit: number): OciError {
  return new OciError("SIZE_INVALID", `the body exceeds the limit of ${limit} bytes`, undefined, {
    status: 413,
  });
}
