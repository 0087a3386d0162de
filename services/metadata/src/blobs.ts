import { type BlobRecord, EVENT_TYPES } from "@portfolio/core";
import { Prisma } from "./generated/prisma/client";
import type { RecordEvent } from "./outbox/record";
import { appearsWithContent, openRepository, type RepositoryState } from "./repositories";
import { type Db, toNumber } from "./sql";
import { PREPARED } from "./statement-names";

interface BlobRow {
  digest: string;
  size: bigint;
  storage_key: string;
}

function toRecord(row: BlobRow | undefined): BlobRecord | undefined {
  if (row === undefined) return undefined;
  return { digest: row.digest, size: toNumber(row.size), storageKey: row.storage_key };
}

/** The blob when `repository` links it. */
export async function findBlob(
  db: Db,
  repository: string,
  digest: string,
  lock: Prisma.Sql = Prisma.empty,
): Promise<BlobRecord | undefined> {
  // Every blob pull asks this.
  const rows = await db.$queryRaw<BlobRow[]>`${Prisma.raw(PREPARED)}
    SELECT b.digest, b.size, b.storage_key::text AS storage_key
    FROM blob b
    JOIN repository_blob rb ON rb.digest = b.digest
    JOIN repository r ON r.id = rb.repository_id
    WHERE r.name = ${repository} AND b.digest = ${digest}
    ${lock}`;
  return toRecord(rows[0]);
}

/**
 * The blob when at least one repository links it. A recorded blob that no
 * repository links any more is garbage awaiting collection and is not offered.
 */
export async function findAnyBlob(
  db: Db,
  digest: string,
  lock: Prisma.Sql = Prisma.empty,
): Promise<BlobRecord | undefined> {
  const rows = await db.$queryRaw<BlobRow[]>`
    SELECT b.digest, b.size, b.storage_key::text AS storage_key
    FROM blob b
    WHERE b.digest = ${digest}
      AND EXISTS (SELECT 1 FROM repository_blob rb WHERE rb.digest = b.digest)
    ${lock}`;
  return toRecord(rows[0]);
}

/**
 * Records the blob unless its digest is already recorded, then links it to
 * the repository. Run inside a transaction: the first committer's storage key
 * wins and every caller gets that record back. Records `blob.uploaded` only
 * when the link is new: uploading bytes the repository already has changes
 * nothing a consumer could see.
 *
 * Racing the garbage collector, which deletes an unlinked blob row under FOR
 * UPDATE and its bytes only after that commits: the winner's row is read FOR
 * KEY SHARE, so a collector that has not locked it yet waits for this link to
 * commit and then sees it. A collector that locked it first deletes it; the
 * read then finds nothing and the insert is tried again, so this upload's own
 * bytes become the blob. Either way the link never names deleted bytes.
 */
export async function commitBlob(
  db: Db,
  repository: string,
  blob: BlobRecord,
  record: RecordEvent,
): Promise<BlobRecord> {
  const target = await openRepository(db, repository);
  const winner = await recordBlob(db, blob);

  if (await linkBlob(db, target, blob.digest, record)) {
    record(EVENT_TYPES.blobUploaded, { repository, digest: winner.digest, size: winner.size });
  }
  return winner;
}

/** The blob's row, inserted unless present, locked FOR KEY SHARE (see commitBlob). */
async function recordBlob(db: Db, blob: BlobRecord): Promise<BlobRecord> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    await db.$executeRaw`
      INSERT INTO blob (digest, size, storage_key)
      VALUES (${blob.digest}, ${BigInt(blob.size)}, ${blob.storageKey}::uuid)
      ON CONFLICT (digest) DO NOTHING`;
    const rows = await db.$queryRaw<BlobRow[]>`
      SELECT digest, size, storage_key::text AS storage_key FROM blob
      WHERE digest = ${blob.digest}
      FOR KEY SHARE`;
    const winner = toRecord(rows[0]);
    if (winner !== undefined) return winner;
  }
  throw new Error(`blob ${blob.digest} vanished while being committed`);
}

/**
 * Links a blob held by `from` (or by any repository) to `repository`. Run
 * inside a transaction; the repository is only created when the blob is found.
 * Records `blob.mounted` when the link is new. The blob row is read FOR KEY
 * SHARE, so the garbage collector cannot delete it before the new link commits
 * (and a blob it deleted first is simply not found).
 */
export async function mountBlob(
  db: Db,
  repository: string,
  digest: string,
  from: string | undefined,
  record: RecordEvent,
): Promise<BlobRecord | undefined> {
  const lock = Prisma.sql`FOR KEY SHARE OF b`;
  const blob =
    from === undefined
      ? await findAnyBlob(db, digest, lock)
      : await findBlob(db, from, digest, lock);
  if (blob === undefined) return undefined;

  const target = await openRepository(db, repository);
  if (await linkBlob(db, target, digest, record)) {
    const mounted = { repository, digest, size: blob.size };
    record(EVENT_TYPES.blobMounted, from === undefined ? mounted : { ...mounted, from });
  }
  return blob;
}

/** Removes the link; the blob row stays for garbage collection to judge. */
export async function unlinkBlob(
  db: Db,
  repository: string,
  digest: string,
  record: RecordEvent,
): Promise<boolean> {
  const count = await db.$executeRaw`
    DELETE FROM repository_blob rb
    USING repository r
    WHERE r.id = rb.repository_id AND r.name = ${repository} AND rb.digest = ${digest}`;
  if (count > 0) record(EVENT_TYPES.blobDeleted, { repository, digest });
  return count > 0;
}

/**
 * Links the blob to the repository; true when the link is new. The first link
 * of an empty repository records `repository.created` before it.
 *
 * An existing link is touched (its `created_at` set to now): the garbage
 * collector keeps links younger than its review delay, so a blob uploaded or
 * mounted again is given the same time as a new one for its manifest to
 * follow. The touch takes the row lock that the collector's FOR UPDATE
 * conflicts with, so the two serialise: the collector either deleted the link
 * first (and this inserts a new one) or sees the fresh time.
 */
async function linkBlob(
  db: Db,
  repository: RepositoryState,
  digest: string,
  record: RecordEvent,
): Promise<boolean> {
  if (await appearsWithContent(db, repository)) {
    record(EVENT_TYPES.repositoryCreated, { repository: repository.name });
  }
  const rows = await db.$queryRaw<{ inserted: boolean }[]>`
    INSERT INTO repository_blob (repository_id, digest)
    VALUES (${repository.id}, ${digest})
    ON CONFLICT (repository_id, digest) DO UPDATE SET created_at = now()
    RETURNING (xmax = 0) AS inserted`;
  return rows[0]?.inserted === true;
}
