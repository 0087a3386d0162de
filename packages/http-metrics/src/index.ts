export * from "./body-bytes";
export * from "./http-metrics";
