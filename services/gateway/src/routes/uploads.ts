import { OciError } from "@portfolio/core";
import { contentLength, hasBody } from "../http/body";
import { parseContentRange } from "../http/content-range";
import { uploadRange } from "../http/errors";
import { requireDigest, requireRepositoryName } from "../http/params";
import { queryParam } from "../http/query";
import type { Chunk } from "../registry/uploads";
import type { Resource, RouteContext } from "./context";

/**
 * `/v2/<name>/blobs/uploads/`: starts an upload, which is monolithic when
 * `digest` is given, or a cross-repository mount when `mount` is.
 */
export const uploadStart: Resource = {
  POST: async (context) => {
    const { query } = context;
    const mount = queryParam(query, "mount");
    const digest = queryParam(query, "digest");
    if (mount !== undefined) {
      const mounted = await tryMount(context, mount, queryParam(query, "from"));
      if (mounted) return;
    }
    if (digest !== undefined) return monolithicUpload(context, digest);

    return startUpload(context);
  },
};

/** `/v2/<name>/blobs/uploads/<id>`: the upload session's status, chunks, completion, cancel. */
export const uploadSession: Resource = {
  GET: async (context) => {
    const size = await context.registry.uploads.size(context.repository, context.target);

    sessionHeaders(context, size).status(204).send();
  },

  PATCH: async (context) => {
    const { registry, repository, target } = context;
    const size = await registry.uploads.append(repository, target, chunkOf(context));

    sessionHeaders(context, size).status(202).send();
  },

  PUT: async (context) => {
    const { registry, repository, target, query, reply } = context;
    const digest = requireDigest(queryParam(query, "digest")).digest;
    const lastChunk = hasBody(context.request) ? chunkOf(context) : undefined;
    const blob = await registry.uploads.complete(repository, target, digest, lastChunk);

    blobCreated(context, blob.digest);
    return reply;
  },

  DELETE: async ({ registry, repository, target, reply }) => {
    await registry.uploads.cancel(repository, target);

    reply.status(204).send();
  },
};

async function tryMount(context: RouteContext, mount: string, from: string | undefined) {
  const digest = requireDigest(mount).digest;
  // A mount from a repository that cannot exist falls back to a normal upload.
  const source = from === undefined ? undefined : safeName(from);
  if (from !== undefined && source === undefined) return false;
  // Only from where the caller may pull, else a mount would leak any blob whose digest is known.
  // Without `from` the source is any repository, which only an open registry allows.
  const { caller } = context.request;
  if (source === undefined ? caller.via !== "open" : !caller.may(source, "pull")) return false;

  const blob = await context.registry.uploads.mount(context.repository, digest, source);
  if (blob) blobCreated(context, blob.digest);
  return blob !== undefined;
}

async function monolithicUpload(context: RouteContext, digestParam: string) {
  const { registry, repository } = context;
  const digest = requireDigest(digestParam).digest;
  // Headers are checked before any byte is stored, so a refused POST leaves nothing behind.
  const body = hasBody(context.request) ? chunkOf(context) : undefined;
  const blob = await registry.uploads.put(repository, digest, body);
  blobCreated(context, blob.digest);
}

async function startUpload(context: RouteContext) {
  const session = await context.registry.uploads.start(context.repository);
  const location = `/v2/${context.repository}/blobs/uploads/${session.id}`;

  const minimum = context.registry.backends.storage.minimumChunkLength;
  if (minimum !== undefined) context.reply.header("oci-chunk-min-length", minimum);
  context.reply
    .headers({ location, range: uploadRange(0), "docker-upload-uuid": session.id })
    .header("content-length", 0)
    .status(202)
    .send();
}

function chunkOf({ request }: RouteContext): Chunk {
  const range = parseContentRange(request.headers["content-range"]);
  const length = contentLength(request);
  if (range && length !== undefined && range.length !== length) {
    throw new OciError("SIZE_INVALID", "Content-Length does not match Content-Range");
  }
  return { body: request.raw, offset: range?.offset, length: range?.length ?? length };
}

function sessionHeaders({ reply, repository, target }: RouteContext, size: number) {
  return reply
    .headers({
      location: `/v2/${repository}/blobs/uploads/${target}`,
      range: uploadRange(size),
      "docker-upload-uuid": target,
    })
    .header("content-length", 0);
}

function blobCreated({ reply, repository }: RouteContext, digest: string) {
  reply
    .headers({ location: `/v2/${repository}/blobs/${digest}`, "docker-content-digest": digest })
    .header("content-length", 0)
    .status(201)
    .send();
}

function safeName(name: string): string | undefined {
  try {
    return requireRepositoryName(name);
  } catch {
    return undefined;
  }
}
