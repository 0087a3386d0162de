import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { isNotFound, isTransientConflict, translateS3Error } from "./s3-errors";
import type { UploadedPart } from "./upload-state";

/** Waits before each new attempt of a request the store answered with a transient conflict. */
const CONFLICT_RETRY_DELAYS_MS = [20, 100, 400];

/** An inclusive byte range of an object. */
export interface ObjectRange {
  start: number;
  end: number;
}

/** An object as ListObjectsV2 reports it. */
export interface ListedObject {
  key: string;
  size: number;
  modifiedAt: Date;
}

/**
 * The S3 operations the driver uses, on one bucket. Every request goes
 * through `call`, which translates failures; "not found" answers come back as
 * undefined (or are ignored, for deletes) so that callers decide what they mean.
 */
export class S3Objects {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  /** The object's bytes as a stream, or undefined when there is no such object. */
  async get(key: string, range?: ObjectRange): Promise<Readable | undefined> {
    const Range = range && `bytes=${range.start}-${range.end}`;
    const input = { Bucket: this.bucket, Key: key, Range };
    const output = await this.callOrUndefined(() => this.client.send(new GetObjectCommand(input)));
    if (output === undefined) return undefined;
    if (!(output.Body instanceof Readable)) throw new Error(`no body streamed for ${key}`);
    return output.Body;
  }

  async getText(key: string): Promise<string | undefined> {
    const input = { Bucket: this.bucket, Key: key };
    const output = await this.callOrUndefined(() => this.client.send(new GetObjectCommand(input)));
    return output?.Body?.transformToString();
  }

  /** Bodies are not hashed for the signature; see unsigned-payload.ts. */
  async put(key: string, body: Buffer | string): Promise<void> {
    const input = { Bucket: this.bucket, Key: key, Body: body };
    await this.callRetryingConflicts(() => this.client.send(new PutObjectCommand(input)));
  }

  async copy(from: string, to: string): Promise<void> {
    const input = { Bucket: this.bucket, Key: to, CopySource: `${this.bucket}/${from}` };
    await this.callRetryingConflicts(() => this.client.send(new CopyObjectCommand(input)));
  }

  async delete(key: string): Promise<void> {
    const input = { Bucket: this.bucket, Key: key };
    await this.callOrUndefined(() => this.client.send(new DeleteObjectCommand(input)));
  }

  /**
   * Deletes every object under `prefix`, one request each: the prefixes used
   * hold a handful of objects, and DeleteObjects needs an integrity header
   * that not every S3 server accepts from this SDK.
   */
  async deletePrefix(prefix: string): Promise<void> {
    const input = { Bucket: this.bucket, Prefix: prefix };
    const listed = await this.call(() => this.client.send(new ListObjectsV2Command(input)));
    for (const { Key } of listed.Contents ?? []) if (Key) await this.delete(Key);
    if (listed.IsTruncated) await this.deletePrefix(prefix);
  }

  /** Every object under `prefix`, in key order, one page (up to 1,000) per request. */
  async *list(prefix: string): AsyncIterable<ListedObject> {
    let ContinuationToken: string | undefined;
    do {
      const input = { Bucket: this.bucket, Prefix: prefix, ContinuationToken };
      const page = await this.call(() => this.client.send(new ListObjectsV2Command(input)));
      for (const { Key, Size, LastModified } of page.Contents ?? []) {
        if (Key) yield { key: Key, size: Size ?? 0, modifiedAt: LastModified ?? new Date(0) };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken !== undefined);
  }

  async createMultipart(key: string): Promise<string> {
    const input = { Bucket: this.bucket, Key: key };
    const output = await this.call(() => this.client.send(new CreateMultipartUploadCommand(input)));
    if (!output.UploadId) throw new Error(`no upload id for a multipart upload of ${key}`);
    return output.UploadId;
  }

  async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    bytes: Buffer,
  ): Promise<UploadedPart> {
    const input = {
      Bucket: this.bucket,
      Key: key,
      UploadId: uploadId,
      PartNumber: partNumber,
      Body: bytes,
      ContentLength: bytes.length,
    };
    const output = await this.call(() => this.client.send(new UploadPartCommand(input)));
    return { partNumber, etag: requireEtag(output.ETag), size: bytes.length };
  }

  /** Makes a byte range of an existing object a part of the upload, on the server. */
  async copyPart(
    key: string,
    uploadId: string,
    partNumber: number,
    from: string,
    range: ObjectRange,
  ): Promise<UploadedPart> {
    const input = {
      Bucket: this.bucket,
      Key: key,
      UploadId: uploadId,
      PartNumber: partNumber,
      CopySource: `${this.bucket}/${from}`,
      CopySourceRange: `bytes=${range.start}-${range.end}`,
    };
    const output = await this.call(() => this.client.send(new UploadPartCopyCommand(input)));
    const etag = requireEtag(output.CopyPartResult?.ETag);
    return { partNumber, etag, size: range.end - range.start + 1 };
  }

  async completeMultipart(key: string, uploadId: string, parts: UploadedPart[]): Promise<void> {
    const Parts = parts.map(({ partNumber, etag }) => ({ PartNumber: partNumber, ETag: etag }));
    const input = {
      Bucket: this.bucket,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts },
    };
    await this.call(() => this.client.send(new CompleteMultipartUploadCommand(input)));
  }

  /** Abandons a multipart upload and its parts; one already gone is ignored. */
  async abortMultipart(key: string, uploadId: string): Promise<void> {
    const input = { Bucket: this.bucket, Key: key, UploadId: uploadId };
    await this.callOrUndefined(() => this.client.send(new AbortMultipartUploadCommand(input)));
  }

  async headBucket(): Promise<void> {
    const input = { Bucket: this.bucket };
    await this.call(() => this.client.send(new HeadBucketCommand(input)));
  }

  private async call<Output>(request: () => Promise<Output>): Promise<Output> {
    try {
      return await request();
    } catch (error) {
      throw translateS3Error(error);
    }
  }

  /**
   * For requests that can be sent again as they are (whole bodies in
   * memory, copies): the SDK does not retry a 409, but a store answers some
   * while a neighbouring key changes (see isTransientConflict).
   */
  private async callRetryingConflicts<Output>(request: () => Promise<Output>): Promise<Output> {
    for (const delayMs of CONFLICT_RETRY_DELAYS_MS) {
      try {
        return await request();
      } catch (error) {
        if (!isTransientConflict(error)) throw translateS3Error(error);
        await sleep(delayMs);
      }
    }
    return this.call(request);
  }

  private async callOrUndefined<Output>(request: () => Promise<Output>) {
    try {
      return await this.call(request);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}

function requireEtag(etag: string | undefined): string {
  if (!etag) throw new Error("S3 answered a part without an ETag");
  return etag;
}
