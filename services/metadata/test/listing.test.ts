import { backends, manifestPut, newRepository, type TestStore } from "./helpers";

describe.each(backends)("tag and repository lists on %s", (_name, open) => {
  let t: TestStore;

  beforeAll(async () => {
    t = await open();
  });

  afterAll(() => t.dispose());

  async function tagAll(repository: string, tags: string[]): Promise<void> {
    const put = manifestPut(repository, { repository });
    for (const tag of tags) await t.store.putManifest({ ...put, tag });
  }

  test("tags come in byte order: digits, then upper case, then lower case", async () => {
    const repository = newRepository();
    await tagAll(repository, ["beta", "Alpha", "alpha", "1.0", "Beta", "_x", "1.10", "1.9"]);

    const tags = await t.store.listTags(repository, {});

    expect(tags).toEqual(["1.0", "1.10", "1.9", "Alpha", "Beta", "_x", "alpha", "beta"]);
  });

  test("n limits the page and last starts after an entry, exclusive", async () => {
    const repository = newRepository();
    await tagAll(repository, ["a", "B", "c", "D", "e"]);

    expect(await t.store.listTags(repository, { n: 2 })).toEqual(["B", "D"]);
    expect(await t.store.listTags(repository, { n: 2, last: "D" })).toEqual(["a", "c"]);
    expect(await t.store.listTags(repository, { last: "c" })).toEqual(["e"]);
    expect(await t.store.listTags(repository, { last: "e" })).toEqual([]);
    expect(await t.store.listTags(repository, { last: "C" })).toEqual(["D", "a", "c", "e"]);
    expect(await t.store.listTags(repository, { n: 0 })).toEqual([]);
  });

  test("an unknown repository has no tag list at all", async () => {
    expect(await t.store.listTags(newRepository(), {})).toBeUndefined();
  });

  test("a repository whose tags were all deleted lists none", async () => {
    const repository = newRepository();
    await tagAll(repository, ["only"]);
    await t.store.deleteTag(repository, "only");

    expect(await t.store.listTags(repository, {})).toEqual([]);
  });

  test("an upload session alone does not make a repository appear", async () => {
    const repository = newRepository();
    await t.store.createUpload(repository, new Date(Date.now() + 60_000));

    expect(await t.store.listTags(repository, {})).toBeUndefined();
    expect(await t.store.listRepositories({})).not.toContain(repository);
  });

  test("repositories come in byte order and page like tags", async () => {
    const names = ["zoo/app", "Zoo/app", "zoo-app", "zoo/App", "zoo.app"].map((name) =>
      newRepository(`catalog/${name}`),
    );
    for (const name of names) await tagAll(name, ["v1"]);

    const catalog = (await t.store.listRepositories({})).filter((name) =>
      name.startsWith("catalog/"),
    );
    const sorted = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(catalog).toEqual(sorted);

    const page = await t.store.listRepositories({ n: 2, last: sorted[1] });
    expect(page).toEqual(sorted.slice(2, 4));
  });
});
