import {
  type ManifestPut,
  type ManifestRecord,
  type ManifestReference,
  ManifestReferencesUnknownError,
} from "@portfolio/core";
import { ensureRepository } from "./repositories";
import { type Db, toBuffer } from "./sql";
import { moveTag } from "./tags";

interface ManifestRow {
  digest: string;
  media_type: string;
  size: number;
  payload: Uint8Array;
}

/**
 * The push of a manifest, run inside one transaction:
 * 1. find or create the repository;
 * 2. check that the repository links every blob and holds every child
 *    manifest, locking those rows (FOR KEY SHARE) so that a concurrent unlink
 *    or delete waits until the manifest that references them is committed;
 * 3. insert the manifest and its reference rows unless it is already there;
 * 4. move the tag, if any, to it.
 * Concurrent pushes of the same manifest or tag serialise on the unique keys
 * instead of failing: both inserts use ON CONFLICT.
 */
export async function putManifest(db: Db, put: ManifestPut): Promise<void> {
  const repositoryId = await ensureRepository(db, put.repository);

  const blobs = unique(put.blobs);
  const children = unique(put.children);
  const missing = [
    ...(await missingBlobs(db, repositoryId, blobs)),
    ...(await missingChildren(db, repositoryId, children)),
  ];
  if (missing.length > 0) throw new ManifestReferencesUnknownError(missing);

  const manifestId = await insertManifest(db, repositoryId, put, blobs, children);
  if (put.tag !== undefined) await moveTag(db, repositoryId, put.tag, manifestId);
}

export async function findManifest(
  db: Db,
  repository: string,
  reference: ManifestReference,
): Promise<ManifestRecord | undefined> {
  const rows =
    "digest" in reference
      ? await db.$queryRaw<ManifestRow[]>`
          SELECT m.digest, m.media_type, m.size, m.payload
          FROM manifest m
          JOIN repository r ON r.id = m.repository_id
          WHERE r.name = ${repository} AND m.digest = ${reference.digest}`
      : await db.$queryRaw<ManifestRow[]>`
          SELECT m.digest, m.media_type, m.size, m.payload
          FROM tag t
          JOIN repository r ON r.id = t.repository_id
          JOIN manifest m ON m.id = t.manifest_id
          WHERE r.name = ${repository} AND t.name = ${reference.tag}`;

  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    repository,
    digest: row.digest,
    mediaType: row.media_type,
    size: row.size,
    payload: toBuffer(row.payload),
  };
}

/** Deletes the manifest; its tags and reference rows go with it (ON DELETE CASCADE). */
export async function deleteManifest(db: Db, repository: string, digest: string): Promise<boolean> {
  const count = await db.$executeRaw`
    DELETE FROM manifest m
    USING repository r
    WHERE r.id = m.repository_id AND r.name = ${repository} AND m.digest = ${digest}`;
  return count > 0;
}

async function missingBlobs(db: Db, repositoryId: bigint, digests: string[]): Promise<string[]> {
  if (digests.length === 0) return [];
  const rows = await db.$queryRaw<{ digest: string }[]>`
    SELECT digest FROM repository_blob
    WHERE repository_id = ${repositoryId} AND digest = ANY(${digests}::text[])
    FOR KEY SHARE`;
  return absent(digests, rows);
}

async function missingChildren(db: Db, repositoryId: bigint, digests: string[]): Promise<string[]> {
  if (digests.length === 0) return [];
  const rows = await db.$queryRaw<{ digest: string }[]>`
    SELECT digest FROM manifest
    WHERE repository_id = ${repositoryId} AND digest = ANY(${digests}::text[])
    FOR KEY SHARE`;
  return absent(digests, rows);
}

/**
 * The manifest's id, inserting it with its reference rows when the repository
 * does not hold it yet. When a concurrent push inserted it first, the insert
 * waits for that push to commit and then reads its row.
 */
async function insertManifest(
  db: Db,
  repositoryId: bigint,
  put: ManifestPut,
  blobs: string[],
  children: string[],
): Promise<bigint> {
  const annotations = put.annotations === undefined ? null : JSON.stringify(put.annotations);
  const inserted = await db.$queryRaw<{ id: bigint }[]>`
    INSERT INTO manifest
      (repository_id, digest, media_type, artifact_type, subject_digest, annotations, size, payload)
    VALUES (${repositoryId}, ${put.digest}, ${put.mediaType}, ${put.artifactType ?? null},
      ${put.subject ?? null}, ${annotations}::jsonb, ${put.payload.length}, ${put.payload})
    ON CONFLICT (repository_id, digest) DO NOTHING
    RETURNING id`;

  const id = inserted[0]?.id;
  if (id === undefined) return existingManifestId(db, repositoryId, put.digest);

  if (blobs.length > 0) {
    await db.$executeRaw`
      INSERT INTO manifest_blob (manifest_id, digest)
      SELECT ${id}, unnest(${blobs}::text[])`;
  }
  if (children.length > 0) {
    await db.$executeRaw`
      INSERT INTO manifest_child (manifest_id, digest)
      SELECT ${id}, unnest(${children}::text[])`;
  }
  return id;
}

async function existingManifestId(db: Db, repositoryId: bigint, digest: string): Promise<bigint> {
  const rows = await db.$queryRaw<{ id: bigint }[]>`
    SELECT id FROM manifest WHERE repository_id = ${repositoryId} AND digest = ${digest}`;
  const id = rows[0]?.id;
  if (id === undefined) throw new Error(`manifest ${digest} vanished while being pushed`);
  return id;
}

function unique(digests: readonly string[]): string[] {
  return [...new Set(digests)];
}

function absent(wanted: string[], found: { digest: string }[]): string[] {
  const present = new Set(found.map((row) => row.digest));
  return wanted.filter((digest) => !present.has(digest));
}
