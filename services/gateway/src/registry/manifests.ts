import {
  type Descriptor,
  DigestMismatchError,
  digestOf,
  type ManifestRecord,
  type ManifestReference,
  ManifestUnknownError,
  type MetadataStore,
  type Page,
  type ParsedDigest,
  parseManifest,
} from "@portfolio/core";

export interface PushedManifest {
  digest: string;
  subject?: string;
}

/** Manifests, tags and referrers of a repository. */
export class ManifestService {
  constructor(private readonly metadata: MetadataStore) {}

  /**
   * Stores a manifest under a digest (verified against the bytes) or a tag.
   * The bytes are kept exactly as pushed and digested with the algorithm the
   * reference names (sha256 for a tag).
   */
  async put(
    repository: string,
    reference: { digest: ParsedDigest } | { tag: string },
    payload: Buffer,
    contentType: string | undefined,
  ): Promise<PushedManifest> {
    const algorithm = "digest" in reference ? reference.digest.algorithm : "sha256";
    const digest = digestOf(payload, algorithm);
    if ("digest" in reference && reference.digest.digest !== digest) {
      throw new DigestMismatchError(reference.digest.digest, digest);
    }

    const manifest = parseManifest(payload, contentType);
    await this.metadata.putManifest({
      repository,
      digest,
      payload,
      mediaType: manifest.mediaType,
      artifactType: manifest.artifactType,
      subject: manifest.subject?.digest,
      annotations: manifest.annotations,
      blobs: unique(manifest.blobs),
      children: unique(manifest.children),
      tag: "tag" in reference ? reference.tag : undefined,
    });
    return { digest, subject: manifest.subject?.digest };
  }

  async get(repository: string, reference: ManifestReference): Promise<ManifestRecord> {
    const manifest = await this.metadata.findManifest(repository, reference);
    if (!manifest)
      throw new ManifestUnknownError("digest" in reference ? reference.digest : reference.tag);
    return manifest;
  }

  /** Deletes a manifest by digest (with its tags) or only the tag. */
  async delete(repository: string, reference: ManifestReference): Promise<void> {
    const deleted =
      "digest" in reference
        ? await this.metadata.deleteManifest(repository, reference.digest)
        : await this.metadata.deleteTag(repository, reference.tag);
    if (!deleted)
      throw new ManifestUnknownError("digest" in reference ? reference.digest : reference.tag);
  }

  /** Tags in byte order, or undefined when the repository is unknown. */
  tags(repository: string, page: Page): Promise<string[] | undefined> {
    return this.metadata.listTags(repository, page);
  }

  referrers(repository: string, subject: string, artifactType?: string): Promise<Descriptor[]> {
    return this.metadata.listReferrers(repository, subject, artifactType);
  }

  repositories(page: Page): Promise<string[]> {
    return this.metadata.listRepositories(page);
  }
}

function unique(descriptors: Descriptor[]): string[] {
  return [...new Set(descriptors.map((descriptor) => descriptor.digest))];
}
