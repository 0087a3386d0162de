import { ManifestInvalidError, MediaType, parseManifest } from "@portfolio/core";

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const config = {
  mediaType: "application/vnd.oci.image.config.v1+json",
  digest: digest("c"),
  size: 2,
};
const layer = {
  mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
  digest: digest("1"),
  size: 9,
};
const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

describe("parsing manifests", () => {
  it("finds the config and layers an image manifest references", () => {
    const parsed = parseManifest(
      bytes({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer] }),
    );

    expect(parsed.mediaType).toBe(MediaType.ociManifest);
    expect(parsed.blobs.map((d) => d.digest)).toEqual([config.digest, layer.digest]);
    expect(parsed.children).toEqual([]);
    expect(parsed.artifactType).toBe(config.mediaType);
  });

  it("reports artifactType, subject and annotations of an artifact", () => {
    const subject = { mediaType: MediaType.ociManifest, digest: digest("5"), size: 100 };
    const parsed = parseManifest(
      bytes({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        artifactType: "application/vnd.example.sbom",
        config: { mediaType: MediaType.ociEmpty, digest: digest("e"), size: 2 },
        layers: [],
        subject,
        annotations: { "org.example": "yes" },
      }),
    );

    expect(parsed.artifactType).toBe("application/vnd.example.sbom");
    expect(parsed.subject?.digest).toBe(subject.digest);
    expect(parsed.annotations).toEqual({ "org.example": "yes" });
  });

  it("lists the children of an index and of a Docker manifest list", () => {
    const child = { mediaType: MediaType.ociManifest, digest: digest("a"), size: 10 };
    for (const mediaType of [MediaType.ociIndex, MediaType.dockerManifestList]) {
      const parsed = parseManifest(bytes({ schemaVersion: 2, mediaType, manifests: [child] }));
      expect(parsed.children.map((d) => d.digest)).toEqual([child.digest]);
      expect(parsed.blobs).toEqual([]);
    }
  });

  it("takes the media type from Content-Type when the body has none", () => {
    const parsed = parseManifest(
      bytes({ schemaVersion: 2, config, layers: [] }),
      MediaType.dockerManifest,
    );
    expect(parsed.mediaType).toBe(MediaType.dockerManifest);
  });

  it("does not require non-distributable layers to be present", () => {
    const foreign = {
      mediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
      digest: digest("f"),
      size: 5,
      urls: ["https://example.invalid/layer"],
    };
    const parsed = parseManifest(bytes({ schemaVersion: 2, config, layers: [foreign, layer] }));
    expect(parsed.blobs.map((d) => d.digest)).toEqual([config.digest, layer.digest]);
  });

  it.each([
    ["not JSON", Buffer.from("{nope"), undefined, /not valid JSON/],
    ["an array", bytes([]), undefined, /JSON object/],
    [
      "schema 1",
      bytes({ schemaVersion: 1, name: "x", tag: "y", fsLayers: [] }),
      undefined,
      /schema 1/,
    ],
    [
      "a media type that contradicts Content-Type",
      bytes({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [] }),
      MediaType.dockerManifest,
      /does not match Content-Type/,
    ],
    [
      "no layers",
      bytes({ schemaVersion: 2, mediaType: MediaType.ociManifest, config }),
      undefined,
      /layers/,
    ],
    [
      "a bad digest",
      bytes({ schemaVersion: 2, config: { ...config, digest: "sha256:nope" }, layers: [] }),
      undefined,
      /config.digest/,
    ],
    [
      "a negative size",
      bytes({ schemaVersion: 2, config, layers: [{ ...layer, size: -1 }] }),
      undefined,
      /layers\[0\].size/,
    ],
    [
      "an unknown media type",
      bytes({ schemaVersion: 2, mediaType: "text/plain" }),
      undefined,
      /unsupported/,
    ],
  ])("refuses %s", (_why, payload, contentType, message) => {
    expect(() => parseManifest(payload, contentType)).toThrow(ManifestInvalidError);
    expect(() => parseManifest(payload, contentType)).toThrow(message);
  });
});
