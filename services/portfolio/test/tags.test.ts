import {
  errorCode,
  pushImage,
  putManifest,
  startRegistry,
  type TestRegistry,
} from "./support/registry";

let registry: TestRegistry;
beforeAll(async () => {
  registry = await startRegistry();
  const image = await pushImage(registry, "tags/repo", "b");
  for (const tag of ["a", "C", "c", "B", "a1"]) {
    await putManifest(registry, "tags/repo", tag, image.payload);
  }
  await pushImage(registry, "catalog/one", "v1");
  await pushImage(registry, "catalog/two", "v1");
});
afterAll(() => registry.close());

async function listTags(query = "") {
  const response = await registry.request(`/v2/tags/repo/tags/list${query}`);
  expect(response.status).toBe(200);
  return {
    link: response.headers.get("link"),
    body: (await response.json()) as { name: string; tags: string[] },
  };
}

describe("listing tags", () => {
  it("lists every tag in byte order", async () => {
    const { body, link } = await listTags();
    expect(body).toEqual({ name: "tags/repo", tags: ["B", "C", "a", "a1", "b", "c"] });
    expect(link).toBeNull();
  });

  it("pages with n and links to the next page", async () => {
    const first = await listTags("?n=2");
    expect(first.body.tags).toEqual(["B", "C"]);
    expect(first.link).toBe('</v2/tags/repo/tags/list?n=2&last=C>; rel="next"');

    const second = await listTags("?n=2&last=C");
    expect(second.body.tags).toEqual(["a", "a1"]);

    const last = await listTags("?n=2&last=a1");
    expect(last.body.tags).toEqual(["b", "c"]);
    expect(last.link).toBeNull();
  });

  it("returns everything after last when n is absent, and nothing for n=0", async () => {
    expect((await listTags("?last=a")).body.tags).toEqual(["a1", "b", "c"]);
    const none = await listTags("?n=0");
    expect(none.body.tags).toEqual([]);
    expect(none.link).toBeNull();
  });

  it("answers an unknown repository with 404 NAME_UNKNOWN", async () => {
    const response = await registry.request("/v2/tags/nowhere/tags/list");
    expect(response.status).toBe(404);
    expect(await errorCode(response)).toBe("NAME_UNKNOWN");
  });

  it("refuses a malformed n with 400", async () => {
    const response = await registry.request("/v2/tags/repo/tags/list?n=-1");
    expect(response.status).toBe(400);
  });
});

describe("the catalog", () => {
  it("lists repositories in byte order and pages like the tags list", async () => {
    const all = await registry.request("/v2/_catalog");
    const { repositories } = (await all.json()) as { repositories: string[] };
    expect(repositories).toEqual(["catalog/one", "catalog/two", "tags/repo"]);

    const page = await registry.request("/v2/_catalog?n=1&last=catalog/one");
    expect(await page.json()).toEqual({ repositories: ["catalog/two"] });
    expect(page.headers.get("link")).toBe('</v2/_catalog?n=1&last=catalog%2Ftwo>; rel="next"');
  });
});

describe("the base endpoint", () => {
  it("answers GET /v2/ with 200 and the API version header", async () => {
    const response = await registry.request("/v2/");
    expect(response.status).toBe(200);
    expect(response.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
    expect(await response.json()).toEqual({});
  });

  it("reports liveness and readiness", async () => {
    expect((await registry.request("/healthz")).status).toBe(200);
    const ready = await registry.request("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
  });

  it("answers an unknown route with 404 and an error body", async () => {
    const response = await registry.request("/v2/some/repo/unknown/thing");
    expect(response.status).toBe(404);
    expect(await errorCode(response)).toBeDefined();
  });
});
