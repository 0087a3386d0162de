import type { FastifyReply, FastifyRequest } from "fastify";
import { sendJson } from "../http/json";
import { lookahead, pageOf, parsePage } from "../http/paging";
import type { Query } from "../http/query";
import type { Registry } from "../registry/registry";

/** `/v2/_catalog`: every repository in byte order, paged like the tags list. */
export async function catalog(
  registry: Registry,
  request: FastifyRequest<{ Querystring: Query }>,
  reply: FastifyReply,
): Promise<void> {
  const page = parsePage(request.query);
  const found = await registry.manifests.repositories(lookahead(page));

  const { entries, link } = pageOf(found, page, "/v2/_catalog");
  if (link) reply.header("link", link);
  sendJson(reply, { repositories: entries });
}
