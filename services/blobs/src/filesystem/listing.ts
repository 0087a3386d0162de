import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { StoredObject } from "@portfolio/core";
import { isNotFound } from "./files";
import { asUuid, type FilesystemLayout } from "./layout";

/**
 * Every blob under `blobs/<shard>/` and every staged upload under `uploads/`
 * (see layout.ts), one directory read at a time. Names that are not UUIDs are
 * none of the driver's and are skipped; a file deleted meanwhile is too.
 */
export async function* listStoredObjects(layout: FilesystemLayout): AsyncIterable<StoredObject> {
  for (const shard of await entries(layout.blobsDirectory)) {
    if (!shard.isDirectory()) continue;
    const directory = join(layout.blobsDirectory, shard.name);
    for (const file of await entries(directory)) {
      const found = await described("blob", directory, file);
      if (found !== undefined) yield found;
    }
  }
  for (const file of await entries(layout.uploadsDirectory)) {
    const found = await described("upload", layout.uploadsDirectory, file);
    if (found !== undefined) yield found;
  }
}

async function entries(directory: string): Promise<Dirent[]> {
  try {
    return await readdir(directory, { withFileTypes: true });
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

async function described(
  kind: StoredObject["kind"],
  directory: string,
  file: Dirent,
): Promise<StoredObject | undefined> {
  const key = asUuid(file.name);
  if (key === undefined || key !== file.name || !file.isFile()) return undefined;
  try {
    const found = await stat(join(directory, file.name));
    return { kind, key, size: found.size, modifiedAt: found.mtime };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
