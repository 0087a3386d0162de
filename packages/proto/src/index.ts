/**
 * The TypeScript of every proto under proto/, one namespace per proto package
 * and version. Everything under ./generated is written by `npm run
 * generate:proto` (buf driving ts-proto) and never edited by hand.
 */
export * as metadataV1 from "./generated/portfolio/metadata/v1/metadata";
