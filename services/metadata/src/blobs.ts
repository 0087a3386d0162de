import { type BlobRecord, EVENT_TYPES } from "@portfolio/core";
import type { RecordEvent } from "./outbox/record";
import { appearsWithContent, openRepository, type RepositoryState } from "./repositories";
import { type Db, toNumber } from "./sql";

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
): Promise<BlobRecord | undefined> {
  const rows = await db.$queryRaw<BlobRow[]>`
    SELECT b.digest, b.size, b.storage_key::text AS storage_key
    FROM blob b
    JOIN repository_blob rb ON rb.digest = b.digest
    JOIN repository r ON r.id = rb.repository_id
    WHERE r.name = ${repository} AND b.digest = ${digest}`;
  return toRecord(rows[0]);
}

/**
 * The blob when at least one repository links it. A recorded blob that no
 * repository links any more is garbage awaiting collection and is not offered.
 */
export async function findAnyBlob(db: Db, digest: string): Promise<BlobRecord | undefined> {
  const rows = await db.$queryRaw<BlobRow[]>`
    SELECT b.digest, b.size, b.storage_key::text AS storage_key
    FROM blob b
    WHERE b.digest = ${digest}
      AND EXISTS (SELECT 1 FROM repository_blob rb WHERE rb.digest = b.digest)`;
  return toRecord(rows[0]);
}

/**
 * Records the blob unless its digest is already recorded, then links it to
 * the repository. Run inside a transaction: the first committer's storage key
 * wins and every caller gets that record back. Records `blob.uploaded` only
 * when the link is new: uploading bytes the repository already has changes
 * nothing a consumer could see.
 */
export async function commitBlob(
  db: Db,
  repository: string,
  blob: BlobRecord,
  record: RecordEvent,
): Promise<BlobRecord> {
  const target = await openRepository(db, repository);
  await db.$executeRaw`
    INSERT INTO blob (digest, size, storage_key)
    VALUES (${blob.digest}, ${BigInt(blob.size)}, ${blob.storageKey}::uuid)
    ON CONFLICT (digest) DO NOTHING`;

  const rows = await db.$queryRaw<BlobRow[]>`
    SELECT digest, size, storage_key::text AS storage_key FROM blob WHERE digest = ${blob.digest}`;
  const winner = toRecord(rows[0]);
  if (winner === undefined) throw new Error(`blob ${blob.digest} vanished while being committed`);

  if (await linkBlob(db, target, blob.digest, record)) {
    record(EVENT_TYPES.blobUploaded, { repository, digest: winner.digest, size: winner.size });
  }
  return winner;
}

/**
 * Links a blob held by `from` (or by any repository) to `repository`. Run
 * inside a transaction; the repository is only created when the blob is found.
 * Records `blob.mounted` when the link is new.
 */
export async function mountBlob(
  db: Db,
  repository: string,
  digest: string,
  from: string | undefined,
  record: RecordEvent,
): Promise<BlobRecord | undefined> {
  const blob =
    from === undefined ? await findAnyBlob(db, digest) : await findBlob(db, from, digest);
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
  const count = await db.$executeRaw`
    INSERT INTO repository_blob (repository_id, digest)
    VALUES (${repository.id}, ${digest})
    ON CONFLICT DO NOTHING`;
  return count > 0;
}
