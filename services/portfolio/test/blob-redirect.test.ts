import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { BlobServer, HttpBlobStorage } from "@portfolio/blobs";
import type { BlobStorage } from "@portfolio/core";
import { buildGateway, DEFAULT_LIMITS } from "@portfolio/gateway";
import { openEmbeddedDatabase, PrismaMetadataStore } from "@portfolio/metadata";
import { ConfigError, createLogger, loadConfig } from "@portfolio/portfolio";
import { s3Fixture, whenS3 } from "../../blobs/test/s3-fixture";
import {
  errorCode,
  pushBlob,
  randomBytes,
  startRegistry,
  type TestRegistry,
} from "./support/registry";

describe("the blob redirect settings", () => {
  it("are off unless PORTFOLIO_BLOB_REDIRECT is true, and last 300 s by default", () => {
    expect(loadConfig({}).limits.blobRedirectSeconds).toBeUndefined();
    expect(loadConfig({ PORTFOLIO_BLOB_REDIRECT: "false" }).limits.blobRedirectSeconds).toBe(
      undefined,
    );
    expect(loadConfig({ PORTFOLIO_BLOB_REDIRECT: "true" }).limits.blobRedirectSeconds).toBe(300);
    const minute = { PORTFOLIO_BLOB_REDIRECT: "true", PORTFOLIO_BLOB_REDIRECT_SECONDS: "60" };
    expect(loadConfig(minute).limits.blobRedirectSeconds).toBe(60);
  });

  it("refuse what S3 could not sign", () => {
    expect(() => loadConfig({ PORTFOLIO_BLOB_REDIRECT: "yes" })).toThrow(ConfigError);
    const tooLong = { PORTFOLIO_BLOB_REDIRECT: "true", PORTFOLIO_BLOB_REDIRECT_SECONDS: "604801" };
    expect(() => loadConfig(tooLong)).toThrow(ConfigError);
  });
});

describe("a blob GET with redirects on, over storage that cannot presign", () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ PORTFOLIO_BLOB_REDIRECT: "true" });
  });
  afterAll(async () => {
    await idleConnections();
    await registry.close();
  });

  it("streams the bytes as usual", async () => {
    const bytes = randomBytes(100);
    const digest = await pushBlob(registry, "redirect/fs", bytes);

    const response = await registry.request(`/v2/redirect/fs/blobs/${digest}`, {
      redirect: "manual",
    });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
  });
});

/**
 * A streamed response's connection turns idle just after the client has the
 * last byte; a gateway closed sooner keeps it open until its keep-alive timeout.
 */
function idleConnections(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50));
}

/** A gateway on 127.0.0.1:0 over PGlite metadata and `storage`, logging into `lines`. */
async function startGateway(storage: BlobStorage, blobRedirectSeconds?: number) {
  const dataDir = await mkdtemp(path.join(tmpdir(), "portfolio-redirect-"));
  const metadata = new PrismaMetadataStore(await openEmbeddedDatabase(dataDir));
  const lines: string[] = [];
  const logger = createLogger("info", { write: (line: string) => lines.push(line) });
  const limits = { ...DEFAULT_LIMITS, blobRedirectSeconds };
  const app = buildGateway({ backends: { metadata, storage }, limits, logger });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const registry = {
    url,
    request: (pathOrUrl: string, init?: RequestInit) => fetch(new URL(pathOrUrl, url), init),
  } as TestRegistry;
  return {
    registry,
    lines,
    async close() {
      await app.close();
      await metadata.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Where the gateway's storage comes from: the S3 driver itself, or a blob service over it. */
const wirings: Array<[string, (s3: BlobStorage, lines: string[]) => Promise<Wired>]> = [
  ["in the gateway's process", async (s3) => ({ storage: s3, close: async () => undefined })],
  [
    "behind the blob service",
    async (s3, lines) => {
      const logger = createLogger("info", { write: (line: string) => lines.push(line) });
      const blobServer = new BlobServer({ storage: s3, logger });
      const client = new HttpBlobStorage({ url: await blobServer.listen(0, "127.0.0.1") });
      return {
        storage: client,
        async close() {
          await client.close();
          await blobServer.close();
        },
      };
    },
  ],
];

interface Wired {
  storage: BlobStorage;
  close(): Promise<void>;
}

whenS3("blob redirects to S3", (options) => {
  describe.each(wirings)("a blob GET with redirects on and S3 storage %s", (_name, wire) => {
    let fixture: ReturnType<typeof s3Fixture>;
    let wired: Wired;
    let gateway: Awaited<ReturnType<typeof startGateway>>;
    const serviceLines: string[] = [];
    const bytes = randomBytes(5000);
    let digest: string;

    beforeAll(async () => {
      fixture = s3Fixture(options);
      wired = await wire(fixture.storage, serviceLines);
      gateway = await startGateway(wired.storage, 300);
      digest = await pushBlob(gateway.registry, "redirect/s3", bytes);
    });
    afterAll(async () => {
      await gateway.close();
      await wired.close();
      await fixture.storage.close();
      await fixture.removeAll();
    });

    it("answers 307 to a presigned URL with the digest", async () => {
      const response = await gateway.registry.request(`/v2/redirect/s3/blobs/${digest}`, {
        redirect: "manual",
      });

      expect(response.status).toBe(307);
      expect(response.headers.get("location")).toContain("X-Amz-Signature=");
      expect(response.headers.get("location")?.startsWith(options.endpoint)).toBe(true);
      expect(response.headers.get("docker-content-digest")).toBe(digest);
    });

    it("whose bytes a client following it gets, and a Range through it gets 206", async () => {
      const blobUrl = `/v2/redirect/s3/blobs/${digest}`;
      const whole = await gateway.registry.request(blobUrl);
      expect(whole.status).toBe(200);
      expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);

      const part = await gateway.registry.request(blobUrl, { headers: { range: "bytes=10-19" } });
      expect(part.status).toBe(206);
      expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true);
    });

    it("checks the repository first, and HEAD is answered by the gateway", async () => {
      const elsewhere = await gateway.registry.request(`/v2/redirect/other/blobs/${digest}`, {
        redirect: "manual",
      });
      expect(elsewhere.status).toBe(404);
      expect(await errorCode(elsewhere)).toBe("BLOB_UNKNOWN");

      const head = await gateway.registry.request(`/v2/redirect/s3/blobs/${digest}`, {
        method: "HEAD",
      });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-length")).toBe(String(bytes.length));
    });

    it("never logs the presigned URL", async () => {
      await gateway.registry.request(`/v2/redirect/s3/blobs/${digest}`, { redirect: "manual" });
      await new Promise((resolve) => setTimeout(resolve, 100));

      const logged = [...gateway.lines, ...serviceLines].join("");
      expect(logged).toContain('"status":307');
      expect(logged).not.toMatch(/X-Amz-/i);
    });
  });

  describe("a blob GET with redirects off (the default) and S3 storage", () => {
    it("streams the bytes from the gateway", async () => {
      const fixture = s3Fixture(options);
      const gateway = await startGateway(fixture.storage);
      try {
        const bytes = randomBytes(3000);
        const digest = await pushBlob(gateway.registry, "redirect/off", bytes);

        const response = await gateway.registry.request(`/v2/redirect/off/blobs/${digest}`, {
          redirect: "manual",
        });
        expect(response.status).toBe(200);
        expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
      } finally {
        await idleConnections();
        await gateway.close();
        await fixture.storage.close();
        await fixture.removeAll();
      }
    });
  });
});
