import type { Page } from "@portfolio/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AccessControl } from "../auth/access-control";
import type { Caller } from "../auth/caller";
import { sendJson } from "../http/json";
import { lookahead, pageOf, parsePage } from "../http/paging";
import type { Query } from "../http/query";
import type { Registry } from "../registry/registry";

/**
 * `/v2/_catalog`: every repository the caller may see, in byte order, paged
 * like the tags list.
 */
export async function catalog(
  registry: Registry,
  request: FastifyRequest<{ Querystring: Query }>,
  reply: FastifyReply,
  access?: AccessControl,
): Promise<void> {
  const { caller } = request;
  access?.requireCatalog(request, caller);
  const page = parsePage(request.query);
  const found = await visibleRepositories(registry, lookahead(page), caller);

  const { entries, link } = pageOf(found, page, "/v2/_catalog");
  if (link) reply.header("link", link);
  sendJson(reply, { repositories: entries });
}

/** How many names to read at a time while skipping what the caller may not see. */
const BATCH = 1000;

/**
 * Reads the store's pages from `page.last` on, keeping the names the caller
 * sees, until `page.n` of them are found or the store runs out.
 */
async function visibleRepositories(registry: Registry, page: Page, caller: Caller) {
  if (caller.via === "open") return registry.manifests.repositories(page);

  const visible: string[] = [];
  let last = page.last;
  for (;;) {
    const batch = await registry.manifests.repositories({ last, n: BATCH });
    visible.push(...batch.filter((name) => caller.sees(name)));
    if (page.n !== undefined && visible.length >= page.n) return visible.slice(0, page.n);
    if (batch.length < BATCH) return visible;
    last = batch[batch.length - 1];
  }
}
