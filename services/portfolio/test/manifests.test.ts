import { digestOf, MediaType } from "@portfolio/core";
import {
  errorCode,
  imageManifest,
  pushBlob,
  pushImage,
  putManifest,
  randomBytes,
  startRegistry,
  type TestRegistry,
} from "./support/registry";

let registry: TestRegistry;
beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(() => registry.close());

describe("pushing and pulling manifests", () => {
  it("stores the exact bytes under the tag and the digest", async () => {
    const image = await pushImage(registry, "man/image", "v1", { layerCount: 2 });

    for (const reference of ["v1", image.digest]) {
      const get = await registry.request(`/v2/man/image/manifests/${reference}`);
      expect(get.status).toBe(200);
      expect(get.headers.get("content-type")).toBe(MediaType.ociManifest);
      expect(get.headers.get("docker-content-digest")).toBe(image.digest);
      expect(Buffer.from(await get.arrayBuffer()).equals(image.payload)).toBe(true);

      const head = await registry.request(`/v2/man/image/manifests/${reference}`, {
        method: "HEAD",
      });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-length")).toBe(String(image.payload.length));
    }
  });

  it("answers a push with 201, its location and digest", async () => {
    const config = Buffer.from("{}");
    const digest = await pushBlob(registry, "man/created", config);
    const payload = imageManifest({ digest, size: 2 }, []);

    const response = await putManifest(registry, "man/created", "latest", payload);
    expect(response.status).toBe(201);
    expect(response.headers.get("location")).toBe(`/v2/man/created/manifests/${digestOf(payload)}`);
    expect(response.headers.get("docker-content-digest")).toBe(digestOf(payload));
  });

  it("moves a tag to the manifest pushed last", async () => {
    const first = await pushImage(registry, "man/move", "stable");
    const second = await pushImage(registry, "man/move", "stable");
    expect(first.digest).not.toBe(second.digest);

    const get = await registry.request("/v2/man/move/manifests/stable", { method: "HEAD" });
    expect(get.headers.get("docker-content-digest")).toBe(second.digest);
  });

  it("accepts Docker schema 2 manifests and lists, served with their type", async () => {
    const config = Buffer.from('{"os":"linux"}');
    const configDigest = await pushBlob(registry, "man/docker", config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.dockerManifest,
        config: {
          mediaType: "application/vnd.docker.container.image.v1+json",
          digest: configDigest,
          size: config.length,
        },
        layers: [],
      }),
    );
    expect(
      (await putManifest(registry, "man/docker", "v2", manifest, MediaType.dockerManifest)).status,
    ).toBe(201);

    const list = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.dockerManifestList,
        manifests: [
          {
            mediaType: MediaType.dockerManifest,
            digest: digestOf(manifest),
            size: manifest.length,
            platform: { architecture: "amd64", os: "linux" },
          },
        ],
      }),
    );
    expect(
      (await putManifest(registry, "man/docker", "list", list, MediaType.dockerManifestList))
        .status,
    ).toBe(201);

    const get = await registry.request("/v2/man/docker/manifests/list");
    expect(get.headers.get("content-type")).toBe(MediaType.dockerManifestList);
  });

  it("accepts a manifest of almost 4 MiB and refuses a larger one with 413", async () => {
    const config = Buffer.from("{}");
    const digest = await pushBlob(registry, "man/large", config);
    const big = (size: number) =>
      imageManifest({ digest, size: 2 }, [], { annotations: { filler: "x".repeat(size) } });

    expect((await putManifest(registry, "man/large", "big", big(3_900_000))).status).toBe(201);

    const tooBig = await putManifest(registry, "man/large", "huge", big(4 * 1024 * 1024));
    expect(tooBig.status).toBe(413);
    expect((await registry.request("/v2/man/large/manifests/huge")).status).toBe(404);
  });

  it("serves the stored type unless Accept names only other manifest types", async () => {
    const image = await pushImage(registry, "man/accept", "v1");
    const wildcard = await registry.request("/v2/man/accept/manifests/v1", {
      headers: { accept: "*/*" },
    });
    expect(wildcard.status).toBe(200);

    const dockerOnly = await registry.request("/v2/man/accept/manifests/v1", {
      headers: { accept: MediaType.dockerManifest },
    });
    expect(dockerOnly.status).toBe(404);
    expect(await errorCode(dockerOnly)).toBe("MANIFEST_UNKNOWN");
    expect(image.digest).toBeDefined();
  });
});

