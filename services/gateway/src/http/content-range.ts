import { OciError } from "@portfolio/core";

/** The chunk a PATCH carries: inclusive `<start>-<end>`, without a unit (spec: chunked upload). */
export interface ChunkRange {
  offset: number;
  length: number;
}

// Some clients prefix the range with the `bytes` unit of RFC 9110; accept both.
const CHUNK_RANGE = /^(?:bytes[ =])?(\d+)-(\d+)$/;

export function parseContentRange(header: string | undefined): ChunkRange | undefined {
  if (header === undefined) return undefined;

  const match = CHUNK_RANGE.exec(header.trim());
  const start = Number(match?.[1]);
  const end = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
    throw new OciError("BLOB_UPLOAD_INVALID", `invalid Content-Range: ${header}`);
  }
  return { offset: start, length: end - start + 1 };
}
