export { currentRequestId } from "@portfolio/core";
export { buildGateway, type GatewayOptions } from "./app";
export { AccessControl, TOKEN_PATH } from "./auth/access-control";
export { AccessFileError, parseAccessFile } from "./auth/access-file";
export { newRobotSecret, passwordHash } from "./auth/accounts";
export { type AccessSettings, createAccessControl } from "./auth/setup";
export { generateSigningKeyPem } from "./auth/token-issuer";
export { DEFAULT_LIMITS, type RegistryBackends, type RegistryLimits } from "./registry/registry";
