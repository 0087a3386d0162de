import type { StoredObject } from "@portfolio/core";
import type { SweepContext } from "./sweep-context";

const BATCH = 500;

/**
 * Stored objects that no metadata names: blob bytes under a storage key no
 * blob row has, staged uploads with no session. A crash leaves them (between
 * storage's commit and metadata's, or between a committed deletion and the
 * bytes' removal). Only objects older than the grace period go: an upload's
 * bytes are stored a moment before commitBlob records them, and the grace is
 * what keeps that moment safe, so it must be far longer than any commit takes.
 * Objects this run itself reclaimed are not counted twice.
 */
export async function sweepOrphans(context: SweepContext): Promise<void> {
  const listing = context.storage.listObjects?.();
  if (listing === undefined) return;

  const before = context.now.getTime() - context.policy.orphanGraceMs;
  let batch: StoredObject[] = [];
  for await (const object of listing) {
    if (object.modifiedAt.getTime() > before || context.freedKeys.has(object.key)) continue;
    batch.push(object);
    if (batch.length >= BATCH) {
      await sweepBatch(context, batch);
      batch = [];
    }
  }
  await sweepBatch(context, batch);
}

async function sweepBatch(context: SweepContext, objects: StoredObject[]): Promise<void> {
  if (objects.length === 0) return;
  const named = await namedKeys(context, objects);
  for (const object of objects) {
    if (named.has(object.key)) continue;
    const { storage } = context;
    if (object.kind === "blob") {
      const item = { kind: "orphan-blob" as const, repository: "", key: object.key };
      await context.reclaimed({ ...item, bytes: object.size }, () => storage.delete(object.key));
    } else {
      const item = { kind: "orphan-upload" as const, repository: "", key: object.key };
      await context.reclaimed({ ...item, bytes: object.size }, () =>
        storage.cancelUpload(object.key),
      );
    }
  }
}

/** Which of the objects' keys metadata names: as a blob's storage key or an upload session. */
async function namedKeys(context: SweepContext, objects: StoredObject[]): Promise<Set<string>> {
  const blobs = objects.filter((o) => o.kind === "blob").map((o) => o.key);
  const uploads = objects.filter((o) => o.kind === "upload").map((o) => o.key);
  const rows = await context.read(
    (db) => db.$queryRaw<{ key: string }[]>`
      SELECT storage_key::text AS key FROM blob WHERE storage_key = ANY(${blobs}::uuid[])
      UNION ALL
      SELECT id::text AS key FROM upload_session WHERE id = ANY(${uploads}::uuid[])`,
  );
  return new Set(rows.map((row) => row.key));
}
