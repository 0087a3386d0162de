import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { importPKCS8, SignJWT } from "jose";
import {
  as,
  basic,
  challengeOf,
  PASSWORD,
  ROBOT_SECRET,
  tokenFor,
  writeAccessFile,
} from "./support/auth";
import {
  errorCode,
  pushBlob,
  pushImage,
  randomBytes,
  startRegistry,
  type TestRegistry,
} from "./support/registry";

let dir: string;
let registry: TestRegistry;
const alice = basic("alice", PASSWORD);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "portfolio-auth-"));
  registry = await startRegistry({
    PORTFOLIO_AUTH_FILE: await writeAccessFile(dir),
    // These tests fail sign-ins on purpose; the limit has its own tests.
    PORTFOLIO_AUTH_FAILURES_PER_MINUTE: "1000",
  });
  await pushImage(as(registry, alice), "team/app", "v1");
  await pushImage(as(registry, alice), "public/tool", "v1");
  await pushImage(as(registry, alice), "private/secret", "v1");
});
afterAll(async () => {
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the challenge", () => {
  test("/v2/ asks an anonymous client to sign in at the built-in token service", async () => {
    const response = await registry.request("/v2/");
    expect(response.status).toBe(401);
    expect(await errorCode(response)).toBe("UNAUTHORIZED");
    expect(challengeOf(response)).toEqual({
      scheme: "Bearer",
      realm: `${registry.url}/auth/token`,
      service: "portfolio",
    });
  });

  test("/v2/ answers 200 to a signed-in client, which is how clients check a login", async () => {
    expect((await as(registry, alice).request("/v2/")).status).toBe(200);
    const token = await tokenFor(registry, [], alice);
    expect((await as(registry, `Bearer ${token}`).request("/v2/")).status).toBe(200);
  });

  test("a pull the anonymous may not do names the scope to ask for", async () => {
    const response = await registry.request("/v2/team/app/manifests/v1");
    expect(response.status).toBe(401);
    expect(challengeOf(response).scope).toBe("repository:team/app:pull");
  });

  test("a push asks for pull and push together, as Docker clients expect", async () => {
    const response = await registry.request("/v2/team/app/blobs/uploads/", { method: "POST" });
    expect(response.status).toBe(401);
    expect(challengeOf(response).scope).toBe("repository:team/app:pull,push");
  });
});

describe("HTTP basic", () => {
  test("a user pushes and pulls where the rules allow", async () => {
    const pushed = await pushImage(as(registry, alice), "team/app", "v2");
    const response = await as(registry, alice).request(`/v2/team/app/manifests/v2`);
    expect(response.status).toBe(200);
    expect(response.headers.get("docker-content-digest")).toBe(pushed.digest);
  });

  test("a signed-in user without a grant is denied with 403", async () => {
    const response = await as(registry, basic("bob", PASSWORD)).request(
      "/v2/team/app/manifests/v1",
    );
    expect(response.status).toBe(403);
    expect(await errorCode(response)).toBe("DENIED");
  });

  test("a wrong password, an unknown user and a malformed header get 401", async () => {
    for (const authorization of [
      basic("alice", "wrong"),
      basic("mallory", PASSWORD),
      "Basic !!!",
      "Negotiate abc",
    ]) {
      const response = await as(registry, authorization).request("/v2/public/tool/tags/list");
      expect(response.status).toBe(401);
      expect(await errorCode(response)).toBe("UNAUTHORIZED");
      expect(challengeOf(response).scheme).toBe("Bearer");
    }
  });

  test("a robot signs in with its secret and gets only its grants", async () => {
    const robot = as(registry, basic("ci", ROBOT_SECRET));
    await pushImage(robot, "team/built", "v1");
    const denied = await robot.request("/v2/team/app/manifests/v1", { method: "DELETE" });
    expect(denied.status).toBe(403);
    expect((await as(registry, basic("ci", "not-the-secret")).request("/v2/")).status).toBe(401);
  });

  test("anonymous pulls where the rules allow it, without any credentials", async () => {
    expect((await registry.request("/v2/public/tool/manifests/v1")).status).toBe(200);
    expect((await registry.request("/v2/public/tool/tags/list")).status).toBe(200);
    const push = await registry.request("/v2/public/tool/blobs/uploads/", { method: "POST" });
    expect(push.status).toBe(401);
  });
});

