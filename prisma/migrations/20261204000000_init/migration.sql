-- CreateTable
CREATE TABLE "repository" (
    "id" BIGSERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "repository_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "blob" (
    "digest" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "storage_key" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "blob_pkey" PRIMARY KEY ("digest")
);

-- CreateTable
CREATE TABLE "repository_blob" (
    "repository_id" BIGINT NOT NULL,
    "digest" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "repository_blob_pkey" PRIMARY KEY ("repository_id","digest")
);

-- CreateTable
CREATE TABLE "manifest" (
    "id" BIGSERIAL NOT NULL,
    "repository_id" BIGINT NOT NULL,
    "digest" TEXT NOT NULL,
    "media_type" TEXT NOT NULL,
    "artifact_type" TEXT,
    "subject_digest" TEXT,
    "annotations" JSONB,
    "size" INTEGER NOT NULL,
    "payload" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "manifest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "manifest_blob" (
    "manifest_id" BIGINT NOT NULL,
    "digest" TEXT NOT NULL,

    CONSTRAINT "manifest_blob_pkey" PRIMARY KEY ("manifest_id","digest")
);

-- CreateTable
CREATE TABLE "manifest_child" (
    "manifest_id" BIGINT NOT NULL,
    "digest" TEXT NOT NULL,

    CONSTRAINT "manifest_child_pkey" PRIMARY KEY ("manifest_id","digest")
);

-- CreateTable
CREATE TABLE "tag" (
    "repository_id" BIGINT NOT NULL,
    "name" TEXT NOT NULL,
    "manifest_id" BIGINT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tag_pkey" PRIMARY KEY ("repository_id","name")
);

-- CreateTable
CREATE TABLE "upload_session" (
    "id" UUID NOT NULL,
    "repository_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "upload_session_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "repository_name_key" ON "repository"("name");

-- CreateIndex
CREATE UNIQUE INDEX "blob_storage_key_key" ON "blob"("storage_key");

-- CreateIndex
CREATE INDEX "repository_blob_digest_idx" ON "repository_blob"("digest");

-- CreateIndex
CREATE INDEX "manifest_repository_id_subject_digest_idx" ON "manifest"("repository_id", "subject_digest");

-- CreateIndex
CREATE UNIQUE INDEX "manifest_repository_id_digest_key" ON "manifest"("repository_id", "digest");

-- CreateIndex
CREATE INDEX "manifest_blob_digest_idx" ON "manifest_blob"("digest");

-- CreateIndex
CREATE INDEX "manifest_child_digest_idx" ON "manifest_child"("digest");

-- CreateIndex
CREATE INDEX "tag_manifest_id_idx" ON "tag"("manifest_id");

-- CreateIndex
CREATE INDEX "upload_session_expires_at_idx" ON "upload_session"("expires_at");

-- AddForeignKey
ALTER TABLE "repository_blob" ADD CONSTRAINT "repository_blob_repository_id_fkey" FOREIGN KEY ("repository_id") REFERENCES "repository"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "repository_blob" ADD CONSTRAINT "repository_blob_digest_fkey" FOREIGN KEY ("digest") REFERENCES "blob"("digest") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "manifest" ADD CONSTRAINT "manifest_repository_id_fkey" FOREIGN KEY ("repository_id") REFERENCES "repository"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "manifest_blob" ADD CONSTRAINT "manifest_blob_manifest_id_fkey" FOREIGN KEY ("manifest_id") REFERENCES "manifest"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "manifest_child" ADD CONSTRAINT "manifest_child_manifest_id_fkey" FOREIGN KEY ("manifest_id") REFERENCES "manifest"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tag" ADD CONSTRAINT "tag_repository_id_fkey" FOREIGN KEY ("repository_id") REFERENCES "repository"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tag" ADD CONSTRAINT "tag_manifest_id_fkey" FOREIGN KEY ("manifest_id") REFERENCES "manifest"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "upload_session" ADD CONSTRAINT "upload_session_repository_id_fkey" FOREIGN KEY ("repository_id") REFERENCES "repository"("id") ON DELETE CASCADE ON UPDATE CASCADE;
