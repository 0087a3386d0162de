import type { BlobStorage, MetadataStore } from "@portfolio/core";
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
}

export const DEFAULT_LIMITS: RegistryLimits = {
  uploadTtlMs: 24 * 60 * 60 * 1000,
  maxManifestBytes: 4 * 1024 * 1024,
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
    this.blobs = new BlobService(backends);
    this.uploads = new UploadService(backends, limits.uploadTtlMs);
    this.manifests = new ManifestService(backends.metadata);
  }
}
