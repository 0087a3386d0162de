import { AccessPolicy } from "../src/auth/access-policy";
import { parseAuthorization } from "../src/auth/credentials";
import { RateLimiter } from "../src/auth/rate-limiter";
import { formatScope, grants, parseScope } from "../src/auth/scope";

describe("AccessPolicy", () => {
  const policy = new AccessPolicy([
    { match: "public/*", grant: { anonymous: ["pull"], alice: ["push"] } },
    { match: "team/**", grant: { authenticated: ["pull"], alice: ["push", "delete"] } },
    { match: "**", grant: { alice: ["pull"] } },
  ]);
  const actions = (subject: string | undefined, repository: string) =>
    [...policy.actions(subject, repository)].sort();

  test("`*` stays within one path segment, `**` crosses them", () => {
    expect(actions(undefined, "public/tool")).toEqual(["pull"]);
    // Not matched by public/*, so the catch-all rule decides: nothing for the anonymous.
    expect(actions(undefined, "public/tool/sub")).toEqual([]);
    expect(actions("bob", "team/a/b/c")).toEqual(["pull"]);
  });

  test("the first matching rule decides, and grants add up within it", () => {
    expect(actions("alice", "public/tool")).toEqual(["pull", "push"]);
    expect(actions("alice", "team/app")).toEqual(["delete", "pull", "push"]);
    expect(actions("alice", "elsewhere")).toEqual(["pull"]);
  });

  test("anonymous grants reach everyone, authenticated ones only the signed-in", () => {
    expect(actions("bob", "public/tool")).toEqual(["pull"]);
    expect(actions(undefined, "team/app")).toEqual([]);
  });

  test("pattern characters other than * match themselves", () => {
    const dotted = new AccessPolicy([{ match: "a.b/c+d", grant: { anonymous: ["pull"] } }]);
    expect(dotted.allows(undefined, "a.b/c+d", "pull")).toBe(true);
    expect(dotted.allows(undefined, "axb/c+d", "pull")).toBe(false);
  });

  test("a repository no rule matches is closed", () => {
    expect(new AccessPolicy([]).actions("alice", "any").size).toBe(0);
  });
});

describe("scopes", () => {
  test("parse the Docker token protocol's forms", () => {
    expect(parseScope("repository:team/app:pull,push")).toEqual({
      type: "repository",
      name: "team/app",
      actions: ["pull", "push"],
    });
    expect(parseScope("repository(plugin):a/b:pull")?.type).toBe("repository");
    expect(parseScope("registry:catalog:*")).toEqual({
      type: "registry",
      name: "catalog",
      actions: ["*"],
    });
    for (const bad of ["", "repository", "repository:a", "repository::pull", "repository:a:"]) {
      expect(parseScope(bad)).toBeUndefined();
    }
    expect(formatScope(parseScope("repository:a/b:pull,push")!)).toBe("repository:a/b:pull,push");
  });

  test("a granted `*` covers every action of that resource only", () => {
    const granted = [{ type: "repository", name: "a", actions: ["*"] }];
    expect(grants(granted, "repository", "a", "delete")).toBe(true);
    expect(grants(granted, "repository", "b", "pull")).toBe(false);
  });
});

describe("parseAuthorization", () => {
  test("reads basic and bearer, and flags anything else", () => {
    const encoded = Buffer.from("alice:pa:ss").toString("base64");
    expect(parseAuthorization(`Basic ${encoded}`)).toEqual({
      scheme: "basic",
      name: "alice",
      password: "pa:ss",
    });
    expect(parseAuthorization("bearer abc.def.ghi")).toEqual({
      scheme: "bearer",
      token: "abc.def.ghi",
    });
    expect(parseAuthorization(undefined)).toBeUndefined();
    for (const other of [
      "Digest x",
      "Basic",
      `Basic ${Buffer.from("nocolon").toString("base64")}`,
    ]) {
      expect(parseAuthorization(other)).toEqual({ scheme: "unsupported" });
    }
  });
});

describe("RateLimiter", () => {
  test("allows `limit` events per window and says how long to wait after", () => {
    let now = 0;
    const limiter = new RateLimiter(2, 10_000, () => now);
    expect(limiter.hit("a")).toBe(0);
    expect(limiter.blockedFor("a")).toBe(0);
    expect(limiter.hit("a")).toBe(0);
    expect(limiter.blockedFor("a")).toBe(10);
    now = 2500;
    expect(limiter.hit("a")).toBe(8);
    expect(limiter.hit("b")).toBe(0);
    now = 10_000;
    expect(limiter.hit("a")).toBe(0);
  });
});
