import {
  EVENT_TYPES,
  type ManifestPut,
  type ManifestRecord,
  type ManifestReference,
  ManifestReferencesUnknownError,
} from "@portfolio/core";
import type { RecordEvent } from "./outbox/record";
import { appearsWithContent, openRepository } from "./repositories";
import { type Db, toBuffer } from "./sql";
import { setTag } from "./tags";

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
 *
 * Events, only for what changed: `repository.created` when the manifest is
 * the repository's first content, `manifest.pushed` when the manifest is new,
 * `tag.set` when the tag is new or moved. A refused push throws before any.
 */
export async function putManifest(db: Db, put: ManifestPut, record: RecordEvent): Promise<void> {
  const repository = await openRepository(db, put.repository);

  const blobs = unique(put.blobs);
  const children = unique(put.children);
  const missing = [
    ...(await missingBlobs(db, repository.id, blobs)),
    ...(await missingChildren(db, repository.id, children)),
  ];
  if (missing.length > 0) throw new ManifestReferencesUnknownError(missing);

  if (await appearsWithContent(db, repository)) {
    record(EVENT_TYPES.repositoryCreated, { repository: put.repository });
  }
  const manifest = await insertManifest(db, repository.id, put, blobs, children);
  if (manifest.inserted) record(EVENT_TYPES.manifestPushed, pushedPayload(put, blobs, children));
  if (put.tag === undefined) return;

  const move = await setTag(db, repository.id, put.tag, manifest.id);
  if (move === undefined) return;
  const { repository: name, digest, tag } = put;
  record(EVENT_TYPES.tagSet, { repository: name, tag, digest, ...move });
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

/**
 * Deletes the manifest and its reference rows (ON DELETE CASCADE). Its tags
 * are deleted first, explicitly, so the events name exactly the tags that went:
 * `tag.deleted` for each, then `manifest.deleted` listing them. The manifest
 * row is locked first so no tag can be pointed at it meanwhile.
 */
export async function deleteManifest(
  db: Db,
  repository: string,
  digest: string,
  record: RecordEvent,
): Promise<boolean> {
  const found = await db.$queryRaw<{ id: bigint }[]>`
    SELECT m.id FROM manifest m
    JOIN repository r ON r.id = m.repository_id
    WHERE r.name = ${repository} AND m.digest = ${digest}
    FOR UPDATE OF m`;
  const id = found[0]?.id;
  if (id === undefined) return false;

  const removed = await db.$queryRaw<{ name: string }[]>`
    DELETE FROM tag WHERE manifest_id = ${id} RETURNING name`;
  const references = await referencesOf(db, id);
  await db.$executeRaw`DELETE FROM manifest WHERE id = ${id}`;

  const tags = removed.map((row) => row.name).sort();
  for (const tag of tags) record(EVENT_TYPES.tagDeleted, { repository, tag, digest });
  record(EVENT_TYPES.manifestDeleted, { repository, digest, tags, ...references });
  return true;
}

/**
 * What a manifest references, read before its rows cascade away: the event
 * carries it, as the garbage-collection feed cannot look it up afterwards.
 */
async function referencesOf(db: Db, id: bigint): Promise<{ blobs: string[]; manifests: string[] }> {
  const blobs = await db.$queryRaw<{ digest: string }[]>`
    SELECT digest FROM manifest_blob WHERE manifest_id = ${id} ORDER BY digest COLLATE "C"`;
  const manifests = await db.$queryRaw<{ digest: string }[]>`
    SELECT digest FROM manifest_child WHERE manifest_id = ${id} ORDER BY digest COLLATE "C"`;
  return { blobs: blobs.map((row) => row.digest), manifests: manifests.map((row) => row.digest) };
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
 * does not hold it yet (`inserted`). When a concurrent push inserted it first,
 * the insert waits for that push to commit and then reads its row.
 *
 * An existing row is read FOR KEY SHARE, so that the garbage collector (which
 * deletes an unreferenced manifest under FOR UPDATE) cannot take it away
 * before the tag that this push moves onto it commits; when the collector
 * deleted it first, the insert is simply tried again.
 */
async function insertManifest(
  db: Db,
  repositoryId: bigint,
  put: ManifestPut,
  blobs: string[],
  children: string[],
): Promise<{ id: bigint; inserted: boolean }> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const id = await insertManifestRow(db, repositoryId, put);
    if (id !== undefined) {
      await insertReferences(db, id, blobs, children);
      return { id, inserted: true };
    }
    const existing = await existingManifestId(db, repositoryId, put.digest);
    if (existing !== undefined) return { id: existing, inserted: false };
  }
  throw new Error(`manifest ${put.digest} vanished while being pushed`);
}

async function insertManifestRow(
  db: Db,
  repositoryId: bigint,
  put: ManifestPut,
): Promise<bigint | undefined> {
  const annotations = put.annotations === undefined ? null : JSON.stringify(put.annotations);
  const rows = await db.$queryRaw<{ id: bigint }[]>`
    INSERT INTO manifest
      (repository_id, digest, media_type, artifact_type, subject_digest, annotations, size, payload)
    VALUES (${repositoryId}, ${put.digest}, ${put.mediaType}, ${put.artifactType ?? null},
      ${put.subject ?? null}, ${annotations}::jsonb, ${put.payload.length}, ${put.payload})
    ON CONFLICT (repository_id, digest) DO NOTHING
    RETURNING id`;
  return rows[0]?.id;
}

async function insertReferences(db: Db, id: bigint, blobs: string[], children: string[]) {
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
}

async function existingManifestId(
  db: Db,
  repositoryId: bigint,
  digest: string,
): Promise<bigint | undefined> {
  const rows = await db.$queryRaw<{ id: bigint }[]>`
    SELECT id FROM manifest WHERE repository_id = ${repositoryId} AND digest = ${digest}
    FOR KEY SHARE`;
  return rows[0]?.id;
}

/** The `manifest.pushed` payload; optional fields are left out rather than null. */
function pushedPayload(put: ManifestPut, blobs: string[], children: string[]) {
  return {
    repository: put.repository,
    digest: put.digest,
    mediaType: put.mediaType,
    size: put.payload.length,
    ...(put.artifactType === undefined ? {} : { artifactType: put.artifactType }),
    ...(put.subject === undefined ? {} : { subject: put.subject }),
    blobs,
    manifests: children,
    tags: put.tag === undefined ? [] : [put.tag],
  };
}

function unique(digests: readonly string[]): string[] {
  return [...new Set(digests)];
}

function absent(wanted: string[], found: { digest: string }[]): string[] {
  const present = new Set(found.map((row) => row.digest));
  return wanted.filter((digest) => !present.has(digest));
}
