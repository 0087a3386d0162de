import "./native-pglite";
import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { ManifestPut } from "@portfolio/core";
import { openEmbeddedDatabase, PrismaMetadataStore } from "../src";

export function sha256(content: string | Buffer): string {
  return `sha256:${createHash("sha256").update(content).digest("hex")}`;
}

/** A fresh folder under the system temp dir; removed by `removeTempDir`. */
export function makeTempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "portfolio-metadata-"));
}

export function removeTempDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

export async function openTestStore(dataDir: string): Promise<PrismaMetadataStore> {
  return new PrismaMetadataStore(await openEmbeddedDatabase(dataDir));
}

/** Records a blob with made-up content in `repository` and returns its digest. */
export async function pushBlob(
  store: PrismaMetadataStore,
  repository: string,
  content: string,
): Promise<string> {
  const digest = sha256(content);
  await store.commitBlob(repository, { digest, size: content.length, storageKey: randomUUID() });
  return digest;
}

/** A manifest push whose payload (and so digest) is derived from `body`. */
export function manifestPut(repository: string, body: unknown, extra: Partial<ManifestPut> = {}) {
  const payload = Buffer.from(JSON.stringify(body));
  const put: ManifestPut = {
    repository,
    digest: sha256(payload),
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    payload,
    blobs: [],
    children: [],
    ...extra,
  };
  return put;
}
