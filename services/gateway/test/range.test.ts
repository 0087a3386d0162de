import { parseRange } from "../src/http/range";

describe("blob Range requests on a 2048-byte blob", () => {
  it.each([
    ["bytes=500-1499", { start: 500, end: 1499 }],
    ["bytes=500-", { start: 500, end: 2047 }],
    ["bytes=-500", { start: 1548, end: 2047 }],
    ["bytes=2000-5000", { start: 2000, end: 2047 }],
    ["bytes=0-0", { start: 0, end: 0 }],
    ["bytes=-5000", { start: 0, end: 2047 }],
  ])("serves %s partially", (header, range) => {
    expect(parseRange(header, 2048)).toEqual({ kind: "partial", range });
  });

  it.each(["bytes=500-0", "bytes=5000-10000", "bytes=2048-", "bytes=-0"])(
    "refuses %s as unsatisfiable",
    (header) => expect(parseRange(header, 2048)).toEqual({ kind: "unsatisfiable" }),
  );

  it.each([undefined, "", "bytes=0-1,5-6", "items=0-1", "bytes=a-b", "bytes=-"])(
    "serves the whole blob for %j",
    (header) => expect(parseRange(header, 2048)).toEqual({ kind: "whole" }),
  );

  it("cannot serve any range of an empty blob", () => {
    expect(parseRange("bytes=0-", 0)).toEqual({ kind: "unsatisfiable" });
  });
});
