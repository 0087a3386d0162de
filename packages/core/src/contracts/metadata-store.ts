import type { Descriptor } from "../descriptor";

/** A blob's bytes as recorded once for the whole registry. */
export interface BlobRecord {
  digest: string;
  size: number;
  /** The UUID under which blob storage holds the bytes. */
  storageKey: string;
}

export interface UploadSession {
  id: string;
  repository: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface ManifestRecord {
  repository: string;
  digest: string;
  mediaType: string;
  size: number;
  /** The exact bytes that were pushed. */
  payload: Buffer;
}

/** A manifest push: the manifest, what it references, and the tag it moves. */
export interface ManifestPut {
  repository: string;
  digest: string;
  mediaType: string;
  payload: Buffer;
  artifactType?: string;
  subject?: string;
  annotations?: Record<string, string>;
  /** Blob digests (config, layers) the repository must hold. */
  blobs: string[];
  /** Manifest digests (of an index) the repository must hold. */
  children: string[];
  tag?: string;
}

/** A window on a sorted list: entries after `last`, at most `n` of them. */
export interface Page {
  n?: number;
  last?: string;
}

export type ManifestReference = { digest: string } | { tag: string };

/**
 * Registry metadata: repositories, blobs and their links, manifests with their
 * references, tags, referrers and upload sessions. Every method is atomic; a
 * method that changes several rows does it in one transaction.
 *
 * Implementations throw the domain errors of `domain-errors.ts` and
 * BackendUnavailableError when the database cannot answer.
 */
export interface MetadataStore {
  /** The blob if `repository` may serve it, else undefined. */
  findBlob(repository: string, digest: string): Promise<BlobRecord | undefined>;

  /** The blob if any repository holds it (for mounts without `from`). */
  findAnyBlob(digest: string): Promise<BlobRecord | undefined>;

  /**
   * Records freshly stored bytes and links them to `repository`, creating the
   * repository if needed. When the digest is already recorded the existing
   * record wins and is returned: the caller then deletes its duplicate bytes.
   */
  commitBlob(repository: string, blob: BlobRecord): Promise<BlobRecord>;

  /**
   * Links a recorded blob to `repository` (a cross-repository mount). Returns
   * undefined when `from` (or, without `from`, the registry) does not hold it.
   */
  mountBlob(repository: string, digest: string, from?: string): Promise<BlobRecord | undefined>;

  /** Removes the blob from `repository`. Returns false when it was not linked. */
  unlinkBlob(repository: string, digest: string): Promise<boolean>;

  /** Opens an upload session, creating the repository if needed. */
  createUpload(repository: string, expiresAt: Date): Promise<UploadSession>;

  /** The session if it exists in that repository and has not expired. */
  findUpload(repository: string, id: string): Promise<UploadSession | undefined>;

  /** Forgets a session; returns false when it did not exist. */
  deleteUpload(repository: string, id: string): Promise<boolean>;

  /**
   * Stores a manifest with its references and moves `tag` to it, in one
   * transaction. Pushing a manifest that exists only moves the tag. Throws
   * ManifestReferencesUnknownError when blobs or children are missing from the
   * repository (the subject never has to exist).
   */
  putManifest(put: ManifestPut): Promise<void>;

  findManifest(
    repository: string,
    reference: ManifestReference,
  ): Promise<ManifestRecord | undefined>;

  /** Deletes a manifest and every tag on it. Returns false when unknown. */
  deleteManifest(repository: string, digest: string): Promise<boolean>;

  /** Deletes a tag, leaving its manifest. Returns false when unknown. */
  deleteTag(repository: string, tag: string): Promise<boolean>;

  /** Tags in byte order, or undefined when the repository is unknown. */
  listTags(repository: string, page: Page): Promise<string[] | undefined>;

  /** Repository names in byte order. */
  listRepositories(page: Page): Promise<string[]>;

  /**
   * Descriptors of the manifests in `repository` whose subject is `subject`,
   * ordered by digest; only those of `artifactType` when given. Each carries
   * the manifest's media type, size, artifact type and annotations.
   */
  listReferrers(repository: string, subject: string, artifactType?: string): Promise<Descriptor[]>;

  /** Resolves when the database answers; throws BackendUnavailableError if not. */
  ping(): Promise<void>;

  close(): Promise<void>;
}
