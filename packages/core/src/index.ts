export type * from "./contracts/blob-storage";
export type * from "./contracts/metadata-store";
export * from "./descriptor";
export * from "./digest";
export * from "./domain-errors";
export * from "./manifest";
export * from "./media-types";
export * from "./names";
export * from "./oci-errors";
