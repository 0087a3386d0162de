import { reconcile, reviewDue } from "../src";
import { backends, EAGER, type Fixture, imagePut, stored } from "./helpers";

/** Reviews until nothing is due, as a collector's loop would. */
async function drain(fixture: Fixture, policy = EAGER): Promise<void> {
  const options = { database: fixture.database, storage: fixture.storage, policy };
  for (;;) {
    await fixture.feed();
    if ((await reviewDue(options, 1000)) === 0) return;
  }
}

describe.each(backends)("the review queue on %s", (_name, open) => {
  let fixture: Fixture;
  beforeEach(async () => {
    fixture = await open();
  });
  afterEach(() => fixture.dispose());

  async function twoImagesSharingALayer() {
    const config = await fixture.upload("app", "config");
    const unique = await fixture.upload("app", "unique layer");
    const shared = await fixture.upload("app", "shared layer");
    const first = imagePut("app", config.digest, [unique.digest, shared.digest], "v1");
    const second = imagePut("app", config.digest, [shared.digest], "v2");
    await fixture.store.putManifest(first);
    await fixture.store.putManifest(second);
    await fixture.store.mountBlob("other", unique.digest, "app");
    await fixture.store.mountBlob("other", config.digest, "app");
    await fixture.store.putManifest(imagePut("other", config.digest, [unique.digest], "v1"));
    return { config, unique, shared, first };
  }

  it("frees the layer of a deleted manifest that nothing else uses, after the delay", async () => {
    const config = await fixture.upload("app", "config");
    const unique = await fixture.upload("app", "unique layer");
    const shared = await fixture.upload("app", "shared layer");
    const first = imagePut("app", config.digest, [unique.digest, shared.digest], "v1");
    await fixture.store.putManifest(first);
    await fixture.store.putManifest(imagePut("app", config.digest, [shared.digest], "v2"));

    await fixture.store.deleteManifest("app", first.digest);
    await drain(fixture, { ...EAGER, reviewDelayMs: 60 * 60 * 1000 });
    expect(await fixture.store.findBlob("app", unique.digest)).toBeDefined();

    await fixture.database.prisma.$executeRaw`UPDATE gc_candidate SET review_after = now()`;
    await drain(fixture);

    expect(await fixture.store.findBlob("app", unique.digest)).toBeUndefined();
    expect(await stored(fixture.storage, unique.storageKey)).toBe(false);
    expect(await fixture.store.findBlob("app", shared.digest)).toEqual(shared);
    expect(await stored(fixture.storage, shared.storageKey)).toBe(true);
    expect(await fixture.store.findBlob("app", config.digest)).toEqual(config);
  });

  it("keeps a layer that another repository's manifest uses, unlinking it only here", async () => {
    const { unique, first } = await twoImagesSharingALayer();

    await fixture.store.deleteManifest("app", first.digest);
    await drain(fixture);

    expect(await fixture.store.findBlob("app", unique.digest)).toBeUndefined();
    expect(await fixture.store.findBlob("other", unique.digest)).toEqual(unique);
    expect(await stored(fixture.storage, unique.storageKey)).toBe(true);
  });

  it("keeps a blob no manifest uses yet while it is younger than the delay", async () => {
    const pending = await fixture.upload("app", "layer of a push in progress");

    await drain(fixture, { ...EAGER, reviewDelayMs: 60 * 60 * 1000 });

    expect(await fixture.store.findBlob("app", pending.digest)).toEqual(pending);
  });

  it("deletes an untagged manifest only under the delete policy, its layers with it", async () => {
    const config = await fixture.upload("app", "config");
    const layer = await fixture.upload("app", "layer");
    const untagged = imagePut("app", config.digest, [layer.digest]);
    await fixture.store.putManifest(untagged);

    await drain(fixture, { ...EAGER, untagged: "keep" });
    expect(await fixture.store.findManifest("app", { digest: untagged.digest })).toBeDefined();

    await reconcile({ database: fixture.database, storage: fixture.storage, policy: EAGER });
    expect(await fixture.store.findManifest("app", { digest: untagged.digest })).toBeUndefined();
    expect(await stored(fixture.storage, layer.storageKey)).toBe(false);
  });
});
