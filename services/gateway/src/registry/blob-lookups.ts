import { setTimeout as sleep } from "node:timers/promises";
import type { BlobRecord, MetadataStore } from "@portfolio/core";

export interface BlobLeaseOptions {
  /**
   * How long an answer may be reused, counted from when it was asked for
   * (not from when it came back); 0 asks the metadata service every time.
   */
  leaseMs: number;
  /**
   * Whether other gateways hold leases too. A blob DELETE then answers only
   * once every lease taken before its unlink has run out.
   */
  shared: boolean;
  /** The most answers held; the oldest go first. Default 10,000. */
  maxEntries?: number;
  /** A monotonic clock in milliseconds. */
  now?: () => number;
}

interface Lease {
  blob: BlobRecord;
  expiresAt: number;
}

/** When a change that records a blob was sent; see `BlobLookups.learn`. */
export interface ChangeSent {
  sentAt: number;
  epoch: number;
}

/**
 * The blob lookups of pulls and HEADs (does `repository` hold `digest`, and
 * where are its bytes), reused for a short lease. A pull of a 1 MiB layer
 * otherwise spends about as much CPU on the metadata round trip (gateway,
 * metadata service and Postgres) as on the bytes, and a node pulling an image
 * asks the same questions many times over.
 *
 * Only a found blob is reused: its size never changes, its storage key only
 * when the collector deleted its bytes and it was uploaded again, and the
 * only way for it to go from a repository is an unlink (a DELETE, or the
 * garbage collector). A lookup that found nothing is never reused, so a blob
 * is pullable as soon as its upload answered. Read-after-write for DELETE
 * holds across gateways because a lease starts when its lookup was sent,
 * before the database read it: the gateway that deletes waits one lease
 * length after the unlink committed, and by then every lease that could have
 * seen the link has run out. Clocks only need to run at the same rate.
 *
 * The garbage collector does not wait: for up to one lease after it unlinks a
 * blob that no manifest references, a HEAD may still find it, and a pull
 * then finds its bytes gone (BlobService.open asks again). Every gateway
 * must use the same lease length: a DELETE outwaits its own gateway's.
 */
export class BlobLookups {
  private readonly leases = new Map<string, Lease>();
  private readonly leaseMs: number;
  private readonly shared: boolean;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Raised by every forget: answers to lookups sent before it are not kept. */
  private epoch = 0;

  constructor(
    private readonly metadata: MetadataStore,
    options: BlobLeaseOptions,
  ) {
    this.leaseMs = options.leaseMs;
    this.shared = options.shared;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? performance.now.bind(performance);
  }

  /** The blob if `repository` holds it, from a lease when one is current. */
  async find(repository: string, digest: string): Promise<BlobRecord | undefined> {
    if (this.leaseMs === 0) return this.metadata.findBlob(repository, digest);

    const key = leaseKey(repository, digest);
    const lease = this.leases.get(key);
    const sentAt = this.now();
    if (lease !== undefined && sentAt < lease.expiresAt) return lease.blob;

    const epoch = this.epoch;
    const blob = await this.metadata.findBlob(repository, digest);
    if (blob !== undefined && epoch === this.epoch) this.keep(key, blob, sentAt + this.leaseMs);
    return blob;
  }

  /** To be taken just before sending a change whose answer `learn` is then given. */
  changeSent(): ChangeSent {
    return { sentAt: this.now(), epoch: this.epoch };
  }

  /**
   * Keeps, as a lookup sent at `sent` would, the blob a change has just
   * linked to `repository` (an upload's commit, a mount): the pull that
   * usually follows a push then needs no lookup. Not kept when a forget came
   * in between (a DELETE of the same blob may have unlinked it since), and
   * the gateway's older lease is dropped either way (it may name bytes since
   * collected, see BlobService.open). Unlike a forget it leaves other
   * lookups under way alone: it adds only what the database now says.
   */
  learn(repository: string, blob: BlobRecord, sent: ChangeSent): void {
    const key = leaseKey(repository, blob.digest);
    this.leases.delete(key);
    if (this.leaseMs > 0 && sent.epoch === this.epoch) {
      this.keep(key, blob, sent.sentAt + this.leaseMs);
    }
  }

  /** Drops this gateway's lease, when the blob left the repository or its bytes were lost. */
  forget(repository: string, digest: string): void {
    this.epoch += 1;
    this.leases.delete(leaseKey(repository, digest));
  }

  /**
   * Resolves once no gateway can answer from a lease that saw a link this
   * gateway has just removed (at once when no other gateway holds leases).
   */
  async outwaitLeases(): Promise<void> {
    if (this.shared && this.leaseMs > 0) await sleep(this.leaseMs);
  }

  private keep(key: string, blob: BlobRecord, expiresAt: number): void {
    // Every lease lasts as long, so the first in the map is the first to run out.
    this.leases.delete(key);
    this.leases.set(key, { blob, expiresAt });
    if (this.leases.size > this.maxEntries) {
      const oldest = this.leases.keys().next().value;
      if (oldest !== undefined) this.leases.delete(oldest);
    }
  }
}

/** Repository names cannot contain "@", so the key is unambiguous. */
function leaseKey(repository: string, digest: string): string {
  return `${repository}@${digest}`;
}
