import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { BlobServer, FilesystemBlobStorage, HttpBlobStorage } from "@portfolio/blobs";
import type { BlobStorage, MetadataStore } from "@portfolio/core";
import { buildGateway } from "@portfolio/gateway";
import { openEmbeddedDatabase, PrismaMetadataStore } from "@portfolio/metadata";
import pino from "pino";
import { s3Fixture, s3FromEnvironment } from "../../blobs/test/s3-fixture";

const logger = pino({ level: "silent" });
const MiB = 1024 * 1024;

/** A filesystem driver that declares the minimum S3 multipart parts have. */
async function filesystemWithMinimum(root: string): Promise<BlobStorage> {
  const driver = await FilesystemBlobStorage.open(root);
  return new Proxy(driver, {
    get(target, key) {
      if (key === "minimumChunkLength") return 8 * MiB;
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A gateway on 127.0.0.1:0 over `metadata` and `storage`; answers its upload-start headers. */
async function startUploadOver(metadata: MetadataStore, storage: BlobStorage): Promise<Headers> {
  const app = buildGateway({ backends: { metadata, storage }, logger });
  try {
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    const response = await fetch(`${url}/v2/min/chunks/blobs/uploads/`, { method: "POST" });
    expect(response.status).toBe(202);
    return response.headers;
  } finally {
    await app.close();
  }
}

describe("OCI-Chunk-Min-Length in the split deployment", () => {
  let dataDir: string;
  let metadata: PrismaMetadataStore;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "portfolio-chunk-min-"));
    metadata = new PrismaMetadataStore(await openEmbeddedDatabase(path.join(dataDir, "db")));
  });
  afterAll(async () => {
    await metadata.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Upload-start headers of a gateway with `storage` in its process, and behind a blob service. */
  async function embeddedAndSplit(storage: BlobStorage) {
    const embedded = await startUploadOver(metadata, storage);

    const server = new BlobServer({ storage, logger });
    const client = new HttpBlobStorage({ url: await server.listen(0, "127.0.0.1") });
    try {
      const split = await startUploadOver(metadata, client);
      return { embedded, split };
    } finally {
      await client.close();
      await server.close();
    }
  }

  it("is advertised behind the blob service as by a gateway over the storage itself", async () => {
    const storage = await filesystemWithMinimum(path.join(dataDir, "declaring"));

    const { embedded, split } = await embeddedAndSplit(storage);
    await storage.close();

    expect(embedded.get("oci-chunk-min-length")).toBe(String(8 * MiB));
    expect(split.get("oci-chunk-min-length")).toBe(String(8 * MiB));
  });

  it("is absent behind a blob service whose storage takes chunks of any size", async () => {
    const storage = await FilesystemBlobStorage.open(path.join(dataDir, "any-size"));

    const { split } = await embeddedAndSplit(storage);
    await storage.close();

    expect(split.get("oci-chunk-min-length")).toBeNull();
  });

  const s3 = s3FromEnvironment();
  (s3 === undefined ? it.skip : it)(
    "is the S3 driver's behind the blob service (needs PORTFOLIO_TEST_S3_ENDPOINT)",
    async () => {
      const fixture = s3Fixture(s3!);

      const { embedded, split } = await embeddedAndSplit(fixture.storage);
      await fixture.storage.close();
      await fixture.removeAll();

      expect(embedded.get("oci-chunk-min-length")).toBe(String(8 * MiB));
      expect(split.get("oci-chunk-min-length")).toBe(embedded.get("oci-chunk-min-length"));
    },
  );
});
