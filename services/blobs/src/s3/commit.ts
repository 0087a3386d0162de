import { createHash, type Hash, randomUUID } from "node:crypto";
import { createDigester, type DigestAlgorithm } from "@portfolio/core";
import type { AppendContext } from "./append";
import { nextPartNumber, partsBytes, tailBytes, type UploadState } from "./upload-state";

/** S3 copies at most 5 GiB into one part. */
const MAX_COPY_PART_BYTES = 5 * 1024 ** 3;

/**
 * Makes `blobs/<storageKey>` hold the upload's staged bytes: the tail is
 * copied on the server as the last part and the multipart upload completed;
 * an upload that never filled a part is copied (or, when empty, written) whole.
 */
export async function assembleBlob(
  { objects, layout }: AppendContext,
  uploadId: string,
  state: UploadState,
): Promise<void> {
  const blobKey = layout.blobKey(state.storageKey);
  const tailKey = layout.tailKey(uploadId, state.size);
  const tail = tailBytes(state);
  const { multipartUploadId, parts } = state;

  if (multipartUploadId === undefined || parts.length === 0) {
    if (tail > 0) await objects.copy(tailKey, blobKey);
    else await objects.put(blobKey, Buffer.alloc(0));
    if (multipartUploadId !== undefined) await objects.abortMultipart(blobKey, multipartUploadId);
    return;
  }

  const last =
    tail > 0
      ? [
          await objects.copyPart(blobKey, multipartUploadId, nextPartNumber(state), tailKey, {
            start: 0,
            end: tail - 1,
          }),
        ]
      : [];
  await objects.completeMultipart(blobKey, multipartUploadId, [...parts, ...last]);
}

/**
 * Reads a stored blob back and answers its digest in `algorithm`, with a
 * sha256 hash of all of it that can become the upload's running digest again.
 */
export async function digestByReading(
  { objects, layout }: AppendContext,
  storageKey: string,
  algorithm: DigestAlgorithm,
): Promise<{ digest: string; sha256: Hash }> {
  const stream = await objects.get(layout.blobKey(storageKey));
  if (stream === undefined) throw new Error(`blob ${storageKey} vanished while being verified`);

  const sha256 = createHash("sha256");
  const other = algorithm === "sha256" ? undefined : createDigester(algorithm);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    sha256.update(chunk);
    other?.update(chunk);
  }
  const digest = `${algorithm}:${(other ?? sha256.copy()).digest("hex")}`;
  return { digest, sha256 };
}

/**
 * Turns an assembled blob whose digest was refused back into a resumable
 * upload: its full parts are copied on the server into a new multipart upload
 * under a new storage key (in pieces of at most 5 GiB, each well over S3's
 * 5 MiB minimum), the tail object is still in place, and the assembled blob is
 * deleted. Answers the new state, already saved.
 */
export async function restage(
  context: AppendContext,
  uploadId: string,
  assembled: UploadState,
): Promise<UploadState> {
  const { objects, layout, states } = context;
  const storageKey = randomUUID();
  const staged = partsBytes(assembled);
  let state: UploadState = { size: assembled.size, storageKey, parts: [] };

  if (staged > 0) {
    const key = layout.blobKey(storageKey);
    const multipartUploadId = await objects.createMultipart(key);
    state = { ...state, multipartUploadId };
    await states.save(uploadId, state);
    const from = layout.blobKey(assembled.storageKey);
    const pieces = Math.ceil(staged / MAX_COPY_PART_BYTES);
    const pieceBytes = Math.ceil(staged / pieces);
    for (let piece = 0; piece < pieces; piece++) {
      const start = piece * pieceBytes;
      const end = Math.min(staged, start + pieceBytes) - 1;
      state.parts.push(
        await objects.copyPart(key, multipartUploadId, piece + 1, from, { start, end }),
      );
    }
  }

  await states.save(uploadId, state);
  await objects.delete(layout.blobKey(assembled.storageKey));
  return state;
}
