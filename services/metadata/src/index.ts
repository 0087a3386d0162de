export type { MetadataDatabase, OpenOptions } from "./database";
export { openEmbeddedDatabase } from "./embedded";
export { applyMigrations, type MigrateOptions, type MigrationConnection } from "./migrate";
export { defaultMigrationsDir } from "./migration-files";
export { openPostgres, type PostgresOptions } from "./postgres";
export { PrismaMetadataStore } from "./store";
