import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { accessControlFor, loadConfig } from "@portfolio/portfolio";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { as, basic, challengeOf, PASSWORD, tokenFor, writeAccessFile } from "./support/auth";
import { errorCode, pushImage, startRegistry, type TestRegistry } from "./support/registry";

let dir: string;
const registries: TestRegistry[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "portfolio-auth-limits-"));
});
afterAll(async () => {
  await Promise.all(registries.map((registry) => registry.close()));
  await rm(dir, { recursive: true, force: true });
});

async function start(env: NodeJS.ProcessEnv, logTo?: string[]): Promise<TestRegistry> {
  const registry = await startRegistry(env, { logTo });
  registries.push(registry);
  return registry;
}

describe("rate limits", () => {
  test("repeated failed sign-ins from one address get 429 and Retry-After", async () => {
    const registry = await start({
      PORTFOLIO_AUTH_FILE: await writeAccessFile(dir),
      PORTFOLIO_AUTH_FAILURES_PER_MINUTE: "3",
    });
    const wrong = as(registry, basic("alice", "guess"));
    for (let i = 0; i < 3; i++) expect((await wrong.request("/v2/")).status).toBe(401);

    const limited = await wrong.request("/v2/");
    expect(limited.status).toBe(429);
    expect(await errorCode(limited)).toBe("TOOMANYREQUESTS");
    const wait = Number(limited.headers.get("retry-after"));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);

    // Locked out means the right password too, and the token service as well.
    expect((await as(registry, basic("alice", PASSWORD)).request("/v2/")).status).toBe(429);
    const token = await registry.request("/auth/token?service=portfolio", {
      headers: { authorization: basic("alice", PASSWORD) },
    });
    expect(token.status).toBe(429);
    // What needs no sign-in goes on.
    expect((await registry.request("/v2/")).status).toBe(401);
  });

  test("refused tokens are no failed sign-ins: tokens expire in the normal course", async () => {
    const registry = await start({
      PORTFOLIO_AUTH_FILE: await writeAccessFile(dir),
      PORTFOLIO_AUTH_FAILURES_PER_MINUTE: "3",
    });
    const token = await tokenFor(registry, ["repository:team/app:pull"], basic("alice", PASSWORD));
    const [header, payload] = token.split(".") as [string, string];
    const forged = `${header}.${payload}.${"A".repeat(86)}`;
    for (let i = 0; i < 6; i++) {
      expect((await as(registry, `Bearer ${forged}`).request("/v2/")).status).toBe(401);
    }
    expect((await as(registry, basic("alice", PASSWORD)).request("/v2/")).status).toBe(200);
  });

  test("requests over the configured rate per client are refused with 429", async () => {
    const registry = await start({
      PORTFOLIO_AUTH_FILE: await writeAccessFile(dir),
      PORTFOLIO_RATE_LIMIT_PER_SECOND: "5",
    });
    const responses = await Promise.all(
      Array.from({ length: 40 }, () => registry.request("/v2/public/none/tags/list")),
    );
    const limited = responses.filter((response) => response.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(responses.length - limited.length).toBeLessThan(40);
    for (const response of limited) {
      expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await errorCode(response)).toBe("TOOMANYREQUESTS");
    }
  });
});

test("no password, token or basic credential reaches the logs of a push", async () => {
  const lines: string[] = [];
  const registry = await start({ PORTFOLIO_AUTH_FILE: await writeAccessFile(dir) }, lines);
  const credential = basic("alice", PASSWORD);

  await pushImage(as(registry, credential), "team/logged", "v1");
  const token = await tokenFor(registry, ["repository:team/logged:pull,push"], credential);
  await pushImage(as(registry, `Bearer ${token}`), "team/logged", "v2");
  await as(registry, `Bearer ${token}`).request("/v2/team/logged/manifests/v2");
  // A client that puts secrets in the query string must not have them logged either.
  await registry.request(`/auth/token?service=portfolio&password=${PASSWORD}&token=${token}`);
  await as(registry, basic("alice", "a-wrong-password")).request("/v2/");
  await new Promise((resolve) => setTimeout(resolve, 200));

  const log = lines.join("");
  expect(lines.length).toBeGreaterThan(10);
  for (const secret of [PASSWORD, "a-wrong-password", token, credential.slice(6)]) {
    expect(log).not.toContain(secret);
  }
  expect(log).toContain('"user":"alice"');
  expect(
    lines.some((line) => line.includes("/auth/token") && line.includes('"user":"alice"')),
  ).toBe(true);
  expect(log).toContain("password=REDACTED");
});

