import { randomUUID } from "node:crypto";
import { defaultMigrationsDir, type MigrationFile, readMigrationFiles } from "./migration-files";

/**
 * What the migration runner needs from a database session. It must be one
 * session (one connection) for the whole run: the advisory lock and the
 * transactions below belong to the session that opened them.
 */
export interface MigrationConnection {
  /** Runs a script of several statements (the simple query protocol). */
  exec(script: string): Promise<void>;
  /** Runs one parameterised statement and returns its rows. */
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
}

export interface MigrateOptions {
  /**
   * Where the `<name>/migration.sql` folders are; the repository's
   * `prisma/migrations` by default.
   */
  migrationsDir?: string;
}

/**
 * The key `prisma migrate deploy` itself locks, so that this runner, a real
 * `prisma migrate deploy` and other replicas starting at once take turns.
 */
const PRISMA_MIGRATE_LOCK = 72707369;

/** The history table exactly as the Prisma schema engine creates it. */
const CREATE_HISTORY = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0,
  CONSTRAINT "_prisma_migrations_pkey" PRIMARY KEY ("id")
)`;

interface HistoryRow {
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies the migrations that `_prisma_migrations` does not list as finished,
 * in order, without the Prisma schema engine (which cannot be installed on
 * every machine). Each migration runs in its own transaction together with its
 * history row, so a failed script leaves neither tables nor a record behind;
 * scripts that cannot run inside a transaction (CREATE INDEX CONCURRENTLY) are
 * therefore not supported. Returns the names applied by this call.
 *
 * Throws when the history holds a migration that started and never finished
 * (left by `prisma migrate deploy`), as Prisma does (P3009): someone has to
 * resolve it first.
 */
export async function applyMigrations(
  connection: MigrationConnection,
  options: MigrateOptions = {},
): Promise<string[]> {
  const files = await readMigrationFiles(options.migrationsDir ?? defaultMigrationsDir);

  await connection.query("SELECT pg_advisory_lock($1)", [PRISMA_MIGRATE_LOCK]);
  try {
    await connection.exec(CREATE_HISTORY);
    const finished = await finishedMigrations(connection);
    const pending = files.filter((file) => !finished.has(file.name));
    for (const file of pending) await applyOne(connection, file);
    return pending.map((file) => file.name);
  } finally {
    await connection.query("SELECT pg_advisory_unlock($1)", [PRISMA_MIGRATE_LOCK]);
  }
}

async function finishedMigrations(connection: MigrationConnection): Promise<Set<string>> {
  const rows = await connection.query<HistoryRow>(
    `SELECT migration_name, finished_at, rolled_back_at FROM "_prisma_migrations"`,
  );
  const live = rows.filter((row) => row.rolled_back_at === null);

  const failed = live.filter((row) => row.finished_at === null).map((row) => row.migration_name);
  if (failed.length > 0) {
    throw new Error(`migrations started but never finished: ${failed.join(", ")}`);
  }
  return new Set(live.map((row) => row.migration_name));
}

async function applyOne(connection: MigrationConnection, file: MigrationFile): Promise<void> {
  await connection.exec("BEGIN");
  try {
    await connection.exec(file.script);
    await connection.query(
      `INSERT INTO "_prisma_migrations"
         (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), clock_timestamp(), 1)`,
      [randomUUID(), file.checksum, file.name],
    );
    await connection.exec("COMMIT");
  } catch (error) {
    await connection.exec("ROLLBACK");
    throw new Error(`migration ${file.name} failed`, { cause: error });
  }
}
