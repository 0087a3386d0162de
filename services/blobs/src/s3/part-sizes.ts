const MiB = 1024 * 1024;

/**
 * The size of the first parts. S3 wants parts of 5 MiB or more (all but the
 * last); 8 MiB leaves a margin, matches the write size measured as fastest
 * for the filesystem driver, and keeps an upload's memory at two part buffers.
 */
export const BASE_PART_BYTES = 8 * MiB;

/** S3 allows at most 10,000 parts in one multipart upload. */
export const MAX_PARTS = 10_000;

/** The part size doubles every this many parts. */
const PARTS_PER_STEP = 1_000;

/**
 * The size of part `partNumber` (1-based). Sizes double every 1,000 parts, so
 * 10,000 parts hold 8 MiB × 1,000 × (2^10 − 1) ≈ 8 TiB, above S3's 5 TiB
 * object limit, while blobs under 7.8 GiB use 8 MiB parts and blobs under
 * ~117 GiB never need parts over 64 MiB. The buffer an upload holds grows
 * with it only for blobs that large.
 */
export function partSizeFor(partNumber: number): number {
  return BASE_PART_BYTES * 2 ** Math.floor((partNumber - 1) / PARTS_PER_STEP);
}
