import type { BlobRecord, MetadataStore } from "@portfolio/core";
import { BlobLookups } from "../src/registry/blob-lookups";

const DIGEST = `sha256:${"a".repeat(64)}`;
const BLOB: BlobRecord = { digest: DIGEST, size: 3, storageKey: "key-1" };

/** A metadata store that answers findBlob from `links` and counts the questions. */
function metadataWith(links: Map<string, BlobRecord>) {
  const asked: string[] = [];
  const metadata = {
    async findBlob(repository: string, digest: string) {
      asked.push(`${repository}@${digest}`);
      return links.get(`${repository}@${digest}`);
    },
  } as Partial<MetadataStore> as MetadataStore;
  return { metadata, asked };
}

function clock() {
  let ms = 1_000;
  return { now: () => ms, advance: (by: number) => (ms += by) };
}

describe("BlobLookups", () => {
  it("reuses a found blob for the lease, counted from when it was asked for", async () => {
    const { metadata, asked } = metadataWith(new Map([[`lib/a@${DIGEST}`, BLOB]]));
    const time = clock();
    const lookups = new BlobLookups(metadata, { leaseMs: 100, shared: true, now: time.now });

    expect(await lookups.find("lib/a", DIGEST)).toEqual(BLOB);
    time.advance(99);
    expect(await lookups.find("lib/a", DIGEST)).toEqual(BLOB);
    expect(asked).toHaveLength(1);

    time.advance(1);
    expect(await lookups.find("lib/a", DIGEST)).toEqual(BLOB);
    expect(asked).toHaveLength(2);
  });

  it("starts the lease when it asks, so a slow answer buys no extra time", async () => {
    const time = clock();
    const metadata = {
      async findBlob() {
        time.advance(80);
        return BLOB;
      },
    } as Partial<MetadataStore> as MetadataStore;
    const ask = jest.spyOn(metadata, "findBlob");
    const lookups = new BlobLookups(metadata, { leaseMs: 100, shared: true, now: time.now });

    await lookups.find("lib/a", DIGEST);
    time.advance(20);
    await lookups.find("lib/a", DIGEST);
    expect(ask).toHaveBeenCalledTimes(2);
  });

  it("never reuses a lookup that found nothing, nor one for another repository", async () => {
    const links = new Map<string, BlobRecord>();
    const { metadata, asked } = metadataWith(links);
    const lookups = new BlobLookups(metadata, { leaseMs: 60_000, shared: true });

    expect(await lookups.find("lib/a", DIGEST)).toBeUndefined();
    links.set(`lib/a@${DIGEST}`, BLOB);
    expect(await lookups.find("lib/a", DIGEST)).toEqual(BLOB);
    expect(await lookups.find("lib/b", DIGEST)).toBeUndefined();
    expect(asked).toEqual([`lib/a@${DIGEST}`, `lib/a@${DIGEST}`, `lib/b@${DIGEST}`]);
  });

  it("forgets a blob at once, and keeps no answer to a lookup sent before the forget", async () => {
    const links = new Map([[`lib/a@${DIGEST}`, BLOB]]);
    let release: () => void = () => {};
    let slow = false;
    const metadata = {
      async findBlob(repository: string, digest: string) {
        const found = links.get(`${repository}@${digest}`);
        if (slow) await new Promise<void>((resolve) => (release = resolve));
        return found;
      },
    } as Partial<MetadataStore> as MetadataStore;
    const ask = jest.spyOn(metadata, "findBlob");
    const lookups = new BlobLookups(metadata, { leaseMs: 60_000, shared: true });

    await lookups.find("lib/a", DIGEST);
    lookups.forget("lib/a", DIGEST);
    slow = true;
    const inFlight = lookups.find("lib/a", DIGEST);
    await new Promise(setImmediate);
    // The link goes while that lookup is on its way with the old answer.
    links.delete(`lib/a@${DIGEST}`);
    lookups.forget("lib/a", DIGEST);
    release();
    expect(await inFlight).toEqual(BLOB);

    slow = false;
    expect(await lookups.find("lib/a", DIGEST)).toBeUndefined();
    expect(ask).toHaveBeenCalledTimes(3);
  });

  it("holds at most maxEntries answers, dropping the oldest", async () => {
    const links = new Map(["a", "b", "c"].map((name) => [`lib/${name}@${DIGEST}`, BLOB]));
    const { metadata, asked } = metadataWith(links);
    const lookups = new BlobLookups(metadata, { leaseMs: 60_000, shared: true, maxEntries: 2 });

    for (const name of ["a", "b", "c", "c", "b", "a"]) await lookups.find(`lib/${name}`, DIGEST);
    expect(asked.map((key) => key.split("@")[0])).toEqual(["lib/a", "lib/b", "lib/c", "lib/a"]);
  });

  it("learns a blob from the change that linked it, leased from the change's sending", async () => {
    const { metadata, asked } = metadataWith(new Map([[`lib/a@${DIGEST}`, BLOB]]));
    const time = clock();
    const lookups = new BlobLookups(metadata, { leaseMs: 100, shared: true, now: time.now });

    const sent = lookups.changeSent();
    time.advance(30); // the commit's round trip
    lookups.learn("lib/a", BLOB, sent);
    time.advance(69);
    expect(await lookups.find("lib/a", DIGEST)).toEqual(BLOB);
    expect(asked).toHaveLength(0);

    time.advance(1);
    await lookups.find("lib/a", DIGEST);
    expect(asked).toHaveLength(1);
  });

  it("learns nothing when a forget came while the change was on its way", async () => {
    const { metadata, asked } = metadataWith(new Map([[`lib/a@${DIGEST}`, BLOB]]));
    const lookups = new BlobLookups(metadata, { leaseMs: 60_000, shared: true });

    const sent = lookups.changeSent();
    lookups.forget("lib/a", DIGEST); // a DELETE of the same blob, say
    lookups.learn("lib/a", BLOB, sent);
    await lookups.find("lib/a", DIGEST);
    expect(asked).toHaveLength(1);
  });

  it("drops an older lease on learning, and keeps lookups under way", async () => {
    const moved = { ...BLOB, storageKey: "key-2" };
    const links = new Map([[`lib/b@${DIGEST}`, BLOB]]);
    const { metadata, asked } = metadataWith(links);
    const lookups = new BlobLookups(metadata, { leaseMs: 60_000, shared: true });
    expect(await lookups.find("lib/a", DIGEST)).toBeUndefined();

    // A lookup of another repository is under way while lib/a learns its blob.
    const underWay = lookups.find("lib/b", DIGEST);
    lookups.learn("lib/a", moved, lookups.changeSent());
    expect(await underWay).toEqual(BLOB);

    expect(await lookups.find("lib/a", DIGEST)).toEqual(moved);
    expect(await lookups.find("lib/b", DIGEST)).toEqual(BLOB);
    expect(asked).toEqual([`lib/a@${DIGEST}`, `lib/b@${DIGEST}`]);
  });

  it("asks every time with a lease of 0", async () => {
    const { metadata, asked } = metadataWith(new Map([[`lib/a@${DIGEST}`, BLOB]]));
    const lookups = new BlobLookups(metadata, { leaseMs: 0, shared: true });

    await lookups.find("lib/a", DIGEST);
    await lookups.find("lib/a", DIGEST);
    expect(asked).toHaveLength(2);
  });

  it("makes a delete outwait one lease when other gateways hold any, and only then", async () => {
    const { metadata } = metadataWith(new Map());
    const shared = new BlobLookups(metadata, { leaseMs: 150, shared: true });
    const sole = new BlobLookups(metadata, { leaseMs: 150, shared: false });

    const started = performance.now();
    await shared.outwaitLeases();
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);

    // Without other gateways there is nothing to wait for: no timer at all, so the answer wins a
    // race with the next turn of the event loop. (An elapsed-time bound fails after a GC pause.)
    const next = new Promise((resolve) => setImmediate(resolve, "a turn passed"));
    expect(await Promise.race([sole.outwaitLeases().then(() => "at once"), next])).toBe("at once");
  });
});
