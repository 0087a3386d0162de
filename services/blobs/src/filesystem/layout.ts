import { join } from "node:path";

/*
 * On-disk layout under the driver's root directory:
 *
 *   uploads/<upload id>                 bytes staged by an upload session, appended in place
 *   blobs/<first 2 hex digits>/<key>    a committed blob under its storage key
 *
 * Upload ids and storage keys are UUIDs, the same ones metadata stores. A commit
 * renames the staged file into `blobs/`, so a blob appears whole or not at all.
 * The two-digit shard keeps directories small (256 of them, each ~1/256 of the
 * blobs). Both kinds of name are checked to be UUIDs before they become paths,
 * which also rules out path traversal.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The UUID in canonical lower case, or undefined for anything else. */
export function asUuid(value: string): string | undefined {
  const lower = value.toLowerCase();
  return UUID.test(lower) ? lower : undefined;
}

export class FilesystemLayout {
  readonly uploadsDirectory: string;
  readonly blobsDirectory: string;

  constructor(readonly root: string) {
    this.uploadsDirectory = join(root, "uploads");
    this.blobsDirectory = join(root, "blobs");
  }

  /** Where an upload's bytes are staged; `uploadId` must come from `asUuid`. */
  uploadPath(uploadId: string): string {
    return join(this.uploadsDirectory, uploadId);
  }

  /** The shard directory of a storage key; `storageKey` must come from `asUuid`. */
  shardDirectory(storageKey: string): string {
    return join(this.blobsDirectory, storageKey.slice(0, 2));
  }

  blobPath(storageKey: string): string {
    return join(this.shardDirectory(storageKey), storageKey);
  }
}
