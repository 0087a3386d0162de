import type { AccessPolicy } from "./access-policy";
import { type Action, grants } from "./scope";
import type { VerifiedToken } from "./token-verifier";

/** Who sent a request, and what that allows. */
export interface Caller {
  /** The account or the token's subject; undefined when anonymous. */
  readonly subject?: string;
  /** How the caller was identified: `open` when access control is off. */
  readonly via: "open" | "anonymous" | "basic" | "token";
  may(repository: string, action: Action): boolean;
  /**
   * Whether the caller could be allowed `action` at all: false means asking
   * again with another token cannot help, so the answer is 403, not 401.
   */
  entitled(repository: string, action: Action): boolean;
  /** Whether the caller may list the catalog at all. */
  readonly listsCatalog: boolean;
  /** Whether `repository` appears in the catalog the caller lists. */
  sees(repository: string): boolean;
}

/** Everyone, when the registry runs without access control. */
export const OPEN_CALLER: Caller = {
  via: "open",
  may: () => true,
  entitled: () => true,
  listsCatalog: true,
  sees: () => true,
};

/** A caller judged by the access file: anonymous, or an account that signed in with basic. */
export function policyCaller(policy: AccessPolicy, subject: string | undefined): Caller {
  const may = (repository: string, action: Action) => policy.allows(subject, repository, action);
  return {
    subject,
    via: subject === undefined ? "anonymous" : "basic",
    may,
    entitled: may,
    listsCatalog: true,
    sees: (repository) => policy.allows(subject, repository, "pull"),
  };
}

/**
 * A caller holding a bearer token: it may do what the token's `access` claim
 * grants, nothing more, whatever its subject could get in a new token. The
 * catalog needs `registry:catalog:*`; it then shows what the subject may pull
 * when the token is the registry's own, and everything when an outside
 * issuer granted it (that issuer decides, as with Distribution).
 */
export function tokenCaller(policy: AccessPolicy, token: VerifiedToken): Caller {
  return {
    subject: token.subject,
    via: "token",
    may: (repository, action) => grants(token.access, "repository", repository, action),
    // An outside issuer's rules are unknown here: it may grant more on the next request.
    entitled: (repository, action) =>
      !token.builtIn || policy.allows(token.subject, repository, action),
    listsCatalog: grants(token.access, "registry", "catalog", "*"),
    sees: (repository) => !token.builtIn || policy.allows(token.subject, repository, "pull"),
  };
}
