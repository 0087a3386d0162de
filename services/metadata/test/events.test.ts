import { readFileSync } from "node:fs";
import * as path from "node:path";
import { EVENT_TYPES, ManifestReferencesUnknownError, withRequestId } from "@portfolio/core";
import Ajv2020 from "ajv/dist/2020";
import { backends, manifestPut, newRepository, pushBlob, sha256, type TestStore } from "./helpers";

const schema = JSON.parse(
  readFileSync(path.resolve(__dirname, "../../../docs/events.schema.json"), "utf8"),
);
/** Formats stay annotations: the schema's patterns carry the checks. */
const validMessage = new Ajv2020({ validateFormats: false }).compile(schema);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INDEX = "application/vnd.oci.image.index.v1+json";

interface OutboxRow {
  id: string;
  type: string;
  repository: string;
  payload: Record<string, unknown>;
  request_id: string | null;
  created_at: Date;
}

/** Runs `work` as the handling of the request `id`, as the gateway does. */
function asRequest<T>(id: string, work: () => Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => withRequestId(id, () => work().then(resolve, reject)));
}

/** The row as the Kafka message docs/events.md describes. */
function asMessage(row: OutboxRow) {
  const headers: Record<string, string> = {
    ce_specversion: "1.0",
    ce_id: row.id,
    ce_type: row.type,
    ce_source: "/portfolio",
    ce_time: new Date(row.created_at).toISOString(),
    "content-type": "application/json",
  };
  if (row.request_id !== null) headers["x-request-id"] = row.request_id;
  return { key: row.repository, headers, value: row.payload };
}

