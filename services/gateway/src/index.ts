export { buildGateway, type GatewayOptions } from "./app";
export { currentRequestId } from "./http/request-context";
export { DEFAULT_LIMITS, type RegistryBackends, type RegistryLimits } from "./registry/registry";
