import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { FilesystemBlobStorage } from "@portfolio/blobs";
import type { BlobRecord, BlobStorage } from "@portfolio/core";
import {
  applyOnce,
  GcFeed,
  type MetadataDatabase,
  openEmbeddedDatabase,
  openPostgres,
  PrismaMetadataStore,
} from "@portfolio/metadata";
import { Client } from "pg";
import { DEFAULT_GC_POLICY, type GcPolicy } from "../src";

/** A zero-delay policy that deletes untagged manifests and orphaned referrers at once. */
export const EAGER: GcPolicy = {
  ...DEFAULT_GC_POLICY,
  reviewDelayMs: 0,
  untagged: "delete",
  untaggedAgeMs: 0,
  referrers: "delete-with-subject",
  orphanGraceMs: 0,
};

export interface Fixture {
  database: MetadataDatabase;
  store: PrismaMetadataStore;
  storage: BlobStorage;
  /** Applies every outbox event not yet fed to the gc feed (delay 0), as the relay would. */
  feed(): Promise<void>;
  /** Stores `content` and commits it as a blob of `repository`, as the gateway does. */
  upload(repository: string, content: string): Promise<BlobRecord>;
  dispose(): Promise<void>;
}

export const backends: [string, () => Promise<Fixture>][] = [
  ["pglite", () => openFixture("pglite")],
  ...(process.env.PORTFOLIO_TEST_POSTGRES_URL
    ? [["postgres", () => openFixture("postgres")] as [string, () => Promise<Fixture>]]
    : []),
];

export function sha256(content: string | Buffer): string {
  return `sha256:${createHash("sha256").update(content).digest("hex")}`;
}

export async function openFixture(kind: "pglite" | "postgres", poolSize?: number) {
  const dir = await mkdtemp(path.join(tmpdir(), "portfolio-gc-"));
  const url = kind === "postgres" ? await createTestDatabase() : undefined;
  const database = url
    ? await openPostgres(url.href, { poolSize })
    : await openEmbeddedDatabase(path.join(dir, "metadata"));
  const store = new PrismaMetadataStore(database);
  const storage = await FilesystemBlobStorage.open(path.join(dir, "blobs"));
  const gcFeed = new GcFeed(0);
  const fed = new Set<string>();

  const fixture: Fixture = {
    database,
    store,
    storage,
    async feed() {
      const rows = await database.prisma.$queryRaw<
        { id: string; type: string; repository: string; payload: never; created_at: Date }[]
      >`SELECT id::text AS id, type, repository, payload, created_at FROM outbox_event
        ORDER BY sequence`;
      for (const row of rows.filter((r) => !fed.has(r.id))) {
        fed.add(row.id);
        const event = { ...row, source: "test", time: row.created_at.toISOString() };
        await applyOnce(database, gcFeed, event as never);
      }
    },
    async upload(repository, content) {
      const stored = await storage.putBlob!(Readable.from([Buffer.from(content)]), sha256(content));
      const blob = await store.commitBlob(repository, stored);
      if (blob.storageKey !== stored.storageKey) await storage.delete(stored.storageKey);
      return blob;
    },
    async dispose() {
      await store.close();
      await storage.close();
      if (url) await dropTestDatabase(url);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

async function createTestDatabase(): Promise<URL> {
  const server = new URL(process.env.PORTFOLIO_TEST_POSTGRES_URL!);
  const name = `portfolio_gc_${randomUUID().replaceAll("-", "")}`;
  await withAdmin(server, (admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url;
}

async function dropTestDatabase(url: URL): Promise<void> {
  const name = url.pathname.slice(1);
  await withAdmin(url, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

async function withAdmin<T>(url: URL, work: (admin: Client) => Promise<T>): Promise<T> {
  const adminUrl = new URL(url);
  adminUrl.pathname = "/postgres";
  const admin = new Client({ connectionString: adminUrl.href });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** Whether storage still holds bytes under `storageKey`. */
export async function stored(storage: BlobStorage, storageKey: string): Promise<boolean> {
  try {
    (await storage.read(storageKey)).destroy();
    return true;
  } catch {
    return false;
  }
}

/** An image manifest naming `config` and `layers`, as the gateway would record its push. */
export function imagePut(repository: string, config: string, layers: string[], tag?: string) {
  const payload = Buffer.from(JSON.stringify({ schemaVersion: 2, config, layers, tag }));
  return {
    repository,
    digest: sha256(payload),
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    payload,
    blobs: [config, ...layers],
    children: [],
    ...(tag === undefined ? {} : { tag }),
  };
}
