import type { FastifyReply, FastifyRequest } from "fastify";
import type { Query } from "../http/query";
import type { Registry } from "../registry/registry";

/** What a resource handler gets: the request, the reply, the registry and the path parts. */
export interface RouteContext {
  request: FastifyRequest;
  reply: FastifyReply;
  registry: Registry;
  /** The repository name, already checked against the spec's grammar. */
  repository: string;
  /** The last path segment: a digest, reference or upload id, when the route has one. */
  target: string;
  /** Read it through `queryParam`: a repeated parameter is an array. */
  query: Query;
}

/** Handlers answer through `reply`; what they resolve to is ignored. */
export type Handler = (context: RouteContext) => Promise<unknown>;

export type Method = "GET" | "HEAD" | "PUT" | "POST" | "PATCH" | "DELETE";

/** The handlers of one resource of the API, by method. */
export type Resource = Partial<Record<Method, Handler>>;
