import type { PrismaPg } from "@prisma/adapter-pg";
import type { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "./generated/prisma/client";
import type { MigrateOptions } from "./migrate";

/**
 * A migrated metadata database behind a Prisma client. Whoever opened it
 * closes it: `close()` disconnects the client and releases the driver (the
 * PGlite instance or the connection pool).
 */
export interface MetadataDatabase {
  readonly prisma: PrismaClient;
  close(): Promise<void>;
}

export interface OpenOptions extends MigrateOptions {
  /** Apply pending migrations before answering; true unless set to false. */
  migrate?: boolean;
}

/**
 * Interactive transactions queue for the single PGlite session, and for a pool
 * connection under load, so they may wait longer than Prisma's 2 s default.
 */
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 15_000 };

export function createPrismaClient(adapter: PrismaPg | PrismaPGlite): PrismaClient {
  return new PrismaClient({ adapter, transactionOptions: TRANSACTION_OPTIONS });
}
