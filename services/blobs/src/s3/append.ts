import type { Hash } from "node:crypto";
import type { Readable } from "node:stream";
import { SizeMismatchError } from "@portfolio/core";
import type { S3Layout } from "./layout";
import { MeteredBody } from "./metered-body";
import { PartUploader } from "./part-uploader";
import type { S3Objects } from "./s3-objects";
import { nextPartNumber, tailBytes, type UploadState } from "./upload-state";
import type { UploadStates } from "./upload-states";

export interface AppendContext {
  objects: S3Objects;
  layout: S3Layout;
  states: UploadStates;
}

/**
 * Appends `body` to an upload and answers its new state, already saved.
 *
 * The current tail is read back (less than one part) and streamed ahead of
 * the body into parts of the size S3 expects; full parts are uploaded as they
 * fill, and what is left becomes a new tail object. Writing state.json is the
 * commit point: if the body fails or has the wrong length, nothing refers to
 * the parts or tail written meanwhile, and the next append overwrites those
 * part numbers, so the upload stays as it was.
 */
export async function appendToUpload(
  context: AppendContext,
  uploadId: string,
  state: UploadState,
  body: Readable,
  options: { length?: number; hash?: Hash },
): Promise<UploadState> {
  const { objects, layout } = context;
  const meter = new MeteredBody(options.length, options.hash);
  let multipartUploadId = state.multipartUploadId;
  const uploader = new PartUploader(
    objects,
    {
      key: layout.blobKey(state.storageKey),
      async multipartUploadId() {
        multipartUploadId ??= await startMultipart(context, uploadId, state);
        return multipartUploadId;
      },
    },
    nextPartNumber(state),
  );

  let tail: Buffer;
  try {
    for await (const chunk of stagedThenNew(context, uploadId, state, meter.chunks(body))) {
      await uploader.add(chunk);
    }
    tail = await uploader.finish();
  } finally {
    await uploader.idle();
  }

  const { length } = options;
  if (length !== undefined && meter.bytes !== length) {
    throw new SizeMismatchError(length, meter.bytes);
  }
  return saveAppended(
    context,
    uploadId,
    state,
    {
      size: state.size + meter.bytes,
      storageKey: state.storageKey,
      multipartUploadId,
      parts: [...state.parts, ...uploader.parts],
    },
    tail,
  );
}

/** The current tail's bytes, then the body's. */
async function* stagedThenNew(
  { objects, layout }: AppendContext,
  uploadId: string,
  state: UploadState,
  fresh: AsyncIterable<Buffer>,
): AsyncGenerator<Buffer> {
  if (tailBytes(state) > 0) {
    const staged = await objects.get(layout.tailKey(uploadId, state.size));
    if (staged === undefined) throw new Error(`tail of upload ${uploadId} is missing`);
    yield* staged as AsyncIterable<Buffer>;
  }
  yield* fresh;
}

/** Creates the multipart upload and records it at once, so that it can never leak. */
async function startMultipart(
  { objects, layout, states }: AppendContext,
  uploadId: string,
  state: UploadState,
): Promise<string> {
  const multipartUploadId = await objects.createMultipart(layout.blobKey(state.storageKey));
  await states.save(uploadId, { ...state, multipartUploadId });
  return multipartUploadId;
}

/** Stores the new tail, then the state that points at it, then drops the old tail. */
async function saveAppended(
  { objects, layout, states }: AppendContext,
  uploadId: string,
  before: UploadState,
  after: UploadState,
  tail: Buffer,
): Promise<UploadState> {
  if (after.size === before.size) return before;

  if (tail.length > 0) await objects.put(layout.tailKey(uploadId, after.size), tail);
  await states.save(uploadId, after);
  if (tailBytes(before) > 0) await objects.delete(layout.tailKey(uploadId, before.size));
  return after;
}
