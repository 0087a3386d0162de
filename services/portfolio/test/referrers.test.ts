import { digestOf, MediaType } from "@portfolio/core";
import {
  errorCode,
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

const EMPTY = { mediaType: MediaType.ociEmpty, size: 2 };

async function pushReferrer(
  repository: string,
  subject: { digest: string; size: number },
  artifactType: string,
  annotations: Record<string, string>,
): Promise<{ digest: string; size: number }> {
  const empty = await pushBlob(registry, repository, Buffer.from("{}"));
  const payload = imageManifest({ ...EMPTY, digest: empty }, [], {
    artifactType,
    subject: { mediaType: MediaType.ociManifest, ...subject },
    annotations,
  });
  const response = await putManifest(registry, repository, digestOf(payload), payload);
  expect(response.status).toBe(201);
  expect(response.headers.get("oci-subject")).toBe(subject.digest);
  return { digest: digestOf(payload), size: payload.length };
}

async function listReferrers(path: string) {
  const response = await registry.request(path);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe(MediaType.ociIndex);
  return {
    response,
    index: (await response.json()) as {
      schemaVersion: number;
      mediaType: string;
      manifests: Array<Record<string, unknown>>;
    },
  };
}

describe("the referrers API", () => {
  it("lists the manifests that name a subject, with their type and annotations", async () => {
    const subject = await pushImage(registry, "ref/app", "v1");
    const subjectRef = { digest: subject.digest, size: subject.payload.length };
    const sbom = await pushReferrer("ref/app", subjectRef, "application/vnd.example.sbom", {
      "org.example.kind": "sbom",
    });
    const sig = await pushReferrer("ref/app", subjectRef, "application/vnd.example.signature", {
      "org.example.kind": "sig",
    });

    const { index } = await listReferrers(`/v2/ref/app/referrers/${subject.digest}`);
    expect(index.schemaVersion).toBe(2);
    expect(index.mediaType).toBe(MediaType.ociIndex);
    expect(index.manifests).toHaveLength(2);
    expect(index.manifests).toEqual(
      expect.arrayContaining([
        {
          mediaType: MediaType.ociManifest,
          digest: sbom.digest,
          size: sbom.size,
          artifactType: "application/vnd.example.sbom",
          annotations: { "org.example.kind": "sbom" },
        },
        {
          mediaType: MediaType.ociManifest,
          digest: sig.digest,
          size: sig.size,
          artifactType: "application/vnd.example.signature",
          annotations: { "org.example.kind": "sig" },
        },
      ]),
    );
  });

  it("filters by artifactType and says so in OCI-Filters-Applied", async () => {
    const subject = await pushImage(registry, "ref/filter", "v1");
    const subjectRef = { digest: subject.digest, size: subject.payload.length };
    const sbom = await pushReferrer("ref/filter", subjectRef, "application/vnd.example.sbom", {
      a: "1",
    });
    await pushReferrer("ref/filter", subjectRef, "application/vnd.example.other", { a: "2" });

    const { response, index } = await listReferrers(
      `/v2/ref/filter/referrers/${subject.digest}?artifactType=application/vnd.example.sbom`,
    );
    expect(response.headers.get("oci-filters-applied")).toBe("artifactType");
    expect(index.manifests.map((m) => m.digest)).toEqual([sbom.digest]);
  });

  it("accepts a referrer before its subject exists, and lists it", async () => {
    const subject = { digest: digestOf(Buffer.from("a subject pushed later")), size: 22 };
    const referrer = await pushReferrer("ref/early", subject, "application/vnd.example.early", {
      b: "2",
    });

    const { index } = await listReferrers(`/v2/ref/early/referrers/${subject.digest}`);
    expect(index.manifests.map((m) => m.digest)).toEqual([referrer.digest]);
  });

  it("answers an unknown subject, even in an unknown repository, with an empty index", async () => {
    const unknown = digestOf(Buffer.from("nobody refers to this"));
    const { index } = await listReferrers(`/v2/ref/never/pushed/referrers/${unknown}`);
    expect(index.manifests).toEqual([]);
  });

  it("refuses a malformed digest with 400 DIGEST_INVALID", async () => {
    const response = await registry.request("/v2/ref/app/referrers/sha256:short");
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("DIGEST_INVALID");
  });

  it("drops a referrer from the list once it is deleted", async () => {
    const subject = await pushImage(registry, "ref/delete", "v1");
    const referrer = await pushReferrer(
      "ref/delete",
      { digest: subject.digest, size: subject.payload.length },
      "application/x",
      { c: "3" },
    );
    await registry.request(`/v2/ref/delete/manifests/${referrer.digest}`, { method: "DELETE" });

    const { index } = await listReferrers(`/v2/ref/delete/referrers/${subject.digest}`);
    expect(index.manifests).toEqual([]);
  });
});
