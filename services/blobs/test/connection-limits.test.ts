import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { FilesystemBlobStorage } from "@portfolio/blobs";
import { DirectReads } from "../src/http/direct-reads";
import { serveBlobs, storeBlob } from "./blob-service";

/**
 * A pull holds its connection to storage (or to the blob service) for as long
 * as its client takes to read. The gateway's clients used to keep at most 64
 * connections per host, so that a 65th pull waited, however small its blob,
 * until one of the slow clients before it had finished.
 */
const CONCURRENT = 80;

/** Each promise's value, or undefined when it has not settled within `ms`. */
async function settledWithin<T>(promises: Promise<T>[], ms: number): Promise<(T | undefined)[]> {
  const results: (T | undefined)[] = promises.map(() => undefined);
  const all = Promise.all(promises.map((p, i) => p.then((value) => (results[i] = value))));
  await Promise.race([all, new Promise((resolve) => setTimeout(resolve, ms).unref())]);
  return results;
}

describe(`${CONCURRENT} concurrent reads whose clients read nothing`, () => {
  it("all get their answer from storage directly", async () => {
    // A store that sends the head and the first bytes of a long body, then holds.
    const store = createServer((_request, response) => {
      response.writeHead(200, { "content-length": 1024 * 1024 });
      response.write(Buffer.alloc(16 * 1024));
    });
    await new Promise<void>((resolve) => store.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(store.address() as AddressInfo).port}/blob`;
    const reads = new DirectReads({ timeoutMs: 10_000 });

    const pending = Array.from({ length: CONCURRENT }, () => reads.read(url));
    const bodies = await settledWithin(pending, 5_000);
    try {
      expect(bodies.filter((body) => body !== undefined).length).toBe(CONCURRENT);
    } finally {
      store.closeAllConnections();
      await Promise.allSettled(pending);
      for (const body of bodies) body?.destroy();
      await reads.close();
      await new Promise((resolve) => store.close(resolve));
    }
  });

  it("all get their answer through the blob service", async () => {
    const root = await mkdtemp(join(tmpdir(), "portfolio-connections-"));
    const storage = await FilesystemBlobStorage.open(root);
    const service = await serveBlobs(storage);
    const key = await storeBlob(storage, randomBytes(512 * 1024));

    const pending: Promise<Readable>[] = Array.from({ length: CONCURRENT }, () =>
      service.client.read(key),
    );
    const bodies = await settledWithin(pending, 5_000);
    try {
      expect(bodies.filter((body) => body !== undefined).length).toBe(CONCURRENT);
    } finally {
      service.server.server.closeAllConnections();
      await Promise.allSettled(pending);
      for (const body of bodies) body?.destroy();
      await service.stop();
      await storage.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
