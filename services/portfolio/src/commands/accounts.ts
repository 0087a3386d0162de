import { newRobotSecret, passwordHash } from "@portfolio/gateway";
import { ConfigError } from "../config";

/**
 * `portfolio hash-password`: reads a password on stdin (one line, as from
 * `printf '%s' "$PASSWORD" |`) and prints the bcrypt hash an access file's
 * `users.<name>.passwordHash` takes. The password never appears in argv,
 * where other users of the machine could read it.
 */
export async function hashPassword(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
  if (password.length < 8) throw new ConfigError("the password must have at least 8 characters");
  if (Buffer.byteLength(password) > 72) {
    throw new ConfigError("bcrypt reads only the first 72 bytes: use a shorter password");
  }
  process.stdout.write(`${await passwordHash(password)}\n`);
}

/**
 * `portfolio robot-secret`: prints a new robot secret (to give to the robot)
 * and its SHA-256 (for the access file's `robots.<name>.secretSha256`).
 */
export async function robotSecret(): Promise<void> {
  process.stdout.write(`${JSON.stringify(newRobotSecret(), null, 2)}\n`);
}
