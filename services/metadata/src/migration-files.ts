import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import * as path from "node:path";

/** One folder of `prisma/migrations`: its name and the SQL script it holds. */
export interface MigrationFile {
  name: string;
  script: string;
  /** sha256 of the file's bytes in hex, as `prisma migrate` records it. */
  checksum: string;
}

/**
 * The repository's `prisma/migrations` folder. Both `src/` (tests) and `dist/`
 * (compiled) sit two levels below the package, so one relative path serves both.
 */
export const defaultMigrationsDir = path.resolve(__dirname, "../../../prisma/migrations");

/**
 * Every `<name>/migration.sql` under `dir`, sorted by folder name the way Prisma
 * orders them (the timestamp prefix makes that chronological). Folders without
 * a script and plain files such as `migration_lock.toml` are skipped.
 */
export async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort(compareBytes);

  const files: MigrationFile[] = [];
  for (const name of names) {
    const bytes = await readScript(path.join(dir, name, "migration.sql"));
    if (bytes === undefined) continue;
    const checksum = createHash("sha256").update(bytes).digest("hex");
    files.push({ name, script: bytes.toString("utf8"), checksum });
  }
  return files;
}

async function readScript(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
