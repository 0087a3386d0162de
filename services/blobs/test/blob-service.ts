import { randomUUID } from "node:crypto";
import { BlobServer, HttpBlobStorage, type HttpBlobStorageOptions } from "@portfolio/blobs";
import { type BlobStorage, digestOf } from "@portfolio/core";
import pino from "pino";
import { bodyOf } from "./bodies";

const silent = pino({ level: "silent" });

/**
 * A blob service on 127.0.0.1:0 over `storage`, a client of it (with
 * `clientOptions`), and the request paths the service was asked for.
 * `stop` closes both; the storage stays open.
 */
export async function serveBlobs(
  storage: BlobStorage,
  clientOptions: Omit<HttpBlobStorageOptions, "url"> = {},
) {
  const server = new BlobServer({ storage, logger: silent });
  const client = new HttpBlobStorage({
    ...clientOptions,
    url: await server.listen(0, "127.0.0.1"),
  });
  const paths: string[] = [];
  server.server.on("request", (request) => paths.push(request.url ?? ""));
  return {
    server,
    client,
    paths,
    /** The presign calls among them. */
    presignCalls: () => paths.filter((path) => path.includes("/presign")),
    async stop() {
      await client.close();
      await server.close();
    },
  };
}

/** Stores `content` as a blob through an upload session and answers its storage key. */
export async function storeBlob(storage: BlobStorage, content: Buffer): Promise<string> {
  const uploadId = randomUUID();
  await storage.createUpload(uploadId);
  await storage.appendUpload(uploadId, bodyOf(content));
  return (await storage.commitUpload(uploadId, digestOf(content))).storageKey;
}
