import { MediaType } from "@portfolio/core";
import { accepts } from "../src/http/accept";

describe("Accept negotiation for manifests", () => {
  it("admits everything without a header, with a wildcard, or with no manifest type named", () => {
    expect(accepts(undefined, MediaType.ociManifest)).toBe(true);
    expect(accepts("*/*", MediaType.ociManifest)).toBe(true);
    expect(accepts("application/json", MediaType.ociIndex)).toBe(true);
  });

  it("admits a manifest whose type is listed, parameters and case aside", () => {
    const header = `${MediaType.dockerManifest}, ${MediaType.ociManifest.toUpperCase()};q=0.5`;
    expect(accepts(header, MediaType.ociManifest)).toBe(true);
    expect(accepts([MediaType.ociIndex, MediaType.ociManifest], MediaType.ociManifest)).toBe(true);
  });

  it("refuses a manifest whose type a list of manifest types leaves out", () => {
    expect(accepts(MediaType.dockerManifest, MediaType.ociManifest)).toBe(false);
  });
});
