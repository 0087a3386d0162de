import { connect } from "node:net";
import { digestOf, MediaType } from "@portfolio/core";
import {
  errorCode,
  imageManifest,
  pushBlob,
  pushImage,
  putManifest,
  randomBytes,
  startRegistry,
  type TestRegistry,
} from "./support/registry";

let registry: TestRegistry;
beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(() => registry.close());

/** Sends raw bytes on a fresh connection and resolves with all that comes back. */
function rawExchange(bytes: string): Promise<string> {
  const url = new URL(registry.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = "";
    socket.on("data", (data) => {
      received += data.toString("latin1");
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
    socket.end(bytes);
  });
}

function statusAndBody(response: string): { status: number; body: string } {
  const [head = "", body = ""] = response.split("\r\n\r\n");
  return { status: Number(head.split(" ")[1]), body };
}

async function catalog(): Promise<string[]> {
  const response = await registry.request("/v2/_catalog");
  return ((await response.json()) as { repositories: string[] }).repositories;
}

describe("query parameters Postgres text cannot hold", () => {
  it.each([
    ["a NUL in last on the catalog", "/v2/_catalog?last=%00"],
    ["a NUL in last on a tags list", "/v2/bad/q/tags/list?last=a%00"],
    ["last given twice", "/v2/bad/q/tags/list?last=a&last=b"],
    ["n given twice", "/v2/_catalog?n=1&n=2"],
  ])("answers %s with 400 UNSUPPORTED", async (_, path) => {
    await pushImage(registry, "bad/q", "v1");

    const response = await registry.request(path);

    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("UNSUPPORTED");
  });

  it.each([
    ["a NUL", "a%00b"],
    ["two values", "a&artifactType=b"],
  ])("answers a referrers artifactType with %s with 400 UNSUPPORTED", async (_, value) => {
    const subject = digestOf(Buffer.from("subject"));

    const response = await registry.request(`/v2/bad/q/referrers/${subject}?artifactType=${value}`);

    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("UNSUPPORTED");
  });
});

describe("manifests with text Postgres cannot hold", () => {
  async function refused(tag: string, extra: Record<string, unknown>, configType?: string) {
    const configBytes = Buffer.from("{}");
    const config = await pushBlob(registry, "bad/text", configBytes);
    const described = { digest: config, size: configBytes.length };
    const payload = imageManifest(
      configType === undefined ? described : { ...described, mediaType: configType },
      [],
      extra,
    );

    const response = await putManifest(registry, "bad/text", tag, payload);

    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("MANIFEST_INVALID");
    expect((await registry.request(`/v2/bad/text/manifests/${tag}`)).status).toBe(404);
    expect((await registry.request(`/v2/bad/text/manifests/${digestOf(payload)}`)).status).toBe(
      404,
    );
  }

  it("refuses a NUL in artifactType", () => refused("nul-type", { artifactType: "a\u0000b" }));

  it("refuses a NUL in an annotation value", () =>
    refused("nul-value", { annotations: { key: "a\u0000" } }));

  it("refuses a NUL in an annotation key", () =>
    refused("nul-key", { annotations: { "k\u0000": "v" } }));

  it("refuses an unpaired surrogate in an annotation", () =>
    refused("surrogate", { annotations: { key: "\ud800" } }));

  it("refuses a NUL in the config media type that stands for the artifact type", () =>
    refused("nul-config", {}, "application/x\u0000"));

  it("refuses bytes that are not UTF-8", async () => {
    const configBytes = Buffer.from("{}");
    const config = await pushBlob(registry, "bad/text", configBytes);
    const text = imageManifest({ digest: config, size: 2 }, [], { annotations: { key: "XX" } });
    const payload = Buffer.from(text.toString("latin1").replace("XX", "\xff\xfe"), "latin1");

    const response = await putManifest(registry, "bad/text", "latin1", payload);

    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("MANIFEST_INVALID");
    expect((await registry.request("/v2/bad/text/manifests/latin1")).status).toBe(404);
  });
});

describe("a refused monolithic upload", () => {
  it("leaves no upload session and no repository behind", async () => {
    const bytes = randomBytes(64);
    const before = await catalog();

    const response = await registry.request(
      `/v2/bad/mono/blobs/uploads/?digest=${digestOf(bytes)}`,
      { method: "POST", body: bytes, headers: { "content-range": "0-9" } },
    );

    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("SIZE_INVALID");
    expect(await catalog()).toEqual(before);
    expect((await registry.request("/v2/bad/mono/tags/list")).status).toBe(404);
  });
});

describe("requests Fastify or Node refuse before a route runs", () => {
  it("answers a malformed percent-encoding with the spec's error body", async () => {
    const response = await registry.request("/v2/bad%ZZ/tags/list");

    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("UNSUPPORTED");
  });

  it("answers an unparseable Content-Length with the spec's error body", async () => {
    const answer = await rawExchange(
      "POST /v2/bad/cl/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    );

    const { status, body } = statusAndBody(answer);
    expect(status).toBe(400);
    expect(JSON.parse(body).errors[0].code).toBe("SIZE_INVALID");
  });

  it("answers oversized headers 431 with the spec's error body", async () => {
    const answer = await rawExchange(
      `GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(100_000)}\r\n\r\n`,
    );

    const { status, body } = statusAndBody(answer);
    expect(status).toBe(431);
    expect(JSON.parse(body).errors[0].code).toBe("UNSUPPORTED");
  });
});

describe("a manifest media type", () => {
  it("is still accepted when well formed (only unstorable text is refused)", async () => {
    const configBytes = Buffer.from("{}");
    const config = await pushBlob(registry, "bad/text", configBytes);
    const payload = imageManifest({ digest: config, size: 2 }, [], {
      artifactType: "application/vnd.example+json",
      annotations: { "org.example.ünïcødé": "✓ 𝄞" },
    });

    const response = await putManifest(
      registry,
      "bad/text",
      "fine",
      payload,
      MediaType.ociManifest,
    );

    expect(response.status).toBe(201);
  });
});
