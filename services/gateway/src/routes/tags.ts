import { OciError } from "@portfolio/core";
import { sendJson } from "../http/json";
import { lookahead, pageOf, parsePage } from "../http/paging";
import type { Resource } from "./context";

/** `/v2/<name>/tags/list`: the repository's tags in byte order, paged with `n` and `last`. */
export const tags: Resource = {
  GET: async ({ registry, repository, query, reply }) => {
    const page = parsePage(query);
    const found = await registry.manifests.tags(repository, lookahead(page));
    if (found === undefined)
      throw new OciError("NAME_UNKNOWN", `repository ${repository} is unknown`);

    const { entries, link } = pageOf(found, page, `/v2/${repository}/tags/list`);
    if (link) reply.header("link", link);
    sendJson(reply, { name: repository, tags: entries });
  },
};
