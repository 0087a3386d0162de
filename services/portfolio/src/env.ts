/** A setting that cannot work; the `portfolio` command prints its message and exits 1. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** `true` or `false`; unset or empty is `fallback`, false unless given. */
export function flag(env: NodeJS.ProcessEnv, name: string, fallback = false): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "false") return false;
  if (raw === "true") return true;
  throw new ConfigError(`${name} must be true or false, not ${raw}`);
}

/** A whole number from `min` to `max`; `fallback` when unset or empty. */
export function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;

  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not ${raw}`);
  }
  return value;
}
