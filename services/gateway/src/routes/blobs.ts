import type { Readable } from "node:stream";
import { OciError } from "@portfolio/core";
import { coalesced } from "../http/coalesced-body";
import { requireDigest } from "../http/params";
import { parseRange } from "../http/range";
import type { Resource, RouteContext } from "./context";

/** `/v2/<name>/blobs/<digest>`: pull and delete blobs. */
export const blobs: Resource = {
  HEAD: async ({ registry, repository, target, reply }) => {
    const digest = requireDigest(target).digest;
    const blob = await registry.blobs.stat(repository, digest);

    reply.headers(blobHeaders(digest, blob.size)).status(200).send();
  },

  GET: async (context) => {
    const { registry, repository, target, request } = context;
    const digest = requireDigest(target).digest;
    const blob = await registry.blobs.stat(repository, digest);
    const redirect = await registry.blobs.redirectUrl(blob);
    if (redirect !== undefined) {
      // The client sends its Range header again to the new location, which honours it.
      return context.reply
        .headers({ location: redirect, "docker-content-digest": digest, "content-length": 0 })
        .status(307)
        .send();
    }

    const range = parseRange(request.headers.range, blob.size);

    if (range.kind === "unsatisfiable") {
      throw new OciError("BLOB_UNKNOWN", "requested range not satisfiable", undefined, {
        status: 416,
        headers: { "content-range": `bytes */${blob.size}` },
      });
    }
    if (range.kind === "whole") {
      const stream = await registry.blobs.open(repository, blob);
      return sendStream(context, stream, blobHeaders(digest, blob.size), 200);
    }

    const { start, end } = range.range;
    const stream = await registry.blobs.open(repository, blob, range.range);
    const headers = {
      ...blobHeaders(digest, end - start + 1),
      "content-range": `bytes ${start}-${end}/${blob.size}`,
    };
    return sendStream(context, stream, headers, 206);
  },

  DELETE: async ({ registry, repository, target, reply }) => {
    await registry.blobs.delete(repository, requireDigest(target).digest);

    reply.status(202).header("content-length", 0).send();
  },
};

/** Blobs never change once stored, so caches may keep them for ever. */
function blobHeaders(digest: string, length: number): Record<string, string | number> {
  return {
    "content-type": "application/octet-stream",
    "content-length": length,
    "docker-content-digest": digest,
    etag: `"${digest}"`,
    "accept-ranges": "bytes",
    "cache-control": "max-age=31536000, immutable",
  };
}

function sendStream(
  { reply }: RouteContext,
  stream: Readable,
  headers: Record<string, string | number>,
  status: number,
): unknown {
  return reply.headers(headers).status(status).send(coalesced(stream));
}
