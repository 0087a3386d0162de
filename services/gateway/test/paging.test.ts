import { OciError } from "@portfolio/core";
import { lookahead, MAX_PAGE_SIZE, pageOf, parsePage } from "../src/http/paging";

describe("paging with n and last", () => {
  it("reads n and last, and caps n", () => {
    expect(parsePage({ n: "2", last: "b" })).toEqual({ n: 2, last: "b" });
    expect(parsePage({})).toEqual({});
    expect(parsePage({ n: "999999999" })).toEqual({ n: MAX_PAGE_SIZE });
  });

  it.each(["-1", "x", "1.5", ""])("refuses n=%j with 400", (n) => {
    expect(() => parsePage({ n })).toThrow(OciError);
  });

  it("links to the next page only when the lookahead entry exists", () => {
    const page = { n: 2 };
    expect(lookahead(page)).toEqual({ n: 3 });
    expect(pageOf(["a", "b", "c"], page, "/v2/r/tags/list")).toEqual({
      entries: ["a", "b"],
      link: '</v2/r/tags/list?n=2&last=b>; rel="next"',
    });
    expect(pageOf(["a", "b"], page, "/v2/r/tags/list")).toEqual({ entries: ["a", "b"] });
  });

  it("answers n=0 with an empty list and no link", () => {
    expect(pageOf(["a"], { n: 0 }, "/v2/_catalog")).toEqual({ entries: [] });
  });
});
