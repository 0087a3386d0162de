import { OciError, type Page } from "@portfolio/core";

/** The largest page served; a client asking for more gets this many and a `Link`. */
export const MAX_PAGE_SIZE = 10_000;

/** Reads `n` and `last` (spec: "Listing Tags"); an absent `n` means everything after `last`. */
export function parsePage(query: Record<string, string | undefined>): Page {
  const page: Page = {};
  if (query.last) page.last = query.last;
  if (query.n !== undefined) {
    const n = Number(query.n);
    if (!/^\d+$/.test(query.n) || !Number.isSafeInteger(n)) {
      throw new OciError("UNSUPPORTED", "n must be a non-negative integer", undefined, {
        status: 400,
      });
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
