import { PrismaPg } from "@prisma/adapter-pg";
import { Client } from "pg";
import { createPrismaClient, type MetadataDatabase, type OpenOptions } from "./database";
import { translateError } from "./errors";
import { applyMigrations, type MigrateOptions, type MigrationConnection } from "./migrate";
import { statementNames } from "./statement-names";

/** How long a pooled connection serves before the pool replaces it. */
const CONNECTION_LIFETIME_S = 300;

export interface PostgresOptions extends OpenOptions {
  /** Connections in the pool; pg's default (10) when unset. */
  poolSize?: number;
}

/**
 * Connects to a Postgres server (`postgresql://` URL), applies pending
 * migrations over one dedicated connection, then opens a pooled Prisma client.
 * Throws BackendUnavailableError when the server cannot be reached.
 */
export async function openPostgres(
  url: string,
  options: PostgresOptions = {},
): Promise<MetadataDatabase> {
  if (options.migrate !== false) await migratePostgres(url, options);

  const adapter = new PrismaPg(
    // Connections are replaced every few minutes, so that no plan prepared
    // before a migration outlives it for long (statement-names.ts).
    { connectionString: url, max: options.poolSize, maxLifetimeSeconds: CONNECTION_LIFETIME_S },
    { statementNameGenerator: statementNames() },
  );
  const prisma = createPrismaClient(adapter);
  return {
    prisma,
    close: () => prisma.$disconnect(),
  };
}

async function migratePostgres(url: string, options: MigrateOptions): Promise<void> {
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
    await applyMigrations(pgConnection(client), options);
  } catch (error) {
    translateError(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function pgConnection(client: Client): MigrationConnection {
  return {
    async exec(script) {
      await client.query(script);
    },
    async query<Row>(sql: string, params?: unknown[]) {
      return (await client.query(sql, params)).rows as Row[];
    },
  };
}
