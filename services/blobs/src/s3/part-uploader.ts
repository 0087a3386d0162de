import { partSizeFor } from "./part-sizes";
import type { S3Objects } from "./s3-objects";
import type { UploadedPart } from "./upload-state";

export interface PartTarget {
  /** The object key the multipart upload completes into. */
  key: string;
  /** Creates the multipart upload on first use, and answers its id. */
  multipartUploadId(): Promise<string>;
}

/**
 * Gathers an append's bytes into parts of the size S3 expects next and
 * uploads each as soon as it is full, while the following one fills: memory
 * stays at two part buffers whatever the chunk sizes. What does not fill a
 * part is handed back by `finish` as the new tail.
 */
export class PartUploader {
  readonly parts: UploadedPart[] = [];
  private buffer: Buffer;
  private filled = 0;
  private spare: Buffer | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly objects: S3Objects,
    private readonly target: PartTarget,
    private nextPartNumber: number,
  ) {
    this.buffer = Buffer.allocUnsafe(partSizeFor(nextPartNumber));
  }

  async add(chunk: Buffer): Promise<void> {
    let at = 0;
    while (at < chunk.length) {
      const copied = chunk.copy(this.buffer, this.filled, at);
      this.filled += copied;
      at += copied;
      if (this.filled === this.buffer.length) await this.sendFullPart();
    }
  }

  /** Waits for the parts under way and answers the bytes left over, which fill no part. */
  async finish(): Promise<Buffer> {
    await this.inFlight;
    return this.buffer.subarray(0, this.filled);
  }

  /** Resolves once no part is in flight, whether it was stored or not. */
  async idle(): Promise<void> {
    await this.inFlight.catch(() => undefined);
  }

  private async sendFullPart(): Promise<void> {
    await this.inFlight;
    const full = this.buffer;
    const partNumber = this.nextPartNumber++;
    this.inFlight = this.upload(full, partNumber);
    // Handled here so that a failure surfaces at the next await, not as an unhandled rejection.
    this.inFlight.catch(() => undefined);
    this.buffer = this.takeBuffer(partSizeFor(this.nextPartNumber));
    this.filled = 0;
  }

  private async upload(bytes: Buffer, partNumber: number): Promise<void> {
    const uploadId = await this.target.multipartUploadId();
    this.parts.push(await this.objects.uploadPart(this.target.key, uploadId, partNumber, bytes));
    this.spare = bytes;
  }

  /** Reuses the buffer of the part last stored when it has the right size. */
  private takeBuffer(size: number): Buffer {
    const spare = this.spare;
    this.spare = undefined;
    return spare?.length === size ? spare : Buffer.allocUnsafe(size);
  }
}
