-- CreateTable
CREATE TABLE "tag_schema_referrer" (
    "repository_id" BIGINT NOT NULL,
    "subject_digest" TEXT NOT NULL,
    "digest" TEXT NOT NULL,

    CONSTRAINT "tag_schema_referrer_pkey" PRIMARY KEY ("repository_id","subject_digest","digest")
);

-- AddForeignKey
ALTER TABLE "tag_schema_referrer" ADD CONSTRAINT "tag_schema_referrer_repository_id_fkey" FOREIGN KEY ("repository_id") REFERENCES "repository"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill: referrers-tag indexes pushed before this migration have no events
-- for the indexer to read, and the spec asks that enabling the referrers API
-- lists them. The manifests such an index lists are its manifest_child rows.
INSERT INTO "tag_schema_referrer" ("repository_id", "subject_digest", "digest")
SELECT t."repository_id", 'sha256:' || substr(t."name", 8), c."digest"
FROM "tag" t
JOIN "manifest_child" c ON c."manifest_id" = t."manifest_id"
WHERE t."name" ~ '^sha256-[0-9a-f]{64}$'
ON CONFLICT DO NOTHING;
