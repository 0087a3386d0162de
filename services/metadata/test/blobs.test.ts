import { randomUUID } from "node:crypto";
import { backends, newRepository, pushBlob, sha256, type TestStore } from "./helpers";

describe.each(backends)("blobs on %s", (_name, open) => {
  let t: TestStore;

  beforeAll(async () => {
    t = await open();
  });

  afterAll(() => t.dispose());

  test("a committed blob is found in its repository only", async () => {
    const repository = newRepository();
    const blob = { digest: sha256("layer"), size: 5, storageKey: randomUUID() };

    const committed = await t.store.commitBlob(repository, blob);

    expect(committed).toEqual(blob);
    expect(await t.store.findBlob(repository, blob.digest)).toEqual(blob);
    expect(await t.store.findBlob(newRepository(), blob.digest)).toBeUndefined();
    expect(await t.store.findAnyBlob(blob.digest)).toEqual(blob);
  });

  test("sizes beyond 32 bits come back as exact numbers", async () => {
    const repository = newRepository();
    const blob = { digest: sha256("big"), size: 2 ** 40 + 3, storageKey: randomUUID() };

    await t.store.commitBlob(repository, blob);

    expect((await t.store.findBlob(repository, blob.digest))?.size).toBe(2 ** 40 + 3);
  });

  test("committing a recorded digest returns the first storage key", async () => {
    const digest = sha256("shared");
    const first = { digest, size: 6, storageKey: randomUUID() };
    const second = { digest, size: 6, storageKey: randomUUID() };
    const other = newRepository();

    await t.store.commitBlob(newRepository(), first);
    const winner = await t.store.commitBlob(other, second);

    expect(winner.storageKey).toBe(first.storageKey);
    expect(await t.store.findBlob(other, digest)).toEqual(first);
  });

  test("concurrent commits of one digest agree on one storage key", async () => {
    const digest = sha256("raced");
    const repositories = [1, 2, 3, 4, 5].map(() => newRepository());

    const records = await Promise.all(
      repositories.map((repository) =>
        t.store.commitBlob(repository, { digest, size: 5, storageKey: randomUUID() }),
      ),
    );

    const keys = new Set(records.map((record) => record.storageKey));
    expect(keys.size).toBe(1);
    const rows = await t.database.prisma.blob.count({ where: { digest } });
    expect(rows).toBe(1);
    for (const repository of repositories) {
      expect((await t.store.findBlob(repository, digest))?.storageKey).toBe([...keys][0]);
    }
  });

  test("a mount from a repository holding the blob links it", async () => {
    const from = newRepository();
    const target = newRepository();
    const digest = await pushBlob(t.store, from, "mounted");

    const mounted = await t.store.mountBlob(target, digest, from);

    expect(mounted?.digest).toBe(digest);
    expect(await t.store.findBlob(target, digest)).toEqual(mounted);
  });

  test("a mount from a repository without the blob links nothing", async () => {
    const holder = newRepository();
    const empty = newRepository();
    const target = newRepository();
    const digest = await pushBlob(t.store, holder, "held elsewhere");

    const mounted = await t.store.mountBlob(target, digest, empty);

    expect(mounted).toBeUndefined();
    expect(await t.store.findBlob(target, digest)).toBeUndefined();
    expect(await t.store.listRepositories({})).not.toContain(target);
  });

  test("a mount without from links a blob that any repository holds", async () => {
    const target = newRepository();
    const digest = await pushBlob(t.store, newRepository(), "anywhere");

    expect((await t.store.mountBlob(target, digest))?.digest).toBe(digest);
    expect(await t.store.mountBlob(target, sha256("nowhere"))).toBeUndefined();
    expect(await t.store.findBlob(target, digest)).toBeDefined();
  });

  test("unlinking removes the blob from that repository only", async () => {
    const repository = newRepository();
    const other = newRepository();
    const digest = await pushBlob(t.store, repository, "unlinked");
    await t.store.mountBlob(other, digest, repository);

    expect(await t.store.unlinkBlob(repository, digest)).toBe(true);
    expect(await t.store.unlinkBlob(repository, digest)).toBe(false);
    expect(await t.store.findBlob(repository, digest)).toBeUndefined();
    expect(await t.store.findBlob(other, digest)).toBeDefined();
  });

  test("a blob no repository links is not offered for mounting", async () => {
    const repository = newRepository();
    const digest = await pushBlob(t.store, repository, "orphaned");
    await t.store.unlinkBlob(repository, digest);

    expect(await t.store.findAnyBlob(digest)).toBeUndefined();
    expect(await t.store.mountBlob(newRepository(), digest)).toBeUndefined();
  });
});
