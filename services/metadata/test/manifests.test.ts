import { ManifestReferencesUnknownError } from "@portfolio/core";
import { backends, manifestPut, newRepository, pushBlob, sha256, type TestStore } from "./helpers";

const INDEX = "application/vnd.oci.image.index.v1+json";

describe.each(backends)("manifests on %s", (_name, open) => {
  let t: TestStore;

  beforeAll(async () => {
    t = await open();
  });

  afterAll(() => t.dispose());

  /** A repository holding one config blob, and a manifest push that references it. */
  async function imageIn(repository: string, name: string, tag?: string) {
    const config = await pushBlob(t.store, repository, `config of ${name}`);
    return manifestPut(repository, { name, config }, { blobs: [config], tag });
  }

  test("a pushed manifest is found by digest and by tag with its exact bytes", async () => {
    const repository = newRepository();
    const put = await imageIn(repository, "one", "latest");

    await t.store.putManifest(put);

    const expected = {
      repository,
      digest: put.digest,
      mediaType: put.mediaType,
      size: put.payload.length,
      payload: put.payload,
    };
    expect(await t.store.findManifest(repository, { digest: put.digest })).toEqual(expected);
    expect(await t.store.findManifest(repository, { tag: "latest" })).toEqual(expected);
    expect(await t.store.findManifest(repository, { tag: "other" })).toBeUndefined();
    expect(await t.store.findManifest(newRepository(), { digest: put.digest })).toBeUndefined();
  });

  test("a manifest naming a blob the repository lacks is refused and writes nothing", async () => {
    const repository = newRepository();
    const held = await pushBlob(t.store, newRepository(), "held by another repository");
    const unknown = sha256("never pushed");
    const put = manifestPut(repository, { held }, { blobs: [held, unknown], tag: "v1" });

    const pushing = t.store.putManifest(put);

    await expect(pushing).rejects.toBeInstanceOf(ManifestReferencesUnknownError);
    await expect(pushing).rejects.toMatchObject({ digests: [held, unknown] });
    expect(await t.store.findManifest(repository, { digest: put.digest })).toBeUndefined();
    expect(await t.store.listTags(repository, {})).toBeUndefined();
    expect(await t.database.prisma.manifest.count({ where: { digest: put.digest } })).toBe(0);
  });

  test("an index needs its child manifests in the same repository", async () => {
    const repository = newRepository();
    const child = await imageIn(repository, "child");
    const index = manifestPut(
      repository,
      { manifests: [child.digest] },
      { mediaType: INDEX, children: [child.digest] },
    );

    await expect(t.store.putManifest(index)).rejects.toMatchObject({ digests: [child.digest] });

    await t.store.putManifest(child);
    await t.store.putManifest(index);
    expect((await t.store.findManifest(repository, { digest: index.digest }))?.mediaType).toBe(
      INDEX,
    );
  });

  test("pushing a tag again moves it and keeps one tag row", async () => {
    const repository = newRepository();
    const first = await imageIn(repository, "first", "stable");
    const second = await imageIn(repository, "second", "stable");

    await t.store.putManifest(first);
    await t.store.putManifest(second);

    expect((await t.store.findManifest(repository, { tag: "stable" }))?.digest).toBe(second.digest);
    expect(await t.store.listTags(repository, {})).toEqual(["stable"]);
    expect(await t.store.findManifest(repository, { digest: first.digest })).toBeDefined();
  });

  test("concurrent pushes of one tag leave it on one of them", async () => {
    const repository = newRepository();
    const puts = await Promise.all(
      ["a", "b", "c", "d"].map((name) => imageIn(repository, name, "race")),
    );

    await Promise.all(puts.map((put) => t.store.putManifest(put)));

    const tagged = await t.store.findManifest(repository, { tag: "race" });
    expect(puts.map((put) => put.digest)).toContain(tagged?.digest);
    const rows = await t.database.prisma.tag.count({ where: { name: "race" } });
    expect(rows).toBe(1);
    for (const put of puts) {
      expect(await t.store.findManifest(repository, { digest: put.digest })).toBeDefined();
    }
  });

  test("concurrent pushes of one manifest both succeed and store it once", async () => {
    const repository = newRepository();
    const put = await imageIn(repository, "twice");

    await Promise.all([
      t.store.putManifest({ ...put, tag: "x" }),
      t.store.putManifest({ ...put, tag: "y" }),
      t.store.putManifest(put),
    ]);

    const rows = await t.database.prisma.manifest.findMany({
      where: { digest: put.digest },
      include: { blobs: true, tags: true },
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.blobs.map((blob) => blob.digest)).toEqual(put.blobs);
    expect(rows[0]!.tags.map((tag) => tag.name).sort()).toEqual(["x", "y"]);
  });

  test("concurrent first pushes to a new repository create it once", async () => {
    const repository = newRepository();
    const puts = ["p", "q", "r"].map((name) => manifestPut(repository, { name }));

    await Promise.all(puts.map((put) => t.store.putManifest(put)));

    expect(await t.database.prisma.repository.count({ where: { name: repository } })).toBe(1);
  });

  test("deleting a manifest removes its tags and reference rows", async () => {
    const repository = newRepository();
    const put = await imageIn(repository, "doomed", "v1");
    await t.store.putManifest(put);
    await t.store.putManifest({ ...put, tag: "v2" });

    expect(await t.store.deleteManifest(repository, put.digest)).toBe(true);

    expect(await t.store.deleteManifest(repository, put.digest)).toBe(false);
    expect(await t.store.findManifest(repository, { digest: put.digest })).toBeUndefined();
    expect(await t.store.findManifest(repository, { tag: "v1" })).toBeUndefined();
    expect(await t.store.listTags(repository, {})).toEqual([]);
    expect(await t.database.prisma.manifestBlob.count({ where: { digest: put.blobs[0] } })).toBe(0);
    expect(await t.store.findBlob(repository, put.blobs[0]!)).toBeDefined();
  });

  test("deleting a tag leaves its manifest", async () => {
    const repository = newRepository();
    const put = await imageIn(repository, "kept", "gone");
    await t.store.putManifest(put);

    expect(await t.store.deleteTag(repository, "gone")).toBe(true);

    expect(await t.store.deleteTag(repository, "gone")).toBe(false);
    expect(await t.store.findManifest(repository, { tag: "gone" })).toBeUndefined();
    expect(await t.store.findManifest(repository, { digest: put.digest })).toBeDefined();
  });

  describe("referrers", () => {
    const subject = sha256("a subject that was never pushed");
    const repository = newRepository();
    const signature = manifestPut(
      repository,
      { kind: "signature" },
      {
        subject,
        artifactType: "application/vnd.dev.cosign.artifact.sig.v1+json",
        annotations: { "org.example.signed-by": "ci" },
      },
    );
    const sbom = manifestPut(
      repository,
      { kind: "sbom" },
      { subject, artifactType: "application/spdx+json" },
    );
    const plain = manifestPut(repository, { kind: "plain" }, { subject });
    const unrelated = manifestPut(repository, { kind: "unrelated" }, { subject: sha256("other") });

    beforeAll(async () => {
      for (const put of [signature, sbom, plain, unrelated]) await t.store.putManifest(put);
    });

    test("list the manifests whose subject is given, ordered by digest", async () => {
      const referrers = await t.store.listReferrers(repository, subject);

      const expected = [signature, sbom, plain]
        .map((put) => put.digest)
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      expect(referrers.map((referrer) => referrer.digest)).toEqual(expected);
    });

    test("describe each referrer, leaving out what it does not have", async () => {
      const referrers = await t.store.listReferrers(repository, subject);
      const byDigest = new Map(referrers.map((referrer) => [referrer.digest, referrer]));

      expect(byDigest.get(signature.digest)).toEqual({
        mediaType: signature.mediaType,
        digest: signature.digest,
        size: signature.payload.length,
        artifactType: signature.artifactType,
        annotations: { "org.example.signed-by": "ci" },
      });
      expect(byDigest.get(plain.digest)).toEqual({
        mediaType: plain.mediaType,
        digest: plain.digest,
        size: plain.payload.length,
      });
    });

    test("filter by artifact type", async () => {
      const referrers = await t.store.listReferrers(repository, subject, "application/spdx+json");

      expect(referrers.map((referrer) => referrer.digest)).toEqual([sbom.digest]);
    });

    test("are empty for an unknown subject or repository", async () => {
      expect(await t.store.listReferrers(repository, sha256("nothing"))).toEqual([]);
      expect(await t.store.listReferrers(newRepository(), subject)).toEqual([]);
    });
  });
});
