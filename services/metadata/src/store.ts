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
import { runChange } from "./change";
import type { MetadataDatabase } from "./database";
import { translateError } from "./errors";
import * as manifests from "./manifests";
import type { RecordEvent } from "./outbox/record";
import { listReferrers } from "./referrers";
import { listRepositories } from "./repositories";
import type { Db } from "./sql";
import * as tags from "./tags";
import * as uploads from "./uploads";

/**
 * The MetadataStore on Postgres (or PGlite) through Prisma. Reads run on
 * their own; every change runs in one interactive transaction that also
 * appends the change's events to the outbox (`outbox/`), so an event is
 * written if and only if its change commits. Every failure passes through
 * `translateError`, so callers see domain errors only. The store owns the
 * database: `close()` closes it.
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
    return this.transaction((tx, record) => blobs.commitBlob(tx, repository, blob, record));
  }

  mountBlob(repository: string, digest: string, from?: string): Promise<BlobRecord | undefined> {
    return this.transaction((tx, record) => blobs.mountBlob(tx, repository, digest, from, record));
  }

  unlinkBlob(repository: string, digest: string): Promise<boolean> {
    return this.transaction((tx, record) => blobs.unlinkBlob(tx, repository, digest, record));
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
    return this.transaction((tx, record) => manifests.putManifest(tx, put, record));
  }

  findManifest(
    repository: string,
    reference: ManifestReference,
  ): Promise<ManifestRecord | undefined> {
    return this.run((db) => manifests.findManifest(db, repository, reference));
  }

  deleteManifest(repository: string, digest: string): Promise<boolean> {
    return this.transaction((tx, record) =>
      manifests.deleteManifest(tx, repository, digest, record),
    );
  }

  deleteTag(repository: string, tag: string): Promise<boolean> {
    return this.transaction((tx, record) => tags.deleteTag(tx, repository, tag, record));
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

  /** Runs `work` as one change with its events (see runChange), translating failures. */
  private transaction<T>(work: (tx: Db, record: RecordEvent) => Promise<T>): Promise<T> {
    return runChange(this.database, work).catch(translateError);
  }
}
