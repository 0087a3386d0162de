import type { Page } from "@portfolio/core";
import { badQuery, type Query, queryParam, textQueryParam } from "./query";

/** The largest page served; a client asking for more gets this many and a `Link`. */
export const MAX_PAGE_SIZE = 10_000;

/** Reads `n` and `last` (spec: "Listing Tags"); an absent `n` means everything after `last`. */
export function parsePage(query: Query): Page {
  const page: Page = {};
  const last = textQueryParam(query, "last");
  const count = queryParam(query, "n");
  if (last) page.last = last;
  if (count !== undefined) {
    const n = Number(count);
    if (!/^\d+$/.test(count) || !Number.isSafeInteger(n)) {
      throw badQuery("n must be a non-negative integer");
    }
    page.n = Math.min(n, MAX_PAGE_SIZE);
  }
  return page;
}

/**
 * Asks the store for one entry more than the page holds, to know whether a
 * next page exists without a count query.
 */
export function lookahead(page: Page): Page {
  return page.n === undefined ? page : { ...page, n: page.n + 1 };
}

/**
 * Trims the lookahead entry and builds the RFC 8288 `Link` header to the next
 * page, if there is one.
 */
export function pageOf(
  entries: string[],
  page: Page,
  path: string,
): { entries: string[]; link?: string } {
  if (page.n === undefined || entries.length <= page.n) return { entries };

  const shown = entries.slice(0, page.n);
  const last = shown[shown.length - 1];
  if (last === undefined) return { entries: shown };
  const query = new URLSearchParams({ n: String(page.n), last });
  return { entries: shown, link: `<${path}?${query}>; rel="next"` };
}
