import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { type GcReport, type Reclaimed, reconcile } from "../src";
import { backends, EAGER, type Fixture, imagePut, sha256, stored } from "./helpers";

describe.each(backends)("reconciliation on %s", (_name, open) => {
  let fixture: Fixture;
  beforeEach(async () => {
    fixture = await open();
  });
  afterEach(() => fixture.dispose());

  /** A tagged image to keep, and garbage of every kind; the kept image's blobs. */
  async function registryWithGarbage(untaggedImages = 3) {
    const { store, storage } = fixture;
    const config = await fixture.upload("app", "config");
    const layer = await fixture.upload("app", "kept layer");
    const kept = imagePut("app", config.digest, [layer.digest], "latest");
    await store.putManifest(kept);

    for (let i = 0; i < untaggedImages; i += 1) {
      const own = await fixture.upload("app", `untagged layer ${i}`);
      await store.putManifest(imagePut("app", config.digest, [own.digest]));
    }
    const referrer = { ...imagePut("app", config.digest, []), subject: sha256("gone") };
    await store.putManifest(referrer);
    await fixture.upload("app", "uploaded, never used");
    await fixture.upload("elsewhere", "kept layer");

    const expired = await store.createUpload("app", new Date(Date.now() - 1000));
    await storage.createUpload(expired.id);
    await storage.appendUpload(expired.id, Readable.from([Buffer.from("partial")]));
    await storage.createUpload(randomUUID());
    await storage.putBlob!(Readable.from([Buffer.from("crash")]), sha256("crash"));
    return [config, layer];
  }

  async function storedKeys(): Promise<string[]> {
    const keys = [];
    for await (const object of fixture.storage.listObjects!()) keys.push(object.key);
    return keys.sort();
  }

  async function tableCounts() {
    return fixture.database.prisma.$queryRaw`
      SELECT (SELECT count(*) FROM manifest) AS manifests, (SELECT count(*) FROM blob) AS blobs,
        (SELECT count(*) FROM repository_blob) AS links, (SELECT count(*) FROM tag) AS tags,
        (SELECT count(*) FROM upload_session) AS uploads,
        (SELECT count(*) FROM outbox_event) AS events`;
  }

  function run(dryRun: boolean, onReclaimed?: (item: Reclaimed) => void): Promise<GcReport> {
    const { database, storage } = fixture;
    return reconcile({ database, storage, policy: EAGER, onReclaimed }, dryRun);
  }

  it("reports in a dry run exactly what a real run then deletes, and changes nothing", async () => {
    const kept = await registryWithGarbage();
    const before = { counts: await tableCounts(), keys: await storedKeys() };

    const wouldGo: Reclaimed[] = [];
    const dry = await run(true, (item) => wouldGo.push(item));
    expect({ counts: await tableCounts(), keys: await storedKeys() }).toEqual(before);

    const went: Reclaimed[] = [];
    const real = await run(false, (item) => went.push(item));

    expect(real).toEqual(dry);
    expect(went).toEqual(wouldGo);
    expect(real.manifest.count).toBe(4);
    expect(real.blob.count).toBe(4);
    expect(real["blob-link"].count).toBe(5);
    expect(real.upload.count).toBe(1);
    expect(real["orphan-blob"].count).toBe(1);
    expect(real["orphan-upload"].count).toBe(1);
    expect((await storedKeys()).length).toBe(2);
    for (const blob of kept) expect(await stored(fixture.storage, blob.storageKey)).toBe(true);
    expect((await run(false)).blob.count).toBe(0);
  });

  it("finishes, after a run killed midway, without deleting anything referenced", async () => {
    const kept = await registryWithGarbage(12);
    let reclaimed = 0;
    const killer = () => {
      reclaimed += 1;
      if (reclaimed === 9) throw new Error("killed");
    };

    await expect(run(false, killer)).rejects.toThrow("killed");
    const second = await run(false);

    expect(second.manifest.count + second["blob-link"].count).toBeGreaterThan(0);
    expect(second["orphan-blob"].count).toBeGreaterThanOrEqual(1);
    const third = await run(false);
    expect(Object.values(third).every(({ count }) => count === 0)).toBe(true);
    expect((await storedKeys()).sort()).toEqual(kept.map((blob) => blob.storageKey).sort());
    expect(await fixture.store.findManifest("app", { tag: "latest" })).toBeDefined();
    for (const blob of kept) expect(await fixture.store.findBlob("app", blob.digest)).toEqual(blob);
  });
});
