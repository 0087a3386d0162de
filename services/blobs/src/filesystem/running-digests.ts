import type { Hash } from "node:crypto";
import { createDigester } from "@portfolio/core";

interface RunningDigest {
  hash: Hash;
  /** The number of staged bytes the hash has seen. */
  size: number;
}

/**
 * The sha256 of each upload's staged bytes, kept up to date while they are
 * appended so that committing a sha256 digest need not read them back. A
 * digest is trusted only while it has seen exactly the bytes on disk; after a
 * failed append or a restart it is gone, and the commit reads the file instead.
 */
export class RunningDigests {
  private readonly digests = new Map<string, RunningDigest>();

  start(uploadId: string): void {
    this.digests.set(uploadId, { hash: createDigester("sha256"), size: 0 });
  }

  /** The hash to feed an append that starts at `size`, if the running digest is still whole. */
  continueAt(uploadId: string, size: number): Hash | undefined {
    const digest = this.digests.get(uploadId);
    if (digest?.size === size) return digest.hash;

    this.digests.delete(uploadId);
    return undefined;
  }

  /** Records that the hash has now seen `size` staged bytes. */
  advance(uploadId: string, size: number): void {
    const digest = this.digests.get(uploadId);
    if (digest !== undefined) digest.size = size;
  }

  /**
   * The sha256 digest of the first `size` staged bytes, if known. The hash is
   * copied before finishing, so the running one survives a failed commit.
   */
  sha256At(uploadId: string, size: number): string | undefined {
    const digest = this.digests.get(uploadId);
    if (digest?.size !== size) return undefined;
    return `sha256:${digest.hash.copy().digest("hex")}`;
  }

  forget(uploadId: string): void {
    this.digests.delete(uploadId);
  }
}