describe("an outside identity provider", () => {
  let jwks: Server;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let registry: TestRegistry;
  let other: Awaited<ReturnType<typeof generateKeyPair>>;

  beforeAll(async () => {
    keys = await generateKeyPair("ES256", { extractable: true });
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: "idp-1", alg: "ES256" };
    jwks = createServer((_request, response) => {
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    const { port } = jwks.address() as AddressInfo;

    const pemFile = path.join(dir, "idp-2.pem");
    other = await generateKeyPair("RS256", { extractable: true });
    await writeFile(pemFile, await exportSPKI(other.publicKey));
    registry = await start({
      PORTFOLIO_AUTH_FILE: await writeAccessFile(dir, {
        issuers: [
          { issuer: "https://idp.test", jwksUrl: `http://127.0.0.1:${port}/jwks` },
          { issuer: "https://other.test", publicKeyFile: pemFile, audience: "registry.test" },
        ],
      }),
      PORTFOLIO_AUTH_REALM: "https://idp.test/token",
    });
    await pushImage(as(registry, basic("alice", PASSWORD)), "team/app", "v1");
  });
  afterAll(() => new Promise((resolve) => jwks.close(resolve)));

  async function idpToken(claims: Record<string, unknown> = {}) {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      access: [{ type: "repository", name: "team/app", actions: ["pull"] }],
      iss: "https://idp.test",
      aud: "portfolio",
      sub: "someone@idp",
      iat: now,
      exp: now + 60,
      ...claims,
    })
      .setProtectedHeader({ alg: "ES256", kid: "idp-1" })
      .sign(keys.privateKey);
  }

  test("challenges name the provider's realm", async () => {
    const response = await registry.request("/v2/team/app/tags/list");
    expect(challengeOf(response)).toMatchObject({
      realm: "https://idp.test/token",
      service: "portfolio",
      scope: "repository:team/app:pull",
    });
  });

  test("its tokens grant what their access claim says, checked against its JWKS", async () => {
    const bearer = as(registry, `Bearer ${await idpToken()}`);
    expect((await bearer.request("/v2/team/app/manifests/v1")).status).toBe(200);
    const push = await bearer.request("/v2/team/app/blobs/uploads/", { method: "POST" });
    expect(push.status).toBe(401);
    expect(challengeOf(push).error).toBe("insufficient_scope");
  });

  test("a second issuer, trusted by PEM with its own audience, is accepted", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      access: [{ type: "repository", name: "team/app", actions: ["pull"] }],
      iss: "https://other.test",
      aud: "registry.test",
      exp: now + 60,
    })
      .setProtectedHeader({ alg: "RS256" })
      .sign(other.privateKey);
    const response = await as(registry, `Bearer ${token}`).request("/v2/team/app/tags/list");
    expect(response.status).toBe(200);
  });

  test("its tokens for another audience or signed by another key are refused", async () => {
    const wrongAudience = await idpToken({ aud: "elsewhere" });
    const other = await generateKeyPair("ES256");
    const forged = await new SignJWT({ iss: "https://idp.test", aud: "portfolio", exp: 2e9 })
      .setProtectedHeader({ alg: "ES256", kid: "idp-1" })
      .sign(other.privateKey);
    for (const token of [wrongAudience, forged]) {
      const response = await as(registry, `Bearer ${token}`).request("/v2/team/app/tags/list");
      expect(response.status).toBe(401);
    }
  });

  test("an issuer whose keys cannot be fetched gets 503 (retry), not 401", async () => {
    const unreachable = await start({
      PORTFOLIO_AUTH_FILE: await writeAccessFile(dir, {
        issuers: [{ issuer: "https://idp.test", jwksUrl: "http://127.0.0.1:1/jwks" }],
      }),
      PORTFOLIO_AUTH_REALM: "https://idp.test/token",
    });
    const response = await as(unreachable, `Bearer ${await idpToken()}`).request(
      "/v2/team/app/tags/list",
    );
    expect(response.status).toBe(503);
    expect(await errorCode(response)).toBe("UNAVAILABLE");
    expect(response.headers.get("retry-after")).not.toBeNull();
  });

  test("the built-in token service is off: the provider issues tokens", async () => {
    expect((await registry.request("/auth/token?service=portfolio")).status).toBe(404);
  });
});