describe("refusing bad manifests without storing anything", () => {
  it("refuses a manifest that names a blob the repository does not have", async () => {
    const config = await pushBlob(registry, "bad/blobs", Buffer.from("{}"));
    const missing = digestOf(randomBytes(10));
    const payload = imageManifest({ digest: config, size: 2 }, [{ digest: missing, size: 10 }]);

    const response = await putManifest(registry, "bad/blobs", "v1", payload);
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("MANIFEST_BLOB_UNKNOWN");
    expect((await registry.request(`/v2/bad/blobs/manifests/${digestOf(payload)}`)).status).toBe(
      404,
    );
    expect((await registry.request("/v2/bad/blobs/manifests/v1")).status).toBe(404);
  });

  it("refuses an index that names a manifest the repository does not have", async () => {
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [
          { mediaType: MediaType.ociManifest, digest: digestOf(randomBytes(5)), size: 5 },
        ],
      }),
    );
    const response = await putManifest(registry, "bad/index", "v1", index, MediaType.ociIndex);
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("MANIFEST_BLOB_UNKNOWN");
  });

  it.each([
    ["invalid JSON", Buffer.from("{not json"), MediaType.ociManifest, "MANIFEST_INVALID"],
    [
      "schema 1",
      Buffer.from('{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}'),
      MediaType.dockerSchema1Signed,
      "MANIFEST_INVALID",
    ],
  ])("refuses %s", async (_why, payload, mediaType, code) => {
    const response = await putManifest(registry, "bad/json", "v1", payload, mediaType);
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe(code);
  });

  it("refuses a push by digest whose bytes have another digest", async () => {
    const config = await pushBlob(registry, "bad/digest", Buffer.from("{}"));
    const payload = imageManifest({ digest: config, size: 2 }, []);
    const claimed = digestOf(Buffer.concat([payload, Buffer.from("  ")]));

    const response = await putManifest(registry, "bad/digest", claimed, payload);
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("DIGEST_INVALID");
  });

  it("refuses an invalid tag on push, and answers it 404 on pull", async () => {
    const config = await pushBlob(registry, "bad/tag", Buffer.from("{}"));
    const payload = imageManifest({ digest: config, size: 2 }, []);

    const push = await putManifest(registry, "bad/tag", ".INVALID_MANIFEST_NAME", payload);
    expect(push.status).toBe(400);
    expect(await errorCode(push)).toBe("MANIFEST_INVALID");

    const pull = await registry.request("/v2/bad/tag/manifests/.INVALID_MANIFEST_NAME");
    expect(pull.status).toBe(404);
    expect(await errorCode(pull)).toBe("MANIFEST_UNKNOWN");
  });
});

describe("deleting manifests and tags", () => {
  it("deletes a tag and keeps its manifest", async () => {
    const image = await pushImage(registry, "del/tag", "old");
    const response = await registry.request("/v2/del/tag/manifests/old", { method: "DELETE" });
    expect(response.status).toBe(202);

    expect((await registry.request("/v2/del/tag/manifests/old")).status).toBe(404);
    expect((await registry.request(`/v2/del/tag/manifests/${image.digest}`)).status).toBe(200);
  });

  it("deletes a manifest with every tag on it", async () => {
    const image = await pushImage(registry, "del/manifest", "a");
    await putManifest(registry, "del/manifest", "b", image.payload);

    const response = await registry.request(`/v2/del/manifest/manifests/${image.digest}`, {
      method: "DELETE",
    });
    expect(response.status).toBe(202);
    for (const reference of ["a", "b", image.digest]) {
      expect(
        (await registry.request(`/v2/del/manifest/manifests/${reference}`, { method: "HEAD" }))
          .status,
      ).toBe(404);
    }

    const again = await registry.request(`/v2/del/manifest/manifests/${image.digest}`, {
      method: "DELETE",
    });
    expect(again.status).toBe(404);
    expect(await errorCode(again)).toBe("MANIFEST_UNKNOWN");
  });
});
