import { pipeline } from "node:stream/promises";
import type { ByteRange } from "@portfolio/core";
import { type Exchange, sendEmpty } from "./exchange";
import { parseRangeHeader } from "./protocol";

/** Streams a blob, or the inclusive range the gateway has already checked against its size. */
export async function readBlob({ storage, name, request, response }: Exchange): Promise<void> {
  const range = rangeOf(request.headers.range);
  const bytes = await storage.read(name, range);

  response.writeHead(range === undefined ? 200 : 206, {
    "content-type": "application/octet-stream",
  });
  await pipeline(bytes, response);
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
