export { currentRequestId } from "@portfolio/core";
export { buildGateway, type GatewayOptions } from "./app";
export { DEFAULT_LIMITS, type RegistryBackends, type RegistryLimits } from "./registry/registry";
