import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { BlobStorage, StoredBlob } from "@portfolio/core";

/**
 * `putBlob` for a driver that has no cheaper way: an upload under a fresh id,
 * one append and the commit, cancelled when any of them fails so that
 * nothing is left staged (a refused digest keeps the upload for a retry,
 * which no one can make here).
 */
export async function putViaUpload(
  storage: BlobStorage,
  body: Readable,
  digest: string,
  options: { length?: number } = {},
): Promise<StoredBlob> {
  const uploadId = randomUUID();
  await storage.createUpload(uploadId);
  try {
    await storage.appendUpload(uploadId, body, { length: options.length });
    return await storage.commitUpload(uploadId, digest);
  } catch (error) {
    await storage.cancelUpload(uploadId);
    throw error;
  }
}
