import { MediaType } from "@portfolio/core";
import { sendJson } from "../http/json";
import { requireDigest } from "../http/params";
import { textQueryParam } from "../http/query";
import type { Resource } from "./context";

/**
 * `/v2/<name>/referrers/<digest>`: an image index of the manifests whose
 * subject is the digest, whether or not the subject exists (spec: "Listing
 * Referrers"), optionally filtered by `artifactType`.
 */
export const referrers: Resource = {
  GET: async ({ registry, repository, target, query, reply }) => {
    const subject = requireDigest(target).digest;
    const artifactType = textQueryParam(query, "artifactType") || undefined;
    const manifests = await registry.manifests.referrers(repository, subject, artifactType);

    if (artifactType) reply.header("oci-filters-applied", "artifactType");
    const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
    sendJson(reply, index, MediaType.ociIndex);
  },
};