describe("the token service", () => {
  test("grants what was asked and allowed, and nothing else", async () => {
    const token = await tokenFor(
      registry,
      ["repository:team/app:pull,push,delete", "repository:private/secret:pull"],
      basic("ci", ROBOT_SECRET),
    );
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
    expect(claims).toMatchObject({
      iss: "portfolio-token-service",
      aud: "portfolio",
      sub: "ci",
      access: [{ type: "repository", name: "team/app", actions: ["pull", "push"] }],
    });
    expect(claims.exp - claims.iat).toBe(300);
  });

  test("an anonymous token carries anonymous grants only", async () => {
    const token = await tokenFor(registry, [
      "repository:public/tool:pull,push",
      "repository:team/app:pull",
    ]);
    const bearer = as(registry, `Bearer ${token}`);
    expect((await bearer.request("/v2/public/tool/manifests/v1")).status).toBe(200);
    // Signing in could help, so it is 401 with the scope to ask for, not 403.
    const denied = await bearer.request("/v2/team/app/manifests/v1");
    expect(denied.status).toBe(401);
    expect(challengeOf(denied)).toMatchObject({
      error: "insufficient_scope",
      scope: "repository:team/app:pull",
    });
  });

  test("a token lacking a scope gets 401 insufficient_scope; the client asks again", async () => {
    const token = await tokenFor(registry, ["repository:team/app:pull"], alice);
    const response = await as(registry, `Bearer ${token}`).request("/v2/team/app/blobs/uploads/", {
      method: "POST",
    });
    expect(response.status).toBe(401);
    expect(challengeOf(response)).toMatchObject({
      error: "insufficient_scope",
      scope: "repository:team/app:pull,push",
    });
    const other = await as(registry, `Bearer ${token}`).request("/v2/public/tool/tags/list");
    expect(other.status).toBe(401);
  });

  test("takes the OAuth2 password grant by POST, as containerd sends it", async () => {
    const response = await registry.request("/auth/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "password",
        username: "alice",
        password: PASSWORD,
        service: "portfolio",
        scope: "repository:team/app:pull",
        client_id: "containerd",
      }).toString(),
    });
    expect(response.status).toBe(200);
    const { access_token: token } = (await response.json()) as { access_token: string };
    expect((await as(registry, `Bearer ${token}`).request("/v2/team/app/tags/list")).status).toBe(
      200,
    );
  });

  test("refuses wrong passwords (Basic challenge), other services and other grants", async () => {
    const wrong = await registry.request("/auth/token?service=portfolio", {
      headers: { authorization: basic("alice", "nope") },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toBe('Basic realm="portfolio"');
    expect((await registry.request("/auth/token?service=elsewhere")).status).toBe(400);
    const refresh = await registry.request("/auth/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=refresh_token&refresh_token=x&service=portfolio",
    });
    expect(refresh.status).toBe(400);
  });
});

describe("tokens that must not pass", () => {
  /** A token signed with the registry's own key, with `claims` over the usual ones. */
  async function signed(claims: Record<string, unknown>, issuer = "portfolio-token-service") {
    const pem = await readFile(path.join(registry.dataDir, "auth", "token-key.pem"), "utf8");
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      access: [{ type: "repository", name: "team/app", actions: ["pull"] }],
      iss: issuer,
      aud: "portfolio",
      sub: "alice",
      iat: now,
      exp: now + 60,
      ...claims,
    })
      .setProtectedHeader({ alg: "ES256" })
      .sign(await importPKCS8(pem, "ES256"));
  }

  test("the key's own well-formed token passes (the control case)", async () => {
    const response = await as(registry, `Bearer ${await signed({})}`).request(
      "/v2/team/app/tags/list",
    );
    expect(response.status).toBe(200);
  });

  test.each([
    ["expired", { exp: Math.floor(Date.now() / 1000) - 120 }],
    ["for another audience", { aud: "another-registry" }],
    ["not yet valid", { nbf: Math.floor(Date.now() / 1000) + 600 }],
  ])("a token %s gets 401 invalid_token", async (_name, claims) => {
    const response = await as(registry, `Bearer ${await signed(claims)}`).request(
      "/v2/team/app/tags/list",
    );
    expect(response.status).toBe(401);
    expect(challengeOf(response).error).toBe("invalid_token");
    expect(await errorCode(response)).toBe("UNAUTHORIZED");
  });

  test("a tampered token, an unknown issuer and garbage get 401", async () => {
    const token = await tokenFor(registry, ["repository:team/app:pull"], alice);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    claims.access[0].actions.push("delete");
    const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
    const tampered = `${header}.${body}.${signature}`;

    for (const bad of [tampered, await signed({}, "someone-else"), "not.a.jwt", "x"]) {
      const response = await as(registry, `Bearer ${bad}`).request("/v2/team/app/tags/list");
      expect(response.status).toBe(401);
    }
  });
});

