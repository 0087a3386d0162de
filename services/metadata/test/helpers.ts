import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { currentRequestId, type ManifestPut, type MetadataStore } from "@portfolio/core";
import { Client } from "pg";
import pino from "pino";
import {
  GrpcMetadataStore,
  type MetadataDatabase,
  openEmbeddedDatabase,
  openPostgres,
  PrismaMetadataStore,
  startMetadataServer,
} from "../src";

export function sha256(content: string | Buffer): string {
  return `sha256:${createHash("sha256").update(content).digest("hex")}`;
}

/** A fresh folder under the system temp dir. */
export function makeTempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "portfolio-metadata-"));
}

export function removeTempDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** A store on a database of its own, and how to throw both away. */
export interface TestStore {
  store: MetadataStore;
  database: MetadataDatabase;
  dispose(): Promise<void>;
}

/**
 * Where the store suites run: always on PGlite in a temp dir, on the same
 * behind the gRPC server and client (every behaviour must hold across the
 * process boundary), and also on a real Postgres server when
 * PORTFOLIO_TEST_POSTGRES_URL names one (each suite then gets a database of
 * its own, with a linguistic ICU collation so that byte order has to come from
 * the queries).
 */
export const backends: [string, () => Promise<TestStore>][] = [
  ["pglite", openPgliteStore],
  ["grpc", openGrpcStore],
  ...(process.env.PORTFOLIO_TEST_POSTGRES_URL
    ? [["postgres", openPostgresStore] as [string, () => Promise<TestStore>]]
    : []),
];

export async function openPgliteStore(): Promise<TestStore> {
  const dir = await makeTempDir();
  const database = await openEmbeddedDatabase(dir);
  const store = new PrismaMetadataStore(database);
  return {
    store,
    database,
    async dispose() {
      await store.close();
      await removeTempDir(dir);
    },
  };
}

/**
 * A GrpcMetadataStore talking to a server on 127.0.0.1 (a free port) that
 * serves a PGlite store; `database` is the one behind the server. The client
 * sends the bound request id, as the gateway's does.
 */
async function openGrpcStore(): Promise<TestStore> {
  const behind = await openPgliteStore();
  const logger = pino({ level: "silent" });
  const server = await startMetadataServer(behind.store, { address: "127.0.0.1:0", logger });
  const store = new GrpcMetadataStore(server.address, { requestId: currentRequestId });
  return {
    store,
    database: behind.database,
    async dispose() {
      await store.close();
      await server.close();
      await behind.dispose();
    },
  };
}

async function openPostgresStore(): Promise<TestStore> {
  const url = await createTestDatabase();
  const database = await openPostgres(url.href);
  const store = new PrismaMetadataStore(database);
  return {
    store,
    database,
    async dispose() {
      await store.close();
      await dropTestDatabase(url);
    },
  };
}

/** A new empty database on the server of PORTFOLIO_TEST_POSTGRES_URL; its URL. */
export async function createTestDatabase(): Promise<URL> {
  const server = new URL(process.env.PORTFOLIO_TEST_POSTGRES_URL!);
  const name = `portfolio_test_${randomUUID().replaceAll("-", "")}`;
  await withAdmin(server, (admin) =>
    admin.query(
      `CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`,
    ),
  );
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url;
}

export async function dropTestDatabase(url: URL): Promise<void> {
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

let repositoryCount = 0;

/** A repository name no other test of the file uses. */
export function newRepository(prefix = "library/test"): string {
  repositoryCount += 1;
  return `${prefix}-${repositoryCount}`;
}

/** Records a blob with the given content in `repository`; returns its digest. */
export async function pushBlob(
  store: MetadataStore,
  repository: string,
  content: string,
): Promise<string> {
  const digest = sha256(content);
  await store.commitBlob(repository, { digest, size: content.length, storageKey: randomUUID() });
  return digest;
}

/** A manifest push whose payload, and so digest, is derived from `body`. */
export function manifestPut(
  repository: string,
  body: unknown,
  extra: Partial<ManifestPut> = {},
): ManifestPut {
  const payload = Buffer.from(JSON.stringify(body));
  return {
    repository,
    digest: sha256(payload),
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    payload,
    blobs: [],
    children: [],
    ...extra,
  };
}

/**
 * A PGlite database in a temp dir for the suite (or `describe` block) this
 * is called in: opened before its tests, closed and removed after them.
 */
export function useEmbeddedDatabase(): () => MetadataDatabase {
  let dir: string;
  let database: MetadataDatabase | undefined;
  beforeAll(async () => {
    dir = await makeTempDir();
    database = await openEmbeddedDatabase(dir);
  });
  afterAll(async () => {
    await database?.close();
    await removeTempDir(dir);
  });
  return () => {
    if (!database) throw new Error("the database opens in beforeAll; use it inside a test");
    return database;
  };
}
