import type { BlobRecord } from "@portfolio/core";
import { ensureRepository } from "./repositories";
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
 * wins and every caller gets that record back.
 */
export async function commitBlob(
  db: Db,
  repository: string,
  blob: BlobRecord,
): Promise<BlobRecord> {
  const repositoryId = await ensureRepository(db, repository);

  await db.$executeRaw`
    INSERT INTO blob (digest, size, storage_key)
    VALUES (${blob.digest}, ${BigInt(blob.size)}, ${blob.storageKey}::uuid)
    ON CONFLICT (digest) DO NOTHING`;
  await linkBlob(db, repositoryId, blob.digest);

  const rows = await db.$queryRaw<BlobRow[]>`
    SELECT digest, size, storage_key::text AS storage_key FROM blob WHERE digest = ${blob.digest}`;
  const winner = toRecord(rows[0]);
  if (winner === undefined) throw new Error(`blob ${blob.digest} vanished while being committed`);
  return winner;
}

/**
 * Links a blob held by `from` (or by any repository) to `repository`. Run
 * inside a transaction; the repository is only created when the blob is found.
 */
export async function mountBlob(
  db: Db,
  repository: string,
  digest: string,
  from?: string,
): Promise<BlobRecord | undefined> {
  const blob =
    from === undefined ? await findAnyBlob(db, digest) : await findBlob(db, from, digest);
  if (blob === undefined) return undefined;

  const repositoryId = await ensureRepository(db, repository);
  await linkBlob(db, repositoryId, digest);
  return blob;
}

/** Removes the link; the blob row stays for garbage collection to judge. */
export async function unlinkBlob(db: Db, repository: string, digest: string): Promise<boolean> {
  const count = await db.$executeRaw`
    DELETE FROM repository_blob rb
    USING repository r
    WHERE r.id = rb.repository_id AND r.name = ${repository} AND rb.digest = ${digest}`;
  return count > 0;
}

async function linkBlob(db: Db, repositoryId: bigint, digest: string): Promise<void> {
  await db.$executeRaw`
    INSERT INTO repository_blob (repository_id, digest)
    VALUES (${repositoryId}, ${digest})
    ON CONFLICT DO NOTHING`;
}
