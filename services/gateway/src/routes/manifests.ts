import { type ManifestRecord, OciError } from "@portfolio/core";
import { accepts } from "../http/accept";
import { readBody } from "../http/body";
import { readReference, writeReference } from "../http/params";
import type { Resource, RouteContext } from "./context";

/** `/v2/<name>/manifests/<reference>`: pull, push and delete manifests and tags. */
export const manifests: Resource = {
  HEAD: async (context) => {
    const manifest = await acceptableManifest(context);

    context.reply.headers(manifestHeaders(manifest)).status(200).send();
  },

  GET: async (context) => {
    const manifest = await acceptableManifest(context);

    context.reply.headers(manifestHeaders(manifest)).status(200).send(manifest.payload);
  },

  PUT: async ({ registry, repository, target, request, reply }) => {
    const reference = writeReference(target);
    const payload = await readBody(request, registry.limits.maxManifestBytes);
    const pushed = await registry.manifests.put(
      repository,
      reference,
      payload,
      request.headers["content-type"],
    );

    reply.headers({
      location: `/v2/${repository}/manifests/${pushed.digest}`,
      "docker-content-digest": pushed.digest,
      "content-length": 0,
    });
    if (pushed.subject) reply.header("oci-subject", pushed.subject);
    reply.status(201).send();
  },

  DELETE: async ({ registry, repository, target, reply }) => {
    await registry.manifests.delete(repository, readReference(target));

    reply.status(202).header("content-length", 0).send();
  },
};

async function acceptableManifest(context: RouteContext): Promise<ManifestRecord> {
  const { registry, repository, target, request } = context;
  const manifest = await registry.manifests.get(repository, readReference(target));

  if (!accepts(request.headers.accept, manifest.mediaType)) {
    throw new OciError(
      "MANIFEST_UNKNOWN",
      `the manifest is a ${manifest.mediaType}, which the Accept header does not admit`,
    );
  }
  return manifest;
}

function manifestHeaders(manifest: ManifestRecord): Record<string, string | number> {
  return {
    "content-type": manifest.mediaType,
    "content-length": manifest.size,
    "docker-content-digest": manifest.digest,
    etag: `"${manifest.digest}"`,
  };
}
