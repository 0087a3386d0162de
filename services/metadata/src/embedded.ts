import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { createPrismaClient, type MetadataDatabase, type OpenOptions } from "./database";
import { applyMigrations, type MigrationConnection } from "./migrate";

/**
 * Opens the embedded Postgres (PGlite) persisted under `dataDir`, creating the
 * folder if needed, and applies pending migrations. A `memory://` data dir
 * keeps everything in memory. PGlite is one session in this process: only one
 * process may open a data dir at a time.
 */
export async function openEmbeddedDatabase(
  dataDir: string,
  options: OpenOptions = {},
): Promise<MetadataDatabase> {
  if (!dataDir.includes("://")) await mkdir(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);

  try {
    if (options.migrate !== false) await applyMigrations(pgliteConnection(pglite), options);
  } catch (error) {
    await pglite.close();
    throw error;
  }

  const prisma = createPrismaClient(new PrismaPGlite(pglite));
  return {
    prisma,
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}

function pgliteConnection(pglite: PGlite): MigrationConnection {
  return {
    async exec(script) {
      await pglite.exec(script);
    },
    async query<Row>(sql: string, params?: unknown[]) {
      return (await pglite.query<Row>(sql, params)).rows;
    },
  };
}
