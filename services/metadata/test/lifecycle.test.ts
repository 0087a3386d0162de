import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { BackendUnavailableError } from "@portfolio/core";
import { openEmbeddedDatabase, PrismaMetadataStore } from "../src";
import { makeTempDir, manifestPut, removeTempDir, sha256 } from "./helpers";

describe("an embedded store", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await makeTempDir();
  });

  afterAll(() => removeTempDir(dir));

  test("keeps its data when closed and opened again", async () => {
    const dataDir = path.join(dir, "persisted");
    const blob = { digest: sha256("kept"), size: 4, storageKey: randomUUID() };
    const put = manifestPut(
      "library/kept",
      { blob: blob.digest },
      { blobs: [blob.digest], tag: "v1" },
    );

    const first = new PrismaMetadataStore(await openEmbeddedDatabase(dataDir));
    await first.commitBlob("library/kept", blob);
    await first.putManifest(put);
    await first.close();

    const second = new PrismaMetadataStore(await openEmbeddedDatabase(dataDir));
    const manifest = await second.findManifest("library/kept", { tag: "v1" });
    const found = await second.findBlob("library/kept", blob.digest);
    await second.close();

    expect(manifest?.payload).toEqual(put.payload);
    expect(found).toEqual(blob);
  });

  test("answers ping while open and reports the database unavailable once closed", async () => {
    const store = new PrismaMetadataStore(await openEmbeddedDatabase(path.join(dir, "pinged")));

    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();

    await expect(store.ping()).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(store.findBlob("library/any", sha256("any"))).rejects.toMatchObject({
      kind: "backend-unavailable",
      backend: "postgres",
    });
  });
});
