import type { BlobStorage, MetadataStore } from "@portfolio/core";
import { BlobLookups } from "./blob-lookups";
import { BlobService } from "./blobs";
import { ManifestService } from "./manifests";
import { UploadService } from "./uploads";

/** The backends the gateway works through: contracts only, wired in-process or remote. */
export interface RegistryBackends {
  metadata: MetadataStore;
  storage: BlobStorage;
}

export interface RegistryLimits {
  /** How long an idle upload session stays valid. */
  uploadTtlMs: number;
  /** The largest manifest accepted; larger ones are answered 413. */
  maxManifestBytes: number;
  /**
   * When set, a blob GET is answered with a redirect to a URL of the storage's
   * own (see BlobStorage.presignRead) valid for this many seconds, so pull
   * traffic bypasses the gateway; storage that cannot presign is read as usual.
   */
  blobRedirectSeconds?: number;
  /**
   * How long a blob lookup is reused (see BlobLookups); 0 asks the metadata
   * service on every pull.
   */
  blobLookupLeaseMs: number;
  /**
   * Whether other gateways share the metadata: then a blob DELETE answers
   * only once their leases have run out. Only the embedded registry, the
   * one gateway of its database, turns it off.
   */
  blobLookupLeasesShared: boolean;
}

export const DEFAULT_LIMITS: RegistryLimits = {
  uploadTtlMs: 24 * 60 * 60 * 1000,
  maxManifestBytes: 4 * 1024 * 1024,
  blobLookupLeaseMs: 2_000,
  blobLookupLeasesShared: true,
};

/** The registry's operations, each coordinating metadata and blob storage. */
export class Registry {
  readonly blobs: BlobService;
  readonly uploads: UploadService;
  readonly manifests: ManifestService;

  constructor(
    readonly backends: RegistryBackends,
    readonly limits: RegistryLimits = DEFAULT_LIMITS,
  ) {
    const lookups = new BlobLookups(backends.metadata, {
      leaseMs: limits.blobLookupLeaseMs,
      shared: limits.blobLookupLeasesShared,
    });
    this.blobs = new BlobService(backends, lookups, limits.blobRedirectSeconds);
    this.uploads = new UploadService(backends, limits.uploadTtlMs, lookups);
    this.manifests = new ManifestService(backends.metadata);
  }
}
