import type { Descriptor } from "@portfolio/core";
import { Prisma } from "./generated/prisma/client";
import { type Db, toNumber } from "./sql";

interface ReferrerRow {
  media_type: string;
  digest: string;
  size: number | bigint;
  artifact_type: string | null;
  annotations: Record<string, string> | null;
}

/**
 * Descriptors of the manifests whose subject is `subject`, by digest in byte
 * order (distribution-spec, "Listing Referrers"). Keys the manifest does not
 * have are left out rather than set to null.
 *
 * Two sources, one answer: manifests whose own `subject` names it (the
 * `subject_digest` column, written in the push transaction, so a referrer is
 * listed as soon as its PUT has answered), and manifests listed in a
 * referrers-tag-schema index (`tag_schema_referrer`, kept by the referrers
 * indexer), which the spec asks to include once the API is enabled. Both arms
 * read the manifest row itself, so a manifest in both appears once, a deleted
 * one in neither, and the artifact type filter means the same thing.
 */
export async function listReferrers(
  db: Db,
  repository: string,
  subject: string,
  artifactType?: string,
): Promise<Descriptor[]> {
  const filter =
    artifactType === undefined ? Prisma.empty : Prisma.sql`AND m.artifact_type = ${artifactType}`;
  const rows = await db.$queryRaw<ReferrerRow[]>`
    SELECT * FROM (
      SELECT m.media_type, m.digest, m.size, m.artifact_type, m.annotations
      FROM manifest m
      JOIN repository r ON r.id = m.repository_id
      WHERE r.name = ${repository} AND m.subject_digest = ${subject} ${filter}
      UNION
      SELECT m.media_type, m.digest, m.size, m.artifact_type, m.annotations
      FROM tag_schema_referrer s
      JOIN repository r ON r.id = s.repository_id
      JOIN manifest m ON m.repository_id = s.repository_id AND m.digest = s.digest
      WHERE r.name = ${repository} AND s.subject_digest = ${subject} ${filter}
    ) referrers
    ORDER BY digest COLLATE "C"`;
  return rows.map(toDescriptor);
}

function toDescriptor(row: ReferrerRow): Descriptor {
  const descriptor: Descriptor = {
    mediaType: row.media_type,
    digest: row.digest,
    size: toNumber(row.size),
  };
  if (row.artifact_type !== null) descriptor.artifactType = row.artifact_type;
  if (row.annotations !== null) descriptor.annotations = row.annotations;
  return descriptor;
}
