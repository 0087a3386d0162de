import { digestOf } from "@portfolio/core";
import {
  errorCode,
  pushBlob,
  randomBytes,
  startRegistry,
  type TestRegistry,
} from "./support/registry";

let registry: TestRegistry;
beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(() => registry.close());

describe("pulling blobs", () => {
  it("answers HEAD and GET with the size, digest and exact bytes", async () => {
    const bytes = randomBytes(4096);
    const digest = await pushBlob(registry, "pull/blobs", bytes);

    const head = await registry.request(`/v2/pull/blobs/blobs/${digest}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("4096");
    expect(head.headers.get("docker-content-digest")).toBe(digest);
    expect(await head.text()).toBe("");

    const get = await registry.request(`/v2/pull/blobs/blobs/${digest}`);
    expect(get.status).toBe(200);
    expect(get.headers.get("content-type")).toBe("application/octet-stream");
    expect(get.headers.get("content-encoding")).toBeNull();
    expect(Buffer.from(await get.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it("serves ranges with 206 and refuses unsatisfiable ones with 416", async () => {
    const bytes = randomBytes(2048);
    const digest = await pushBlob(registry, "pull/ranges", bytes);
    const url = `/v2/pull/ranges/blobs/${digest}`;

    const middle = await registry.request(url, { headers: { range: "bytes=500-1499" } });
    expect(middle.status).toBe(206);
    expect(middle.headers.get("content-range")).toBe("bytes 500-1499/2048");
    expect(Buffer.from(await middle.arrayBuffer()).equals(bytes.subarray(500, 1500))).toBe(true);

    const suffix = await registry.request(url, { headers: { range: "bytes=-500" } });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(bytes.subarray(1548))).toBe(true);

    const beyond = await registry.request(url, { headers: { range: "bytes=5000-10000" } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe("bytes */2048");
  });

  it("answers an unknown blob with 404 BLOB_UNKNOWN", async () => {
    const missing = digestOf(Buffer.from("never pushed"));
    const get = await registry.request(`/v2/pull/blobs/blobs/${missing}`);
    expect(get.status).toBe(404);
    expect(await errorCode(get)).toBe("BLOB_UNKNOWN");

    const head = await registry.request(`/v2/pull/blobs/blobs/${missing}`, { method: "HEAD" });
    expect(head.status).toBe(404);
  });

  it("does not serve a blob from a repository that never received it", async () => {
    const digest = await pushBlob(registry, "pull/owner", randomBytes(10));
    const get = await registry.request(`/v2/pull/stranger/blobs/${digest}`);
    expect(get.status).toBe(404);
  });

  it("refuses malformed digests and names with the spec's codes", async () => {
    const badDigest = await registry.request("/v2/pull/blobs/blobs/sha256:nothex");
    expect(badDigest.status).toBe(400);
    expect(await errorCode(badDigest)).toBe("DIGEST_INVALID");

    const badName = await registry.request(`/v2/Bad_Name/blobs/${digestOf(Buffer.from("x"))}`);
    expect(badName.status).toBe(400);
    expect(await errorCode(badName)).toBe("NAME_INVALID");
  });
});

describe("deleting blobs", () => {
  it("removes the blob from the repository at once, leaving the others alone", async () => {
    const bytes = randomBytes(64);
    const digest = await pushBlob(registry, "delete/one", bytes);
    await pushBlob(registry, "delete/two", bytes);

    const deleted = await registry.request(`/v2/delete/one/blobs/${digest}`, { method: "DELETE" });
    expect(deleted.status).toBe(202);

    const gone = await registry.request(`/v2/delete/one/blobs/${digest}`, { method: "HEAD" });
    expect(gone.status).toBe(404);
    const kept = await registry.request(`/v2/delete/two/blobs/${digest}`);
    expect(Buffer.from(await kept.arrayBuffer()).equals(bytes)).toBe(true);

    const again = await registry.request(`/v2/delete/one/blobs/${digest}`, { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(await errorCode(again)).toBe("BLOB_UNKNOWN");
  });
});
