import { UploadUnknownError } from "@portfolio/core";
import { withUrls } from "./blobs";
import { type Exchange, optionalCount, requiredText, sendEmpty, sendJson } from "./exchange";
import { UPLOAD_SIZE_HEADER } from "./protocol";

/*
 * Upload session routes. Every operation on one upload, the size query
 * included, waits for those received before it: a size asked for while an
 * append is streaming is the size once that append has landed or been rolled
 * back, never bytes that may yet vanish. Drivers serialise appends
 * themselves, but only here can the order in which requests arrived be kept.
 */

export async function createUpload({ storage, name, response }: Exchange): Promise<void> {
  await storage.createUpload(name);
  sendEmpty(response, 201);
}

export async function uploadSize(exchange: Exchange): Promise<void> {
  const { storage, name, response } = exchange;
  const size = await inOrder(exchange, () => storage.uploadSize(name));
  if (size === undefined) throw new UploadUnknownError(name);

  response.setHeader(UPLOAD_SIZE_HEADER, size);
  sendJson(response, 200, { size });
}

/** Streams the request body into the upload; the driver rolls back whatever fails. */
export async function appendUpload(exchange: Exchange): Promise<void> {
  const { storage, name, request, response, query } = exchange;
  const options = {
    offset: optionalCount(query, "offset"),
    length: optionalCount(query, "length"),
  };

  const size = await inOrder(exchange, () => storage.appendUpload(name, request, options));

  sendJson(response, 200, { size });
}

export async function commitUpload(exchange: Exchange): Promise<void> {
  const { storage, name, response, query } = exchange;
  const digest = requiredText(query, "digest");

  const blob = await inOrder(exchange, () => storage.commitUpload(name, digest));

  sendJson(response, 201, await withUrls(exchange, blob));
}

export async function cancelUpload(exchange: Exchange): Promise<void> {
  const { storage, name, response } = exchange;
  await inOrder(exchange, () => storage.cancelUpload(name));
  sendEmpty(response);
}

function inOrder<T>({ uploads, name }: Exchange, task: () => Promise<T>): Promise<T> {
  return uploads.run(name.toLowerCase(), task);
}
