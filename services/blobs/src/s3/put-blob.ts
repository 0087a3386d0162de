import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import {
  createDigester,
  DigestMismatchError,
  parseDigest,
  SizeMismatchError,
  type StoredBlob,
} from "@portfolio/core";
import type { S3Layout } from "./layout";
import { MeteredBody } from "./metered-body";
import { PartUploader } from "./part-uploader";
import type { S3Objects } from "./s3-objects";

/**
 * Stores a whole blob with no upload session: no state object, no tail, no
 * copy. A session exists so that another request (or instance) can continue
 * the upload; a blob pushed in one request needs none of that, and the
 * session dance costs a small blob nine S3 requests and a second write of
 * its bytes. Here a body under one part is hashed in memory and written with
 * one PutObject once its digest is verified; a larger one streams into a
 * multipart upload under a fresh key, completed only once the digest is
 * verified and aborted otherwise, so a refused blob is never visible.
 *
 * An unparseable digest is reported against the bytes' sha256, as a commit does.
 */
export async function putBlob(
  objects: S3Objects,
  layout: S3Layout,
  body: Readable,
  digest: string,
  { length }: { length?: number },
): Promise<StoredBlob> {
  const expected = parseDigest(digest);
  const algorithm = expected?.algorithm ?? "sha256";
  const hash = createDigester(algorithm);
  const meter = new MeteredBody(length, hash);
  const storageKey = randomUUID();
  const key = layout.blobKey(storageKey);
  let multipartUploadId: string | undefined;
  const uploader = new PartUploader(
    objects,
    {
      key,
      async multipartUploadId() {
        multipartUploadId ??= await objects.createMultipart(key);
        return multipartUploadId;
      },
    },
    1,
  );

  try {
    let rest: Buffer;
    try {
      for await (const chunk of meter.chunks(body)) await uploader.add(chunk);
      rest = await uploader.finish();
    } finally {
      await uploader.idle();
    }
    if (length !== undefined && meter.bytes !== length) {
      throw new SizeMismatchError(length, meter.bytes);
    }
    const actual = `${algorithm}:${hash.digest("hex")}`;
    if (actual !== expected?.digest) throw new DigestMismatchError(digest, actual);

    if (multipartUploadId === undefined) await objects.put(key, rest);
    else await completeWith(objects, key, multipartUploadId, uploader, rest);
  } catch (error) {
    if (multipartUploadId !== undefined) await objects.abortMultipart(key, multipartUploadId);
    throw error;
  }
  return { digest, size: meter.bytes, storageKey };
}

/** Uploads what fills no part as the last one (S3 allows it to be small) and completes. */
async function completeWith(
  objects: S3Objects,
  key: string,
  multipartUploadId: string,
  uploader: PartUploader,
  rest: Buffer,
): Promise<void> {
  const parts = [...uploader.parts];
  if (rest.length > 0) {
    parts.push(await objects.uploadPart(key, multipartUploadId, parts.length + 1, rest));
  }
  await objects.completeMultipart(key, multipartUploadId, parts);
}
