import { digestOf, MediaType } from "@portfolio/core";
import {
  imageManifest,
  pushBlob,
  pushImage,
  putManifest,
  startRegistry,
  type TestRegistry,
} from "./support/registry";

let registry: TestRegistry;
beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(() => registry.close());

/** An artifact as a pre-1.1 client pushes it: no `subject` field. */
async function pushArtifact(repository: string, artifactType: string) {
  const empty = await pushBlob(registry, repository, Buffer.from("{}"));
  const payload = imageManifest({ mediaType: MediaType.ociEmpty, digest: empty, size: 2 }, [], {
    artifactType,
  });
  const response = await putManifest(registry, repository, digestOf(payload), payload);
  expect(response.status).toBe(201);
  return { mediaType: MediaType.ociManifest, digest: digestOf(payload), size: payload.length };
}

async function referrers(repository: string, subject: string) {
  const response = await registry.request(`/v2/${repository}/referrers/${subject}`);
  expect(response.status).toBe(200);
  const index = (await response.json()) as { manifests: Array<{ digest: string }> };
  return index.manifests.map((descriptor) => descriptor.digest);
}

/** Polls until the referrers list has `count` entries (the relay drains every 200 ms). */
async function eventually(repository: string, subject: string, count: number) {
  const deadline = Date.now() + 10_000;
  let listed = await referrers(repository, subject);
  while (listed.length !== count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    listed = await referrers(repository, subject);
  }
  return listed;
}

describe("referrers recorded with the referrers tag schema", () => {
  it("are listed by the referrers API once the embedded consumers have run", async () => {
    const repository = "tagschema/app";
    const subject = await pushImage(registry, repository, "v1");
    const sbom = await pushArtifact(repository, "application/vnd.example.sbom");
    const sig = await pushArtifact(repository, "application/vnd.example.signature");
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [sbom, sig] }),
    );
    const tag = subject.digest.replace(":", "-");

    const pushed = await putManifest(registry, repository, tag, index, MediaType.ociIndex);
    expect(pushed.status).toBe(201);

    const expected = [sbom.digest, sig.digest].sort();
    expect(await eventually(repository, subject.digest, 2)).toEqual(expected);
    const filtered = await registry.request(
      `/v2/${repository}/referrers/${subject.digest}?artifactType=application/vnd.example.sbom`,
    );
    expect(((await filtered.json()) as { manifests: unknown[] }).manifests).toHaveLength(1);

    // The old client drops the signature: it rewrites the index under the same tag.
    const rewritten = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [sbom] }),
    );
    await putManifest(registry, repository, tag, rewritten, MediaType.ociIndex);
    expect(await eventually(repository, subject.digest, 1)).toEqual([sbom.digest]);
  });
});
