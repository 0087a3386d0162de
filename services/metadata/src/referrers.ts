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
    SELECT m.media_type, m.digest, m.size, m.artifact_type, m.annotations
    FROM manifest m
    JOIN repository r ON r.id = m.repository_id
    WHERE r.name = ${repository} AND m.subject_digest = ${subject} ${filter}
    ORDER BY m.digest COLLATE "C"`;
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