describe("what a caller sees and reaches", () => {
  async function catalogOf(authorization: string): Promise<string[]> {
    const response = await as(registry, authorization).request("/v2/_catalog");
    expect(response.status).toBe(200);
    return ((await response.json()) as { repositories: string[] }).repositories;
  }

  test("the catalog lists only what the caller may pull", async () => {
    expect(await catalogOf(alice)).toEqual(
      expect.arrayContaining(["private/secret", "public/tool", "team/app"]),
    );
    expect(await catalogOf(basic("bob", PASSWORD))).toEqual(["public/tool"]);
    const anonymous = await tokenFor(registry, ["registry:catalog:*"]);
    expect(await catalogOf(`Bearer ${anonymous}`)).toEqual(["public/tool"]);
  });

  test("the catalog challenges a caller without credentials, who may have some", async () => {
    // oras and regctl send credentials only when challenged.
    const response = await registry.request("/v2/_catalog");
    expect(response.status).toBe(401);
    expect(challengeOf(response).scope).toBe("registry:catalog:*");
  });

  test("the catalog pages over what the caller sees", async () => {
    const response = await as(registry, basic("ci", ROBOT_SECRET)).request("/v2/_catalog?n=1");
    const first = (await response.json()) as { repositories: string[] };
    expect(first.repositories).toEqual(["public/tool"]);
    expect(response.headers.get("link")).toContain("last=public%2Ftool");
    const next = await as(registry, basic("ci", ROBOT_SECRET)).request(
      "/v2/_catalog?n=1&last=public%2Ftool",
    );
    expect(((await next.json()) as { repositories: string[] }).repositories).toEqual(["team/app"]);
  });

  test("the catalog needs registry:catalog:*, then shows what the subject may pull", async () => {
    const without = await tokenFor(registry, [], basic("bob", PASSWORD));
    const response = await as(registry, `Bearer ${without}`).request("/v2/_catalog");
    expect(response.status).toBe(401);
    expect(challengeOf(response).scope).toBe("registry:catalog:*");

    const token = await tokenFor(registry, ["registry:catalog:*"], basic("bob", PASSWORD));
    expect(await catalogOf(`Bearer ${token}`)).toEqual(["public/tool"]);
  });

  test("a blob is mounted only from a repository the caller may pull", async () => {
    const bytes = randomBytes(2048);
    const digest = await pushBlob(as(registry, alice), "team/app", bytes);
    const bob = as(registry, basic("bob", PASSWORD));

    const refused = await bob.request(`/v2/bob/copy/blobs/uploads/?mount=${digest}&from=team/app`, {
      method: "POST",
    });
    expect(refused.status).toBe(202);
    const anywhere = await bob.request(`/v2/bob/copy/blobs/uploads/?mount=${digest}`, {
      method: "POST",
    });
    expect(anywhere.status).toBe(202);
    expect((await bob.request(`/v2/bob/copy/blobs/${digest}`, { method: "HEAD" })).status).toBe(
      404,
    );

    const robot = as(registry, basic("ci", ROBOT_SECRET));
    const mounted = await robot.request(
      `/v2/team/copy/blobs/uploads/?mount=${digest}&from=team/app`,
      { method: "POST" },
    );
    expect(mounted.status).toBe(201);
  });
});
