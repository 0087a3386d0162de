import { Readable } from "node:stream";
import type { StoredObject } from "@portfolio/core";
import { type Exchange, sendStream } from "./exchange";

/**
 * Streams the driver's listing as NDJSON, one StoredObject a line, honouring
 * the response's backpressure; a driver that cannot list answers an empty
 * listing with `x-listing: unsupported`, which the client turns back into
 * "cannot list". A failure after the first line cuts the stream short, which
 * the client reports as an error rather than a complete listing: the last
 * line of a complete one is `{"end":true}`.
 */
export async function listObjects({ storage, response }: Exchange): Promise<void> {
  if (storage.listObjects === undefined) {
    response.writeHead(200, { "content-type": "application/x-ndjson", "x-listing": "unsupported" });
    response.end();
    return;
  }
  response.writeHead(200, { "content-type": "application/x-ndjson" });
  await sendStream(response, Readable.from(listingLines(storage.listObjects())));
}

async function* listingLines(objects: AsyncIterable<StoredObject>): AsyncIterable<string> {
  for await (const object of objects) yield `${JSON.stringify(object)}\n`;
  yield `${JSON.stringify({ end: true })}\n`;
}

/** A listing line back into a StoredObject, or "end" for the end marker. */
export function parseListingLine(line: string): StoredObject | "end" {
  const parsed = JSON.parse(line) as StoredObject & { end?: boolean };
  if (parsed.end === true) return "end";
  return { ...parsed, modifiedAt: new Date(parsed.modifiedAt) };
}
