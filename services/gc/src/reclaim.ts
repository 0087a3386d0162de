/** What went, as the collector reports it to metrics, progress and tests. */
export interface Reclaimed {
  kind: "manifest" | "blob-link" | "blob" | "upload" | "orphan-blob" | "orphan-upload";
  /** The repository, for manifests and links; "" otherwise. */
  repository: string;
  /** A digest, an upload id or a storage key, by kind. */
  key: string;
  /** Bytes freed in storage; 0 for metadata only. */
  bytes: number;
}

/**
 * Told of each thing reclaimed, after its metadata committed and before its
 * bytes are deleted; throwing stops the run there (tests use this to kill a
 * sweep midway, leaving exactly what a crash at that point would).
 */
export type OnReclaimed = (item: Reclaimed) => void;
