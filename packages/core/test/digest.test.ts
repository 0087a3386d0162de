import { digestOf, parseDigest } from "@portfolio/core";

const EMPTY_SHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const EMPTY_SHA512 =
  "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" +
  "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";

describe("digests", () => {
  it("computes the well-known digests of empty content and of {}", () => {
    expect(digestOf(Buffer.alloc(0))).toBe(EMPTY_SHA256);
    expect(digestOf(Buffer.alloc(0), "sha512")).toBe(EMPTY_SHA512);
    expect(digestOf(Buffer.from("{}"))).toBe(
      "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    );
  });

  it("parses sha256 and sha512 digests into algorithm and encoded part", () => {
    expect(parseDigest(EMPTY_SHA256)).toEqual({
      algorithm: "sha256",
      encoded: EMPTY_SHA256.slice(7),
      digest: EMPTY_SHA256,
    });
    expect(parseDigest(EMPTY_SHA512)?.algorithm).toBe("sha512");
  });

  it.each([
    ["no algorithm", EMPTY_SHA256.slice(7)],
    ["upper-case hex", EMPTY_SHA256.toUpperCase()],
    ["short sha256", "sha256:abc"],
    ["sha256 length for sha512", `sha512:${EMPTY_SHA256.slice(7)}`],
    ["unsupported algorithm", `md5:${"a".repeat(32)}`],
    ["not hex", `sha256:${"g".repeat(64)}`],
    ["the conformance suite's bad digest", "sha256:totallywrong"],
    ["empty", ""],
  ])("refuses %s", (_why, value) => expect(parseDigest(value)).toBeUndefined());
});
