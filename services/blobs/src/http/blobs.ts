import type { ByteRange } from "@portfolio/core";
import { putViaUpload } from "../put-via-upload";
import {
  type Exchange,
  optionalCount,
  requiredText,
  sendEmpty,
  sendJson,
  sendStream,
} from "./exchange";
import { parseRangeHeader, presignAudience } from "./protocol";
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
export async function putBlob({ storage, request, response, query }: Exchange): Promise<void> {
  const digest = requiredText(query, "digest");
  const options = { length: optionalCount(query, "length") };

  const blob = storage.putBlob
    ? await storage.putBlob(request, digest, options)
    : await putViaUpload(storage, request, digest, options);

  sendJson(response, 201, blob);
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
