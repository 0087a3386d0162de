/*
 * Object key layout in the driver's bucket (under an optional prefix):
 *
 *   uploads/<upload id>/state.json      the upload session's state (upload-state.ts); the
 *                                       upload exists exactly while this object does
 *   uploads/<upload id>/tail/<size>     the staged bytes after the last full part, when the
 *                                       upload held <size> bytes; named by size so that an
 *                                       append writes a new tail and only then, by writing
 *                                       state.json, makes it current
 *   blobs/<storage key>                 a committed blob; also the key that an upload's
 *                                       multipart upload completes into
 *
 * Full parts live in the S3 multipart upload itself, invisible until it is
 * completed. Upload ids and storage keys are UUIDs, checked by `asUuid` before
 * they become keys. S3 needs no sharding of the blobs/ prefix.
 */

export class S3Layout {
  constructor(private readonly prefix = "") {}

  /** Where every upload's objects live: `uploadPrefix` of each. */
  uploadsPrefix(): string {
    return `${this.prefix}uploads/`;
  }

  blobsPrefix(): string {
    return `${this.prefix}blobs/`;
  }

  uploadPrefix(uploadId: string): string {
    return `${this.prefix}uploads/${uploadId}/`;
  }

  stateKey(uploadId: string): string {
    return `${this.uploadPrefix(uploadId)}state.json`;
  }

  tailKey(uploadId: string, size: number): string {
    return `${this.uploadPrefix(uploadId)}tail/${size}`;
  }

  blobKey(storageKey: string): string {
    return `${this.prefix}blobs/${storageKey}`;
  }
}
