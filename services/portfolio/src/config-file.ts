import { readFileSync } from "node:fs";
import { ConfigError } from "./config";

/**
 * Fills `env` from the JSON file PORTFOLIO_CONFIG_FILE names, if any: an
 * object whose keys are the PORTFOLIO_* variable names and whose values are
 * strings, numbers or booleans. A variable set in the environment wins over
 * the file, so one file can serve every replica and a Deployment can still
 * override a value.
 */
export function applyConfigFile(env: NodeJS.ProcessEnv): void {
  const file = env.PORTFOLIO_CONFIG_FILE;
  if (!file) return;

  for (const [name, value] of Object.entries(readConfigFile(file))) {
    if (env[name] === undefined) env[name] = String(value);
  }
}

function readConfigFile(file: string): Record<string, string | number | boolean> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(`cannot read PORTFOLIO_CONFIG_FILE ${file}: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${file} must hold a JSON object of PORTFOLIO_* settings`);
  }

  for (const [name, value] of Object.entries(parsed)) {
    if (!name.startsWith("PORTFOLIO_")) throw new ConfigError(`${file}: unknown setting ${name}`);
    if (!["string", "number", "boolean"].includes(typeof value)) {
      throw new ConfigError(`${file}: ${name} must be a string, number or boolean`);
    }
  }
  return parsed as Record<string, string | number | boolean>;
}
