import type { Db } from "@portfolio/metadata";
import { GONE, KEPT, type ReviewOutcome } from "./outcome";

/**
 * Reviews blob `digest`: its row goes when no repository links it, and its
 * bytes are deleted by the caller only after that has committed.
 *
 * Why an upload or mount at the same moment never ends with a link to
 * deleted bytes: the blob row is locked FOR UPDATE before the links are
 * counted in a later statement. commitBlob and mountBlob read the row FOR KEY
 * SHARE before they link it (and the link's foreign key does too). Either they
 * locked it first: this review waits for their link to commit, counts it, and
 * keeps the blob; or this review locked it first: they wait, find the row
 * gone, and commitBlob inserts its own upload's bytes as the blob anew (a
 * mount finds nothing to mount). Storage keys are never reused, so bytes under
 * a deleted row's key are never named by a row again.
 */
export async function reviewBlob(tx: Db, digest: string): Promise<ReviewOutcome> {
  const rows = await tx.$queryRaw<{ storage_key: string; size: bigint }[]>`
    SELECT storage_key::text AS storage_key, size FROM blob
    WHERE digest = ${digest}
    FOR UPDATE`;
  const blob = rows[0];
  if (blob === undefined) return GONE;

  const linked = await tx.$queryRaw<{ linked: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM repository_blob WHERE digest = ${digest}) AS linked`;
  if (linked[0]?.linked === true) return KEPT;

  await tx.$executeRaw`DELETE FROM blob WHERE digest = ${digest}`;
  return { action: "deleted", bytes: { storageKey: blob.storage_key, size: Number(blob.size) } };
}
