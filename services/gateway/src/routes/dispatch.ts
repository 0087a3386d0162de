import { OciError } from "@portfolio/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AccessControl } from "../auth/access-control";
import type { Action } from "../auth/scope";
import { requireRepositoryName } from "../http/params";
import type { Query } from "../http/query";
import { labelRoute } from "../metrics/route-label";
import type { Registry } from "../registry/registry";
import { blobs } from "./blobs";
import type { Method, Resource } from "./context";
import { manifests } from "./manifests";
import { referrers } from "./referrers";
import { tags } from "./tags";
import { uploadSession, uploadStart } from "./uploads";

/**
 * Repository names contain slashes, so a path is split from the right: the
 * resource is recognised by its suffix and everything before it is the name.
 * Order matters: upload paths end like blob paths. `label` names the
 * resource in the metrics.
 */
const ROUTES: ReadonlyArray<{ pattern: RegExp; resource: Resource; label: string }> = [
  { pattern: /^(.+)\/blobs\/uploads\/?$/, resource: uploadStart, label: "uploads" },
  { pattern: /^(.+)\/blobs\/uploads\/([^/]+)$/, resource: uploadSession, label: "uploads" },
  { pattern: /^(.+)\/blobs\/([^/]+)$/, resource: blobs, label: "blobs" },
  { pattern: /^(.+)\/manifests\/([^/]+)$/, resource: manifests, label: "manifests" },
  { pattern: /^(.+)\/tags\/list$/, resource: tags, label: "tags" },
  { pattern: /^(.+)\/referrers\/([^/]+)$/, resource: referrers, label: "referrers" },
];

/**
 * What each method needs of the repository. Every method of an upload
 * session needs push, cancelling included: an upload is the pusher's own.
 */
const ACTION_OF: Record<Method, Action> = {
  GET: "pull",
  HEAD: "pull",
  PUT: "push",
  POST: "push",
  PATCH: "push",
  DELETE: "delete",
};

/**
 * Answers any `/v2/<name>/...` request by finding its resource and method,
 * once `access` (when given) lets the caller act on that repository.
 */
export async function dispatch(
  registry: Registry,
  request: FastifyRequest<{ Params: { "*": string }; Querystring: Query }>,
  reply: FastifyReply,
  access?: AccessControl,
): Promise<unknown> {
  const path = request.params["*"];
  for (const { pattern, resource, label } of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;

    labelRoute(request, label);
    const handler = resource[request.method as Method];
    if (!handler) throw new OciError("UNSUPPORTED", `${request.method} is not supported here`);
    const repository = requireRepositoryName(match[1]!);
    const action = label === "uploads" ? "push" : ACTION_OF[request.method as Method];
    access?.authorize(request, request.caller, repository, action);
    return handler({
      request,
      reply,
      registry,
      repository,
      target: match[2] ?? "",
      query: request.query,
    });
  }
  throw new OciError("NAME_UNKNOWN", "no such API route", undefined, { status: 404 });
}
