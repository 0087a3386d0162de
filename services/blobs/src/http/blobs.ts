import type { ByteRange, StoredBlob } from "@portfolio/core";
import { putViaUpload } from "../put-via-upload";
import {
  type Exchange,
  optionalCount,
  requiredText,
  sendEmpty,
  sendJson,
  sendStream,
} from "./exchange";
import {
  PRESIGN_ON_STORE,
  parsePresignAsk,
  parseRangeHeader,
  presignAudience,
  type StoredBlobAnswer,
} from "./protocol";
import { PRESIGN_UNSUPPORTED } from "./wire-errors";

/** Streams a blob, or the inclusive range the gateway has already checked against its size. */
export async function readBlob({ storage, name, request, response }: Exchange): Promise<void> {
  const range = rangeOf(request.headers.range);
  const bytes = await storage.read(name, range);

  response.writeHead(range === undefined ? 200 : 206, {
    "content-type": "application/octet-stream",
  });
  await sendStream(response, bytes);
}

/**
 * Stores the streamed body as a new blob, through the driver's shortcut when
 * it has one. A failed body is the driver's to clean up, as for an append.
 */
export async function putBlob(exchange: Exchange): Promise<void> {
  const { storage, request, response, query } = exchange;
  const digest = requiredText(query, "digest");
  const options = { length: optionalCount(query, "length") };

  const blob = storage.putBlob
    ? await storage.putBlob(request, digest, options)
    : await putViaUpload(storage, request, digest, options);

  sendJson(response, 201, await withUrls(exchange, blob));
}

/**
 * A URL to read the blob from without this service, when the driver can make
 * one. The answer carries a credential, so it is never logged; the request
 * log holds only the path.
 */
export async function presignBlob({ storage, name, query, response }: Exchange): Promise<void> {
  const expiresInSeconds = optionalCount(query, "expires");
  if (expiresInSeconds === undefined) throw new TypeError("expires is required");

  const audience = presignAudience(query.get("audience"));
  const url = await storage.presignRead?.(name, { expiresInSeconds, audience });
  if (url === undefined) {
    sendJson(response, 501, { kind: PRESIGN_UNSUPPORTED, message: "storage cannot presign" });
    return;
  }
  sendJson(response, 200, { url });
}

/**
 * The stored blob, with the URLs the caller asked to read it by, those the
 * driver can make (see protocol.ts). The blob is stored by now, so a URL that
 * cannot be made is left out rather than failing the call: the gateway would
 * report a stored blob as not stored.
 */
export async function withUrls(
  { storage, query, log }: Exchange,
  blob: StoredBlob,
): Promise<StoredBlobAnswer> {
  const asks = query.getAll(PRESIGN_ON_STORE).map(parsePresignAsk);
  if (asks.length === 0 || storage.presignRead === undefined) return blob;
  const urls: NonNullable<StoredBlobAnswer["urls"]> = [];
  for (const options of asks) {
    if (options === undefined) continue;
    try {
      const url = await storage.presignRead(blob.storageKey, options);
      if (url !== undefined) urls.push({ ...options, url });
    } catch (error) {
      log.warn({ err: error, ...options }, "could not presign the stored blob for the gateway");
    }
  }
  return { ...blob, urls };
}

export async function deleteBlob({ storage, name, response }: Exchange): Promise<void> {
  await storage.delete(name);
  sendEmpty(response);
}

function rangeOf(header: string | undefined): ByteRange | undefined {
  if (header === undefined) return undefined;

  const range = parseRangeHeader(header);
  if (range === undefined) throw new TypeError(`range ${header} is not one closed byte range`);
  return range;
}
