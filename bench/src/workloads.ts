import { pseudoRandom, pseudoRandomBuffer, sha256Of } from "./data";
import type { OciClient } from "./oci";

export const MiB = 1024 * 1024;

export interface SmallSet {
  repository: string;
  blobs: Array<{ digest: string; bytes: Buffer }>;
}

export interface LargeBlob {
  repository: string;
  seed: string;
  digest: string;
  length: number;
}

/** `count` distinct 1 MiB blobs, made up front so that making them is not timed. */
export async function makeSmallSet(repository: string, seed: string, count: number) {
  const blobs = [];
  for (let i = 0; i < count; i++) {
    const bytes = await pseudoRandomBuffer(`${seed}/${i}`, MiB);
    blobs.push({ digest: sha256Of(bytes), bytes });
  }
  return { repository, blobs };
}

/** Runs `task` over `items` with at most `concurrency` at once. */
async function eachLimited<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** Each workload answers the bytes it moved; the caller times it. */
export async function pushSmall(client: OciClient, set: SmallSet, concurrency: number) {
  await eachLimited(set.blobs, concurrency, (blob) =>
    client.pushWhole(set.repository, blob.digest, blob.bytes),
  );
  return set.blobs.length * MiB;
}

export async function pullSmall(client: OciClient, set: SmallSet, concurrency: number) {
  await eachLimited(set.blobs, concurrency, async (blob) => {
    const got = await client.pull(set.repository, blob.digest);
    if (got !== blob.bytes.length) throw new Error(`pulled ${got} bytes of ${blob.digest}`);
  });
  return set.blobs.length * MiB;
}

export async function pushLarge(client: OciClient, blob: LargeBlob) {
  await client.pushStreamed(blob.repository, blob.digest, pseudoRandom(blob.seed, blob.length));
  return blob.length;
}

export async function pullLarge(client: OciClient, blob: LargeBlob) {
  const got = await client.pull(blob.repository, blob.digest);
  if (got !== blob.length) throw new Error(`pulled ${got} bytes of ${blob.length}`);
  return blob.length;
}