describe("configuration", () => {
  test("an access file with a mistake stops the start with a message saying where", async () => {
    const file = path.join(dir, "bad.json");
    const cases: Array<[unknown, RegExp]> = [
      [{ users: { alice: { passwordHash: "plain" } } }, /users\.alice needs a bcrypt/],
      [{ repositories: [{ match: "**", grant: { alice: ["write"] } }] }, /repositories\[0\]/],
      [{ repos: [] }, /unknown key repos/],
      [{ users: { anonymous: { passwordHash: "$2b$04$x" } } }, /anonymous is reserved/],
      [{ issuers: [{ issuer: "x" }] }, /exactly one of jwksUrl/],
      [{ repositories: [{ match: "**", grant: { alcie: ["pull"] } }] }, /alcie, who is no user/],
      [
        { repositories: [{ match: "**", grant: { anonymous: ["pull", "Push"] } }] },
        /"Push"; the actions are pull, push, delete/,
      ],
      [{ users: { alice: { passwordhash: "$2b$04$x" } } }, /unknown key passwordhash/],
    ];
    for (const [content, message] of cases) {
      await writeFile(file, JSON.stringify(content));
      expect(() => loadConfig({ PORTFOLIO_AUTH_FILE: file })).toThrow(message);
    }
    expect(() => loadConfig({ PORTFOLIO_AUTH_FILE: path.join(dir, "missing.json") })).toThrow(
      /cannot read PORTFOLIO_AUTH_FILE/,
    );
    expect(() => loadConfig({ PORTFOLIO_TRUST_PROXY: "maybe" })).toThrow(/PORTFOLIO_TRUST_PROXY/);
    expect(loadConfig({ PORTFOLIO_TRUST_PROXY: "10.0.0.0/8, ::1" }).trustProxy).toBe(
      "10.0.0.0/8, ::1",
    );
    const auth = await writeAccessFile(dir);
    expect(() =>
      loadConfig({ PORTFOLIO_AUTH_FILE: auth, PORTFOLIO_AUTH_REALM: "not-a-url" }),
    ).toThrow(/PORTFOLIO_AUTH_REALM/);
  });

  test("gateway replicas must be given the signing key; a given key must be readable", async () => {
    const { auth } = loadConfig({ PORTFOLIO_AUTH_FILE: await writeAccessFile(dir) });
    await expect(accessControlFor(auth)).rejects.toThrow(
      /PORTFOLIO_AUTH_TOKEN_KEY_FILE is required/,
    );
    const missing = { ...auth!, signingKeyFile: path.join(dir, "nope.pem") };
    await expect(accessControlFor(missing)).rejects.toThrow(/cannot read/);
    await writeFile(path.join(dir, "not-a-key.pem"), "-----BEGIN NONSENSE-----");
    const garbage = { ...auth!, signingKeyFile: path.join(dir, "not-a-key.pem") };
    await expect(accessControlFor(garbage)).rejects.toThrow(/token signing key is no usable/);
    const badIssuer = {
      ...auth!,
      signingKeyFile: undefined,
      realm: "https://idp.test/token",
      file: { ...auth!.file, issuers: [{ issuer: "https://idp.test", publicKey: "not a pem" }] },
    };
    await expect(accessControlFor(badIssuer)).rejects.toThrow(/issuer https:\/\/idp.test/);
  });
});