describe.each(backends)("outbox events on %s", (_name, open) => {
  let t: TestStore;

  beforeAll(async () => {
    t = await open();
  });

  afterAll(() => t.dispose());

  async function rows(repository?: string): Promise<OutboxRow[]> {
    return t.database.prisma.$queryRaw<OutboxRow[]>`
      SELECT id::text AS id, type, repository, payload, request_id, created_at
      FROM outbox_event
      WHERE ${repository ?? null}::text IS NULL OR repository = ${repository ?? null}
      ORDER BY sequence`;
  }

  /** The repository's events in sequence order, as type and payload. */
  async function eventsOf(repository: string) {
    return (await rows(repository)).map((row) => ({ type: row.type, payload: row.payload }));
  }

  /** A repository holding one image (config and layer) pushed with `tag`. */
  async function imagePushed(name: string, tag?: string) {
    const repository = newRepository();
    const config = await pushBlob(t.store, repository, `config of ${name}`);
    const layer = await pushBlob(t.store, repository, `layer of ${name}`);
    const put = manifestPut(repository, { name, config, layer }, { blobs: [config, layer], tag });
    await t.store.putManifest(put);
    return { repository, put, config, layer };
  }

  test("an image pushed by tag records repository, blobs, manifest and tag, in order", async () => {
    const repository = newRepository();
    const config = sha256("config");
    const layer = sha256("layer");
    const put = manifestPut(repository, { config, layer }, { blobs: [config, layer], tag: "v1" });

    await asRequest("req-push-1", async () => {
      await pushBlob(t.store, repository, "config");
      await pushBlob(t.store, repository, "layer");
      await t.store.putManifest(put);
    });

    const written = await rows(repository);
    expect(written.map(({ type, payload }) => ({ type, payload }))).toEqual([
      { type: EVENT_TYPES.repositoryCreated, payload: { repository } },
      { type: EVENT_TYPES.blobUploaded, payload: { repository, digest: config, size: 6 } },
      { type: EVENT_TYPES.blobUploaded, payload: { repository, digest: layer, size: 5 } },
      {
        type: EVENT_TYPES.manifestPushed,
        payload: {
          repository,
          digest: put.digest,
          mediaType: put.mediaType,
          size: put.payload.length,
          blobs: [config, layer],
          manifests: [],
          tags: ["v1"],
        },
      },
      { type: EVENT_TYPES.tagSet, payload: { repository, tag: "v1", digest: put.digest } },
    ]);
    expect(written.map((row) => row.request_id)).toEqual(Array(5).fill("req-push-1"));
    expect(new Set(written.map((row) => row.id)).size).toBe(5);
    for (const row of written) expect(row.id).toMatch(UUID);
  });

  test("a change made outside any request records no request id", async () => {
    const repository = newRepository();

    await pushBlob(t.store, repository, "anonymous");

    expect((await rows(repository)).map((row) => row.request_id)).toEqual([null, null]);
  });

  test("a refused push writes no event", async () => {
    const repository = newRepository();
    const held = await pushBlob(t.store, repository, "held");
    const before = await eventsOf(repository);
    const put = manifestPut(repository, { held }, { blobs: [held, sha256("never")], tag: "v1" });

    await expect(t.store.putManifest(put)).rejects.toBeInstanceOf(ManifestReferencesUnknownError);

    expect(await eventsOf(repository)).toEqual(before);
  });

  test("an upload session announces nothing; the first blob, the repository", async () => {
    const repository = newRepository();

    await t.store.createUpload(repository, new Date(Date.now() + 60_000));
    const afterSession = await eventsOf(repository);
    const digest = await pushBlob(t.store, repository, "first");
    await pushBlob(t.store, repository, "first");

    expect(afterSession).toEqual([]);
    expect(await eventsOf(repository)).toEqual([
      { type: EVENT_TYPES.repositoryCreated, payload: { repository } },
      { type: EVENT_TYPES.blobUploaded, payload: { repository, digest, size: 5 } },
    ]);
  });

  test("moving a tag records where it pointed; re-pushing it unchanged, nothing", async () => {
    const { repository, put: first, config } = await imagePushed("moved", "latest");
    const second = manifestPut(repository, { second: true }, { blobs: [config], tag: "latest" });
    const before = (await eventsOf(repository)).length;

    await t.store.putManifest(second);
    await t.store.putManifest(second);
    await t.store.putManifest({ ...first, tag: undefined });

    expect((await eventsOf(repository)).slice(before)).toEqual([
      {
        type: EVENT_TYPES.manifestPushed,
        payload: expect.objectContaining({ digest: second.digest, tags: ["latest"] }),
      },
      {
        type: EVENT_TYPES.tagSet,
        payload: { repository, tag: "latest", digest: second.digest, previousDigest: first.digest },
      },
    ]);
  });

  test("tagging a manifest the repository holds records tag.set alone", async () => {
    const { repository, put } = await imagePushed("retagged");
    const before = (await eventsOf(repository)).length;

    await t.store.putManifest({ ...put, tag: "stable" });

    expect((await eventsOf(repository)).slice(before)).toEqual([
      { type: EVENT_TYPES.tagSet, payload: { repository, tag: "stable", digest: put.digest } },
    ]);
  });

  test("an artifact records its artifact type and subject; an index its manifests", async () => {
    const { repository, put: image } = await imagePushed("subject");
    const artifact = manifestPut(
      repository,
      { signature: true },
      { artifactType: "application/vnd.example.sig", subject: image.digest },
    );
    const index = manifestPut(
      repository,
      { manifests: [image.digest] },
      { mediaType: INDEX, children: [image.digest] },
    );
    const before = (await eventsOf(repository)).length;

    await t.store.putManifest(artifact);
    await t.store.putManifest(index);

    expect((await eventsOf(repository)).slice(before)).toEqual([
      {
        type: EVENT_TYPES.manifestPushed,
        payload: {
          repository,
          digest: artifact.digest,
          mediaType: artifact.mediaType,
          size: artifact.payload.length,
          artifactType: "application/vnd.example.sig",
          subject: image.digest,
          blobs: [],
          manifests: [],
          tags: [],
        },
      },
      {
        type: EVENT_TYPES.manifestPushed,
        payload: {
          repository,
          digest: index.digest,
          mediaType: INDEX,
          size: index.payload.length,
          blobs: [],
          manifests: [image.digest],
          tags: [],
        },
      },
    ]);
  });

  test("deleting a manifest records tag.deleted per tag, then manifest.deleted", async () => {
    const { repository, put, config, layer } = await imagePushed("deleted", "b");
    await t.store.putManifest({ ...put, tag: "a" });
    const before = (await eventsOf(repository)).length;

    await asRequest("req-delete", () => t.store.deleteManifest(repository, put.digest));
    await t.store.deleteManifest(repository, put.digest);

    const written = (await rows(repository)).slice(before);
    expect(written.map(({ type, payload }) => ({ type, payload }))).toEqual([
      { type: EVENT_TYPES.tagDeleted, payload: { repository, tag: "a", digest: put.digest } },
      { type: EVENT_TYPES.tagDeleted, payload: { repository, tag: "b", digest: put.digest } },
      {
        type: EVENT_TYPES.manifestDeleted,
        payload: {
          repository,
          digest: put.digest,
          tags: ["a", "b"],
          blobs: [config, layer].sort(),
          manifests: [],
        },
      },
    ]);
    expect(written.map((row) => row.request_id)).toEqual(Array(3).fill("req-delete"));
  });

  test("deleting a tag records tag.deleted with its digest; an unknown one, nothing", async () => {
    const { repository, put } = await imagePushed("untagged", "gone");
    const before = (await eventsOf(repository)).length;

    await t.store.deleteTag(repository, "gone");
    await t.store.deleteTag(repository, "gone");

    expect((await eventsOf(repository)).slice(before)).toEqual([
      { type: EVENT_TYPES.tagDeleted, payload: { repository, tag: "gone", digest: put.digest } },
    ]);
  });

  test("a mount records blob.mounted once, naming `from` only when the client did", async () => {
    const source = newRepository();
    const digest = await pushBlob(t.store, source, "shared");
    const named = newRepository();
    const anywhere = newRepository();

    await t.store.mountBlob(named, digest, source);
    await t.store.mountBlob(named, digest, source);
    await t.store.mountBlob(anywhere, digest);
    await t.store.mountBlob(newRepository(), sha256("unknown"));

    expect(await eventsOf(named)).toEqual([
      { type: EVENT_TYPES.repositoryCreated, payload: { repository: named } },
      {
        type: EVENT_TYPES.blobMounted,
        payload: { repository: named, digest, size: 6, from: source },
      },
    ]);
    expect(await eventsOf(anywhere)).toEqual([
      { type: EVENT_TYPES.repositoryCreated, payload: { repository: anywhere } },
      { type: EVENT_TYPES.blobMounted, payload: { repository: anywhere, digest, size: 6 } },
    ]);
  });

  test("unlinking a blob records blob.deleted once", async () => {
    const repository = newRepository();
    const digest = await pushBlob(t.store, repository, "unlinked");

    await t.store.unlinkBlob(repository, digest);
    await t.store.unlinkBlob(repository, digest);

    expect((await eventsOf(repository)).slice(2)).toEqual([
      { type: EVENT_TYPES.blobDeleted, payload: { repository, digest } },
    ]);
  });

  test("every recorded event is a valid message of docs/events.schema.json", async () => {
    const written = await rows();

    const invalid = written.map(asMessage).filter((message) => !validMessage(message));

    expect(written.length).toBeGreaterThan(30);
    expect(new Set(written.map((row) => row.type))).toEqual(new Set(Object.values(EVENT_TYPES)));
    expect(invalid).toEqual([]);
  });

  test("the schema refuses a payload that does not match its type", () => {
    const message = asMessage({
      id: "0b7b3f5e-8a57-4c2e-9a43-1f0d3c2b1a00",
      type: EVENT_TYPES.tagSet,
      repository: "library/x",
      payload: { repository: "library/x", digest: sha256("x") },
      request_id: null,
      created_at: new Date(),
    });

    expect(validMessage(message)).toBe(false);
  });
});
