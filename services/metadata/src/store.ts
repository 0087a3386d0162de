import type {
  BlobRecord,
  Descriptor,
  ManifestPut,
  ManifestRecord,
  ManifestReference,
  MetadataStore,
  Page,
  UploadSession,
} from "@portfolio/core";
import * as blobs from "./blobs";
import type { MetadataDatabase } from "./database";
import { translateError } from "./errors";
import * as manifests from "./manifests";
import { listReferrers } from "./referrers";
import { listRepositories } from "./repositories";
import type { Db } from "./sql";
import * as tags from "./tags";
import * as uploads from "./uploads";

/**
 * The MetadataStore on Postgres (or PGlite) through Prisma. Single statements
 * run on their own; methods that write several rows run in one interactive
 * transaction. Every failure passes through `translateError`, so callers see
 * domain errors only. The store owns the database: `close()` closes it.
 */
export class PrismaMetadataStore implements MetadataStore {
  constructor(private readonly database: MetadataDatabase) {}

  findBlob(repository: string, digest: string): Promise<BlobRecord | undefined> {
    return this.run((db) => blobs.findBlob(db, repository, digest));
  }

  findAnyBlob(digest: string): Promise<BlobRecord | undefined> {
    return this.run((db) => blobs.findAnyBlob(db, digest));
  }

  commitBlob(repository: string, blob: BlobRecord): Promise<BlobRecord> {
    return this.transaction((tx) => blobs.commitBlob(tx, repository, blob));
  }

  mountBlob(repository: string, digest: string, from?: string): Promise<BlobRecord | undefined> {
    return this.transaction((tx) => blobs.mountBlob(tx, repository, digest, from));
  }

  unlinkBlob(repository: string, digest: string): Promise<boolean> {
    return this.run((db) => blobs.unlinkBlob(db, repository, digest));
  }

  createUpload(repository: string, expiresAt: Date): Promise<UploadSession> {
    return this.transaction((tx) => uploads.createUpload(tx, repository, expiresAt));
  }

  findUpload(repository: string, id: string): Promise<UploadSession | undefined> {
    return this.run((db) => uploads.findUpload(db, repository, id));
  }

  deleteUpload(repository: string, id: string): Promise<boolean> {
    return this.run((db) => uploads.deleteUpload(db, repository, id));
  }

  putManifest(put: ManifestPut): Promise<void> {
    return this.transaction((tx) => manifests.putManifest(tx, put));
  }

  findManifest(
    repository: string,
    reference: ManifestReference,
  ): Promise<ManifestRecord | undefined> {
    return this.run((db) => manifests.findManifest(db, repository, reference));
  }

  deleteManifest(repository: string, digest: string): Promise<boolean> {
    return this.run((db) => manifests.deleteManifest(db, repository, digest));
  }

  deleteTag(repository: string, tag: string): Promise<boolean> {
    return this.run((db) => tags.deleteTag(db, repository, tag));
  }

  listTags(repository: string, page: Page): Promise<string[] | undefined> {
    return this.run((db) => tags.listTags(db, repository, page));
  }

  listRepositories(page: Page): Promise<string[]> {
    return this.run((db) => listRepositories(db, page));
  }

  listReferrers(repository: string, subject: string, artifactType?: string): Promise<Descriptor[]> {
    return this.run((db) => listReferrers(db, repository, subject, artifactType));
  }

  async ping(): Promise<void> {
    await this.run((db) => db.$queryRaw`SELECT 1`);
  }

  close(): Promise<void> {
    return this.database.close();
  }

  private run<T>(query: (db: Db) => Promise<T>): Promise<T> {
    return query(this.database.prisma).catch(translateError);
  }

  private transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.database.prisma.$transaction(work).catch(translateError);
  }
}
