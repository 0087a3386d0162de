/** An OCI content descriptor (image-spec, descriptor.md); unknown fields are kept. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  urls?: string[];
  [field: string]: unknown;
}
