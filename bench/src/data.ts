import { createCipheriv, createHash } from "node:crypto";

const CHUNK = 1024 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

/**
 * Deterministic pseudo-random bytes: the AES-128-CTR keystream for a key
 * derived from `seed`. Random-looking so that no layer can compress or
 * dedupe it, cheap to make (AES-NI), and reproducible, so a 1 GiB blob can
 * be hashed in one pass and streamed again in another without being held.
 */
export async function* pseudoRandom(seed: string, length: number): AsyncGenerator<Buffer> {
  const key = createHash("sha256").update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  for (let left = length; left > 0; left -= CHUNK) {
    yield cipher.update(left >= CHUNK ? ZEROS : ZEROS.subarray(0, left));
  }
}

/** The same bytes, whole, for blobs small enough to hold. */
export async function pseudoRandomBuffer(seed: string, length: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of pseudoRandom(seed, length)) parts.push(part);
  return Buffer.concat(parts, length);
}

export function sha256Of(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** The digest of pseudoRandom(seed, length), computed by streaming it once. */
export async function streamedDigest(seed: string, length: number): Promise<string> {
  const hash = createHash("sha256");
  for await (const part of pseudoRandom(seed, length)) hash.update(part);
  return `sha256:${hash.digest("hex")}`;
}
