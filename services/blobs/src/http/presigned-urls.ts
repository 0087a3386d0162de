import type { PresignOptions } from "@portfolio/core";

/** How many URLs are remembered at most; the oldest go first. */
const CAPACITY = 10_000;

/**
 * Presigned read URLs kept for reuse. A stored blob never changes under its
 * key, so a URL stays good for its whole lifetime; reusing one for the first
 * half of it spares a pull the round trip to the blob service, while every
 * client still gets a URL valid for at least half the configured time. A
 * blob deleted meanwhile is no risk: the gateway asks the metadata service
 * for it before it asks for a URL.
 */
export class PresignedUrls {
  private readonly entries = new Map<string, { url: string; reuseUntil: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  get(storageKey: string, options: PresignOptions): string | undefined {
    const key = keyOf(storageKey, options);
    const entry = this.entries.get(key);
    if (entry && entry.reuseUntil > this.now()) return entry.url;
    if (entry) this.entries.delete(key);
    return undefined;
  }

  set(storageKey: string, options: PresignOptions, url: string): void {
    if (this.entries.size >= CAPACITY) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    const reuseUntil = this.now() + (options.expiresInSeconds * 1000) / 2;
    this.entries.set(keyOf(storageKey, options), { url, reuseUntil });
  }

  /** Drops a URL that storage refused (its credentials were rotated, say). */
  forget(storageKey: string, options: PresignOptions): void {
    this.entries.delete(keyOf(storageKey, options));
  }
}

function keyOf(storageKey: string, { expiresInSeconds, audience = "clients" }: PresignOptions) {
  return `${storageKey} ${expiresInSeconds} ${audience}`;
}
