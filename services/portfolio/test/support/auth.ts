import { writeFile } from "node:fs/promises";
import path from "node:path";
import { hash } from "@node-rs/bcrypt";
import type { TestRegistry } from "./registry";

export const PASSWORD = "alice-password-1";
export const ROBOT_SECRET = "robot-secret-with-enough-entropy";

/**
 * An access file for the tests: `public/**` pullable by anyone; `team/**`
 * alice's, with the robot `ci` pushing; `bob/**` bob's; everything else alice's.
 * Hashes use bcrypt's lowest cost, to keep the tests fast.
 */
export async function writeAccessFile(dir: string, extra: Record<string, unknown> = {}) {
  const passwordHash = await hash(PASSWORD, 4);
  const { createHash } = await import("node:crypto");
  const file = path.join(dir, "access.json");
  await writeFile(
    file,
    JSON.stringify({
      users: { alice: { passwordHash }, bob: { passwordHash } },
      robots: { ci: { secretSha256: createHash("sha256").update(ROBOT_SECRET).digest("hex") } },
      repositories: [
        { match: "public/**", grant: { anonymous: ["pull"], alice: ["pull", "push", "delete"] } },
        { match: "team/**", grant: { alice: ["pull", "push", "delete"], ci: ["pull", "push"] } },
        { match: "bob/**", grant: { bob: ["pull", "push", "delete"] } },
        { match: "**", grant: { alice: ["pull", "push", "delete"] } },
      ],
      ...extra,
    }),
  );
  return file;
}

export function basic(name: string, password: string): string {
  return `Basic ${Buffer.from(`${name}:${password}`).toString("base64")}`;
}

/** The same registry, every request sent with `authorization`. */
export function as(registry: TestRegistry, authorization: string): TestRegistry {
  return {
    ...registry,
    request(pathOrUrl, init = {}) {
      const headers = new Headers(init.headers);
      headers.set("authorization", authorization);
      return registry.request(pathOrUrl, { ...init, headers });
    },
  };
}

/** A token from the built-in token service, as a client gets one. */
export async function tokenFor(
  registry: TestRegistry,
  scopes: string[],
  authorization?: string,
): Promise<string> {
  const query = new URLSearchParams({ service: "portfolio" });
  for (const scope of scopes) query.append("scope", scope);
  const response = await registry.request(`/auth/token?${query}`, {
    headers: authorization ? { authorization } : {},
  });
  if (response.status !== 200) throw new Error(`token service answered ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/** The parameters of a `WWW-Authenticate: Bearer ...` challenge. */
export function challengeOf(response: Response): Record<string, string> {
  const header = response.headers.get("www-authenticate") ?? "";
  const parameters: Record<string, string> = { scheme: header.split(" ")[0] ?? "" };
  for (const [, name, value] of header.matchAll(/(\w+)="([^"]*)"/g)) {
    parameters[name as string] = value as string;
  }
  return parameters;
}
