import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { BlobServer, FilesystemBlobStorage, HttpBlobStorage } from "@portfolio/blobs";
import { buildGateway } from "@portfolio/gateway";
import {
  GrpcMetadataStore,
  type MetadataServer,
  openEmbeddedDatabase,
  PrismaMetadataStore,
  startMetadataServer,
} from "@portfolio/metadata";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import type { TestRegistry } from "./registry";

/**
 * The split deployment in one process: a gateway over GrpcMetadataStore and
 * HttpBlobStorage, talking over loopback to a real metadata gRPC server (on
 * PGlite) and a real blob server (on the filesystem). Either service can be
 * stopped and started again on the same port over the same data, while the
 * gateway and its clients keep running, as in an outage.
 */
export interface SplitDeployment {
  /** The gateway, in the shape the push helpers of ./registry take. */
  registry: TestRegistry;
  blobStorage: FilesystemBlobStorage;
  blobServer: BlobServer;
  metadataServer: MetadataServer;
  stopMetadata(): Promise<void>;
  startMetadata(): Promise<void>;
  /** Another gateway over the same services, as a second replica; closed with the rest. */
  startGateway(): Promise<TestRegistry>;
  /** Drops every connection at once, requests in flight included, as a crash would. */
  crashBlobs(): Promise<void>;
  startBlobs(): Promise<void>;
  close(): Promise<void>;
}

export async function startSplit(): Promise<SplitDeployment> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "portfolio-split-"));
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const store = new PrismaMetadataStore(await openEmbeddedDatabase(path.join(dataDir, "db")));
  const blobsRoot = path.join(dataDir, "blobs");

  let metadataServer = await startMetadataServer(store, { address: "127.0.0.1:0", logger });
  const metadataAddress = metadataServer.address;
  let blobStorage = await FilesystemBlobStorage.open(blobsRoot);
  let blobServer = new BlobServer({ storage: blobStorage, logger });
  const blobsUrl = await blobServer.listen(0, "127.0.0.1");
  const blobsPort = Number(new URL(blobsUrl).port);

  const gateways: (() => Promise<void>)[] = [];
  async function startGateway(): Promise<TestRegistry> {
    const metadata = new GrpcMetadataStore(metadataAddress, { deadlineMs: 2_000 });
    const storage = new HttpBlobStorage({ url: blobsUrl, requestTimeoutMs: 2_000 });
    const app: FastifyInstance = buildGateway({ backends: { metadata, storage }, logger });
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    gateways.push(async () => {
      await app.close();
      await Promise.all([metadata.close(), storage.close()]);
    });
    return {
      url,
      dataDir,
      request: (pathOrUrl: string, init?: RequestInit) => fetch(new URL(pathOrUrl, url), init),
    } as TestRegistry;
  }

  const split: SplitDeployment = {
    registry: await startGateway(),
    blobStorage,
    blobServer,
    metadataServer,
    startGateway,
    async stopMetadata() {
      await metadataServer.close(0);
    },
    async startMetadata() {
      metadataServer = await startMetadataServer(store, { address: metadataAddress, logger });
      split.metadataServer = metadataServer;
    },
    async crashBlobs() {
      blobServer.server.closeAllConnections();
      await blobServer.close();
      await blobStorage.close();
    },
    async startBlobs() {
      blobStorage = await FilesystemBlobStorage.open(blobsRoot);
      blobServer = new BlobServer({ storage: blobStorage, logger });
      await blobServer.listen(blobsPort, "127.0.0.1");
      split.blobStorage = blobStorage;
      split.blobServer = blobServer;
    },
    async close() {
      await Promise.all(gateways.map((close) => close()));
      await metadataServer.close(0);
      await blobServer.close();
      await Promise.all([store.close(), blobStorage.close()]);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return split;
}
