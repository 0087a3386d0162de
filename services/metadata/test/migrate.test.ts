import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { BackendUnavailableError } from "@portfolio/core";
import {
  defaultMigrationsDir,
  type MetadataDatabase,
  openEmbeddedDatabase,
  openPostgres,
  PrismaMetadataStore,
} from "../src";
import { createTestDatabase, dropTestDatabase, makeTempDir, removeTempDir } from "./helpers";

const INIT = "20261204000000_init";
/** Every migration the project ships, in the order they apply. */
const SHIPPED = readdirSync(defaultMigrationsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

interface HistoryRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}

function history(database: MetadataDatabase): Promise<HistoryRow[]> {
  return database.prisma.$queryRaw<HistoryRow[]>`
    SELECT id, checksum, migration_name, finished_at, rolled_back_at, logs, applied_steps_count
    FROM "_prisma_migrations" ORDER BY migration_name`;
}

async function tableExists(database: MetadataDatabase, table: string): Promise<boolean> {
  const rows = await database.prisma.$queryRaw<{ found: string | null }[]>`
    SELECT to_regclass(${table})::text AS found`;
  return rows[0]?.found !== null;
}

/** Copies the real migrations and adds `extra` folders of SQL. */
async function migrationsWith(dir: string, extra: Record<string, string>): Promise<string> {
  const migrations = path.join(dir, "migrations");
  await cp(defaultMigrationsDir, migrations, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) {
    await mkdir(path.join(migrations, name));
    await writeFile(path.join(migrations, name, "migration.sql"), sql);
  }
  return migrations;
}

describe("migrations on PGlite", () => {
  let dir: string;
  let dataDir: string;

  beforeEach(async () => {
    dir = await makeTempDir();
    dataDir = path.join(dir, "data");
  });

  afterEach(() => removeTempDir(dir));

  test("are applied once and recorded the way prisma migrate deploy records them", async () => {
    const script = await readFile(path.join(defaultMigrationsDir, INIT, "migration.sql"));
    const checksum = createHash("sha256").update(script).digest("hex");

    const database = await openEmbeddedDatabase(dataDir);
    const rows = await history(database);
    const tablesExist = await tableExists(database, "manifest");
    await database.close();

    expect(tablesExist).toBe(true);
    expect(rows.map((row) => row.migration_name)).toEqual(SHIPPED);
    expect(rows[0]).toMatchObject({
      migration_name: INIT,
      checksum,
      rolled_back_at: null,
      logs: null,
      applied_steps_count: 1,
    });
    expect(rows[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(rows[0]!.finished_at).toBeInstanceOf(Date);
  });

  test("a second start applies nothing and keeps the one record", async () => {
    const first = await openEmbeddedDatabase(dataDir);
    const before = await history(first);
    await first.close();

    const second = await openEmbeddedDatabase(dataDir);
    const after = await history(second);
    await second.close();

    expect(after).toEqual(before);
  });

  test("only migrations added since the last start are applied, in name order", async () => {
    const migrations = await migrationsWith(dir, {
      "20261206000000_second": "ALTER TABLE repository ADD COLUMN second TEXT;",
    });
    const first = await openEmbeddedDatabase(dataDir, { migrationsDir: migrations });
    await first.close();

    await mkdir(path.join(migrations, "20261205000000_earlier"));
    await writeFile(
      path.join(migrations, "20261205000000_earlier", "migration.sql"),
      "CREATE TABLE earlier (id INT);",
    );
    const second = await openEmbeddedDatabase(dataDir, { migrationsDir: migrations });
    const names = (await history(second)).map((row) => row.migration_name);
    const earlierExists = await tableExists(second, "earlier");
    await second.close();

    expect(names).toEqual([...SHIPPED, "20261205000000_earlier", "20261206000000_second"]);
    expect(earlierExists).toBe(true);
  });

  test("a failing migration leaves neither its changes nor a record", async () => {
    const migrations = await migrationsWith(dir, {
      "20261205000000_broken": "CREATE TABLE half_done (id INT);\nSELECT * FROM no_such_table;",
    });

    await expect(openEmbeddedDatabase(dataDir, { migrationsDir: migrations })).rejects.toThrow(
      "migration 20261205000000_broken failed",
    );

    const database = await openEmbeddedDatabase(dataDir);
    const names = (await history(database)).map((row) => row.migration_name);
    const halfDone = await tableExists(database, "half_done");
    await database.close();

    expect(names).toEqual(SHIPPED);
    expect(halfDone).toBe(false);
  });

  test("a migration that started and never finished stops the start", async () => {
    const database = await openEmbeddedDatabase(dataDir);
    await database.prisma.$executeRaw`
      INSERT INTO "_prisma_migrations" (id, checksum, migration_name)
      VALUES ('00000000-0000-0000-0000-000000000001', 'x', '20261205000000_stuck')`;
    await database.close();

    await expect(openEmbeddedDatabase(dataDir)).rejects.toThrow(
      "migrations started but never finished: 20261205000000_stuck",
    );
  });
});

describe("openPostgres", () => {
  test("throws BackendUnavailableError when no server listens", async () => {
    const opening = openPostgres("postgresql://portfolio@127.0.0.1:1/portfolio");

    await expect(opening).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  test("gives a store that reports BackendUnavailableError while no server listens", async () => {
    const database = await openPostgres("postgresql://portfolio@127.0.0.1:1/portfolio", {
      migrate: false,
    });
    const store = new PrismaMetadataStore(database);

    try {
      await expect(store.ping()).rejects.toBeInstanceOf(BackendUnavailableError);
      await expect(store.listRepositories({})).rejects.toBeInstanceOf(BackendUnavailableError);
      await expect(store.createUpload("library/any", new Date())).rejects.toBeInstanceOf(
        BackendUnavailableError,
      );
    } finally {
      await store.close();
    }
  });

  const onServer = process.env.PORTFOLIO_TEST_POSTGRES_URL ? test : test.skip;

  onServer("replicas starting at once apply each migration once", async () => {
    const url = await createTestDatabase();
    try {
      const replicas = await Promise.all([1, 2, 3].map(() => openPostgres(url.href)));
      const rows = await history(replicas[0]!);
      await Promise.all(replicas.map((replica) => replica.close()));

      expect(rows.map((row) => row.migration_name)).toEqual(SHIPPED);
    } finally {
      await dropTestDatabase(url);
    }
  });
});
