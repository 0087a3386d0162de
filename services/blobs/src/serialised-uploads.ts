import type { Readable } from "node:stream";
import { type StoredBlob, UploadUnknownError } from "@portfolio/core";
import { asUuid } from "./filesystem/layout";
import { KeyedSerializer } from "./streams/keyed-serializer";

/**
 * What every storage driver does the same way around its uploads: upload ids
 * are UUIDs, and the appends and the commit of one upload run one at a time,
 * in arrival order, since two of them at once would interleave their bytes.
 * A driver supplies the work itself, `appendNow` and `commitNow`. Both calls
 * are async, so a bad id rejects rather than throws.
 */
export abstract class SerialisedUploads {
  protected readonly uploads = new KeyedSerializer();

  async appendUpload(
    uploadId: string,
    body: Readable,
    options: { offset?: number; length?: number } = {},
  ): Promise<number> {
    const id = this.knownUploadId(uploadId);
    return this.uploads.run(id, () => this.appendNow(id, body, options));
  }

  async commitUpload(uploadId: string, digest: string): Promise<StoredBlob> {
    const id = this.knownUploadId(uploadId);
    return this.uploads.run(id, () => this.commitNow(id, digest));
  }

  /** The id as a UUID; anything else cannot name an upload. */
  protected knownUploadId(uploadId: string): string {
    const id = asUuid(uploadId);
    if (id === undefined) throw new UploadUnknownError(uploadId);
    return id;
  }

  protected abstract appendNow(
    id: string,
    body: Readable,
    options: { offset?: number; length?: number },
  ): Promise<number>;

  protected abstract commitNow(id: string, digest: string): Promise<StoredBlob>;
}
