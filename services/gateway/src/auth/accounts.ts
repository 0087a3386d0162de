import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { hash as bcryptHash, verify as bcryptVerify } from "@node-rs/bcrypt";

/** A person: signs in with a password kept as a bcrypt hash (`$2a$`, `$2b$`, `$2y$`). */
export interface User {
  passwordHash: string;
}

/**
 * A robot account for CI and automation: signs in with a long random secret
 * that the registry generated. Such a secret cannot be guessed, so it is kept
 * as SHA-256 rather than bcrypt and checked in microseconds, which matters
 * for clients that send HTTP basic on every request.
 */
export interface Robot {
  secretSha256: string;
}

/** How long a successful bcrypt check is remembered; see `Accounts.verify`. */
const VERIFIED_FOR_MS = 60_000;
const MAX_REMEMBERED = 10_000;

/**
 * A stand-in hash checked when the account does not exist, so an unknown
 * name costs as long as a wrong password and timing tells nothing.
 */
const UNKNOWN_ACCOUNT_HASH = "$2b$10$CwTycUXWue0Thq9StjUM0uJ8.zKkD0yJmIkwh9fMf5FDOWbEztcMS";

/**
 * The accounts of the access file. bcrypt is slow on purpose (tens of
 * milliseconds) and runs on libuv's thread pool, so a client sending HTTP
 * basic on every request would queue behind it: a success is remembered for
 * a minute under an HMAC of name and password (keyed per process, so the
 * table holds nothing a password could be recovered from).
 */
export class Accounts {
  private readonly users: ReadonlyMap<string, User>;
  private readonly robots: ReadonlyMap<string, Robot>;
  private readonly verified = new Map<string, number>();
  private readonly cacheKey = randomBytes(32);

  constructor(users: Record<string, User> = {}, robots: Record<string, Robot> = {}) {
    this.users = new Map(Object.entries(users));
    this.robots = new Map(Object.entries(robots));
  }

  get empty(): boolean {
    return this.users.size === 0 && this.robots.size === 0;
  }

  /** Whether `name` signs in with `password`. */
  async verify(name: string, password: string): Promise<boolean> {
    const robot = this.robots.get(name);
    if (robot) return sameHex(sha256(password), robot.secretSha256);

    const user = this.users.get(name);
    const key = createHmac("sha256", this.cacheKey).update(`${name}\0${password}`).digest("hex");
    const until = this.verified.get(key);
    if (user && until !== undefined && until > Date.now()) return true;

    const matches = await bcryptVerify(password, user?.passwordHash ?? UNKNOWN_ACCOUNT_HASH).catch(
      () => false,
    );
    if (!user || !matches) return false;
    this.remember(key);
    return true;
  }

  private remember(key: string): void {
    if (this.verified.size >= MAX_REMEMBERED) {
      const now = Date.now();
      for (const [entry, until] of this.verified) if (until <= now) this.verified.delete(entry);
      if (this.verified.size >= MAX_REMEMBERED) this.verified.clear();
    }
    this.verified.set(key, Date.now() + VERIFIED_FOR_MS);
  }
}

/** bcrypt's cost: about a quarter second per check on a server core, OWASP's minimum being 10. */
const BCRYPT_COST = 12;

/** The hash an access file keeps of a user's password. */
export function passwordHash(password: string): Promise<string> {
  return bcryptHash(password, BCRYPT_COST);
}

/** A new robot secret and the hash the access file keeps of it. */
export function newRobotSecret(): { secret: string; secretSha256: string } {
  const secret = randomBytes(32).toString("base64url");
  return { secret, secretSha256: sha256(secret) };
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function sameHex(actual: string, expected: string): boolean {
  const a = Buffer.from(actual, "hex");
  const b = Buffer.from(expected.toLowerCase(), "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}
