import { PresignedUrls } from "../src/http/presigned-urls";

describe("PresignedUrls", () => {
  it("reuses a URL for the first half of its lifetime only", () => {
    let now = 0;
    const urls = new PresignedUrls(() => now);
    urls.set("key", { expiresInSeconds: 300 }, "https://s3/key?sig=1");

    expect(urls.get("key", { expiresInSeconds: 300 })).toBe("https://s3/key?sig=1");
    now = 149_999;
    expect(urls.get("key", { expiresInSeconds: 300 })).toBe("https://s3/key?sig=1");
    now = 150_000;
    expect(urls.get("key", { expiresInSeconds: 300 })).toBeUndefined();
  });

  it("keeps URLs of other lifetimes and other keys apart", () => {
    const urls = new PresignedUrls(() => 0);
    urls.set("key", { expiresInSeconds: 300 }, "a");
    expect(urls.get("key", { expiresInSeconds: 600 })).toBeUndefined();
    expect(urls.get("other", { expiresInSeconds: 300 })).toBeUndefined();
  });

  it("keeps URLs for registry clients and for the registry itself apart", () => {
    const urls = new PresignedUrls(() => 0);
    urls.set("key", { expiresInSeconds: 300, audience: "registry" }, "internal");
    expect(urls.get("key", { expiresInSeconds: 300 })).toBeUndefined();
    expect(urls.get("key", { expiresInSeconds: 300, audience: "registry" })).toBe("internal");
  });

  it("forgets a URL on request", () => {
    const urls = new PresignedUrls(() => 0);
    urls.set("key", { expiresInSeconds: 300 }, "a");
    urls.forget("key", { expiresInSeconds: 300 });
    expect(urls.get("key", { expiresInSeconds: 300 })).toBeUndefined();
  });

  it("forgets the oldest entry once full", () => {
    const urls = new PresignedUrls(() => 0);
    for (let i = 0; i < 10_001; i++) urls.set(`key-${i}`, { expiresInSeconds: 300 }, `url-${i}`);
    expect(urls.get("key-0", { expiresInSeconds: 300 })).toBeUndefined();
    expect(urls.get("key-1", { expiresInSeconds: 300 })).toBe("url-1");
    expect(urls.get("key-10000", { expiresInSeconds: 300 })).toBe("url-10000");
  });
});
