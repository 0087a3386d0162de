import type { ByteRange } from "@portfolio/core";

export type RangeRequest =
  | { kind: "whole" }
  | { kind: "partial"; range: ByteRange }
  | { kind: "unsatisfiable" };

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/;

/**
 * Reads a blob GET's `Range` header (RFC 9110, section 14.2) for a blob of
 * `size` bytes. One range is served; multiple ranges or an unparseable header
 * get the whole blob, as the RFC allows. A range whose end precedes its start
 * is refused with 416, which clients and the conformance suite expect.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  const match = header ? SINGLE_RANGE.exec(header.trim()) : null;
  if (!match) return { kind: "whole" };

  const [, first, last] = match;
  if (!first && !last) return { kind: "whole" };
  if (!first) return suffixRange(Number(last), size);

  const start = Number(first);
  const end = last ? Math.min(Number(last), size - 1) : size - 1;
  if (start >= size || (last && Number(last) < start)) return { kind: "unsatisfiable" };
  return { kind: "partial", range: { start, end } };
}

function suffixRange(length: number, size: number): RangeRequest {
  if (length === 0 || size === 0) return { kind: "unsatisfiable" };
  return { kind: "partial", range: { start: Math.max(size - length, 0), end: size - 1 } };
}
