import { type AccessRule, ANONYMOUS, AUTHENTICATED, ruleProblem } from "./access-policy";
import type { Robot, User } from "./accounts";

/** An identity provider whose tokens the registry accepts, as the access file names it. */
export interface IssuerEntry {
  issuer: string;
  /** Default: the registry's service name. */
  audience?: string;
  /** Exactly one of these: a JWKS URL, a PEM public key file, a PEM public key. */
  jwksUrl?: string;
  publicKeyFile?: string;
  publicKey?: string;
}

/**
 * The access file (PORTFOLIO_AUTH_FILE): accounts, trusted token issuers, and
 * the rules of who may do what. See docs/access-control.md.
 */
export interface AccessFile {
  users: Record<string, User>;
  robots: Record<string, Robot>;
  issuers: IssuerEntry[];
  repositories: AccessRule[];
}

export class AccessFileError extends Error {
  override name = "AccessFileError";
}

const KNOWN_KEYS = ["users", "robots", "issuers", "repositories"];
const RESERVED = [ANONYMOUS, AUTHENTICATED];

/** Reads and checks an access file, naming the first problem found and where. */
export function parseAccessFile(text: string, source: string): AccessFile {
  const fail = (message: string): never => {
    throw new AccessFileError(`${source}: ${message}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    fail(`not JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) return fail("must hold a JSON object");
  for (const key of Object.keys(parsed)) {
    if (!KNOWN_KEYS.includes(key)) fail(`unknown key ${key} (known: ${KNOWN_KEYS.join(", ")})`);
  }

  const users = objectOf(parsed.users, "users", fail);
  const robots = objectOf(parsed.robots, "robots", fail);
  for (const [kind, entries, key] of [
    ["users", users, "passwordHash"],
    ["robots", robots, "secretSha256"],
  ] as const) {
    for (const [name, entry] of Object.entries(entries)) {
      const extra = isObject(entry) ? Object.keys(entry).find((k) => k !== key) : undefined;
      if (extra !== undefined) fail(`${kind}.${name}: unknown key ${extra} (known: ${key})`);
    }
  }
  for (const [name, user] of Object.entries(users)) {
    if (
      !isObject(user) ||
      typeof user.passwordHash !== "string" ||
      !/^\$2[aby]\$/.test(user.passwordHash)
    ) {
      fail(`users.${name} needs a bcrypt passwordHash (make one with: portfolio hash-password)`);
    }
  }
  for (const [name, robot] of Object.entries(robots)) {
    if (
      !isObject(robot) ||
      typeof robot.secretSha256 !== "string" ||
      !/^[0-9a-f]{64}$/i.test(robot.secretSha256)
    ) {
      fail(`robots.${name} needs a secretSha256 (make one with: portfolio robot-secret)`);
    }
    if (name in users) fail(`${name} is both a user and a robot`);
  }
  for (const name of [...Object.keys(users), ...Object.keys(robots)]) {
    if (RESERVED.includes(name)) fail(`${name} is reserved for rules and cannot be an account`);
    if (name.includes(":") || name === "")
      fail(`account name ${JSON.stringify(name)} is not usable with HTTP basic`);
  }

  const issuers = arrayOf(parsed.issuers, "issuers", fail);
  issuers.forEach((entry, index) => {
    if (!isObject(entry) || typeof entry.issuer !== "string" || entry.issuer === "") {
      fail(`issuers[${index}] needs an issuer (the iss claim of its tokens)`);
    }
    const keys = ["jwksUrl", "publicKeyFile", "publicKey"].filter(
      (key) => typeof entry[key] === "string",
    );
    if (keys.length !== 1)
      fail(`issuers[${index}] needs exactly one of jwksUrl, publicKeyFile, publicKey`);
  });

  const repositories = arrayOf(parsed.repositories, "repositories", fail);
  const accounts = new Set([...Object.keys(users), ...Object.keys(robots), ...RESERVED]);
  repositories.forEach((rule, index) => {
    const problem = ruleProblem(rule);
    if (problem) fail(`repositories[${index}] ${problem}`);
    // Grants apply to the file's own accounts only (outside issuers' tokens carry theirs),
    // so any other name is a typo that would silently grant nothing.
    for (const who of Object.keys((rule as unknown as AccessRule).grant)) {
      if (!accounts.has(who)) fail(`repositories[${index}] grants ${who}, who is no user or robot`);
    }
  });

  return {
    users: users as Record<string, User>,
    robots: robots as Record<string, Robot>,
    issuers: issuers as unknown as IssuerEntry[],
    repositories: repositories as unknown as AccessRule[],
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function objectOf(value: unknown, key: string, fail: (message: string) => never) {
  if (value === undefined) return {};
  return isObject(value) ? value : fail(`${key} must be an object keyed by account name`);
}

function arrayOf(value: unknown, key: string, fail: (message: string) => never) {
  if (value === undefined) return [];
  return Array.isArray(value)
    ? (value as Record<string, unknown>[])
    : fail(`${key} must be a list`);
}
