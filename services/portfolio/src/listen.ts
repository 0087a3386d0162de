import { ConfigError } from "./config";

/** A listening address read from the environment. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Reads `host:port` from env variable `name` (an IPv6 host in brackets, as in
 * `[::1]:5001`), or `fallback` when it is unset. Throws ConfigError naming the
 * variable when the value is malformed.
 */
export function listenAddress(env: NodeJS.ProcessEnv, name: string, fallback: string) {
  const value = env[name] || fallback;
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) {
    throw new ConfigError(`${name} must be host:port, not ${value}`);
  }
  return { host: match[1] ?? match[2] ?? "", port } satisfies ListenAddress;
}

/** The address in the form gRPC and URLs take, brackets around an IPv6 host. */
export function formatListen({ host, port }: ListenAddress): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
