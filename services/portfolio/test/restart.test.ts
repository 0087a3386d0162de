import { pushImage, startRegistry } from "./support/registry";

describe("the embedded default", () => {
  it("keeps manifests, tags and blobs across a restart", async () => {
    const registry = await startRegistry();
    try {
      const image = await pushImage(registry, "keep/me", "v1", { layerCount: 2 });
      await registry.restart();

      const manifest = await registry.request("/v2/keep/me/manifests/v1");
      expect(manifest.status).toBe(200);
      expect(Buffer.from(await manifest.arrayBuffer()).equals(image.payload)).toBe(true);
      for (const layer of image.layers) {
        const blob = await registry.request(`/v2/keep/me/blobs/${layer}`, { method: "HEAD" });
        expect(blob.status).toBe(200);
      }
    } finally {
      await registry.close();
    }
  });
});
