import { BackendUnavailableError, OciError } from "@portfolio/core";
import type { FastifyRequest } from "fastify";
import type { AccessPolicy } from "./access-policy";
import type { Accounts } from "./accounts";
import { type Caller, policyCaller, tokenCaller } from "./caller";
import { parseAuthorization } from "./credentials";
import type { RateLimiter } from "./rate-limiter";
import {
  type Action,
  CATALOG_SCOPE,
  formatScope,
  grants,
  repositoryScope,
  type Scope,
} from "./scope";
import type { TokenIssuer } from "./token-issuer";
import { InvalidTokenError, type TokenVerifier } from "./token-verifier";

/** Where the built-in token service answers. */
export const TOKEN_PATH = "/auth/token";

export interface AccessControlOptions {
  /** The `service` of challenges and the audience of tokens. */
  service: string;
  /**
   * The token service clients are sent to. Default: the built-in one, at
   * this registry's own address as the request named it.
   */
  realm?: string;
  policy: AccessPolicy;
  accounts: Accounts;
  /** The built-in token service; absent when tokens come only from outside. */
  issuer?: TokenIssuer;
  verifier: TokenVerifier;
  /** Failed sign-ins per client address. */
  failures: RateLimiter;
  /** Requests per client (account, or address when anonymous); absent for no limit. */
  requests?: RateLimiter;
}

/**
 * The Docker token protocol on the registry's side: identifies each caller
 * (anonymous, HTTP basic, or a bearer token), answers what it may not do with
 * the challenge that tells a client where to get a token for it, and limits
 * sign-in failures and request rates per client.
 */
export class AccessControl {
  constructor(readonly options: AccessControlOptions) {}

  /** Who sent `request`; throws 401 for credentials that do not hold, 429 when limited. */
  async identify(request: FastifyRequest): Promise<Caller> {
    const caller = await this.callerOf(request);
    this.throttle(request, caller.subject);
    return caller;
  }

  /** Throws the answer for a caller that may not do `action` to `repository`. */
  authorize(request: FastifyRequest, caller: Caller, repository: string, action: Action): void {
    if (caller.may(repository, action)) return;

    // Docker clients ask for pull and push together when pushing, and expect to.
    const asked = repositoryScope(repository, action === "push" ? ["pull", "push"] : [action]);
    // Without an account (no credentials, or a token fetched without them), signing in may help.
    if (caller.subject === undefined) {
      const error = caller.via === "token" ? "insufficient_scope" : undefined;
      throw this.unauthorized(
        request,
        asked,
        error,
        `authentication required to ${action} ${repository}`,
      );
    }
    if (!caller.entitled(repository, action)) {
      throw new OciError(
        "DENIED",
        `${caller.subject ?? "this token"} may not ${action} ${repository}`,
      );
    }
    throw this.unauthorized(request, asked, "insufficient_scope");
  }

  /** `/v2/` answers 200 only to a caller who signed in: that is how clients test a login. */
  requireSignedIn(request: FastifyRequest, caller: Caller): void {
    if (caller.via === "anonymous") throw this.unauthorized(request);
  }

  /**
   * The catalog asks a caller without credentials to sign in first, though
   * it would list what the anonymous may pull: clients such as oras and
   * regctl send their credentials only when challenged, and would otherwise
   * show a signed-in user the anonymous listing. An anonymous token then
   * lists what the anonymous may see.
   */
  requireCatalog(request: FastifyRequest, caller: Caller): void {
    if (caller.via === "anonymous") throw this.unauthorized(request, CATALOG_SCOPE);
    if (!caller.listsCatalog) throw this.unauthorized(request, CATALOG_SCOPE, "insufficient_scope");
  }

  /**
   * Checks a name and password, counting a failure against the client's
   * address; throws 401, or 429 once the address has failed too often. The
   * token service's own 401 asks for HTTP basic, which is what it takes.
   */
  async signIn(
    request: FastifyRequest,
    name: string,
    password: string,
    challenge: "bearer" | "basic" = "bearer",
  ): Promise<string> {
    this.refuseIfLockedOut(request);
    if (await this.options.accounts.verify(name, password)) return name;

    request.log.info({ account: name }, "sign-in refused");
    if (challenge === "basic") this.failed(request, "name or password not accepted", "basic");
    this.failed(request, "name or password not accepted");
  }

  /** What the built-in token service grants `subject` of the `asked` scopes. */
  grant(subject: string | undefined, asked: readonly Scope[]): Scope[] {
    const granted: Scope[] = [];
    for (const scope of asked) {
      if (scope.type === "registry" && scope.name === "catalog") {
        // Anyone may list; the listing shows only what the subject may pull.
        if (!grants(granted, "registry", "catalog", "*")) granted.push(CATALOG_SCOPE);
        continue;
      }
      if (scope.type !== "repository") continue;
      const allowed = this.options.policy.actions(subject, scope.name);
      const actions = scope.actions.flatMap((action) =>
        action === "*" ? [...allowed] : allowed.has(action as Action) ? [action] : [],
      );
      if (actions.length > 0) granted.push({ ...scope, actions: [...new Set(actions)] });
    }
    return granted;
  }

  /** Throws 429 when `request`'s client (account or address) is over the request rate. */
  throttle(request: FastifyRequest, subject: string | undefined): void {
    const key = subject === undefined ? `address ${request.ip}` : `account ${subject}`;
    const wait = this.options.requests?.hit(key) ?? 0;
    if (wait > 0) throw tooManyRequests(wait, "request rate limit reached, slow down");
  }

  private async callerOf(request: FastifyRequest): Promise<Caller> {
    const { policy, verifier } = this.options;
    const credentials = parseAuthorization(request.headers.authorization);
    if (credentials === undefined) return policyCaller(policy, undefined);

    this.refuseIfLockedOut(request);
    if (credentials.scheme === "basic") {
      return policyCaller(
        policy,
        await this.signIn(request, credentials.name, credentials.password),
      );
    }
    if (credentials.scheme === "unsupported") {
      this.failed(request, "use HTTP basic or a bearer token", "invalid_request");
    }
    try {
      return tokenCaller(policy, await verifier.verify(credentials.token));
    } catch (error) {
      if (error instanceof BackendUnavailableError) {
        request.log.warn({ err: error.cause, backend: error.backend }, "token not verifiable");
      }
      if (!(error instanceof InvalidTokenError)) throw error;
      // Not a failed sign-in: tokens expire in the normal course, and cannot be guessed.
      request.log.info({ reason: error.message }, "token refused");
      throw this.unauthorized(request, undefined, "invalid_token", error.message);
    }
  }

  private refuseIfLockedOut(request: FastifyRequest): void {
    const wait = this.options.failures.blockedFor(request.ip);
    if (wait > 0) throw tooManyRequests(wait, "too many failed sign-ins from this address");
  }

  /** Counts a failed sign-in; `error` is the Bearer challenge's, or `basic` for a Basic one. */
  private failed(request: FastifyRequest, reason: string, error?: string): never {
    const wait = this.options.failures.hit(request.ip);
    if (wait > 0) throw tooManyRequests(wait, "too many failed sign-ins from this address");
    if (error !== "basic") throw this.unauthorized(request, undefined, error, reason);
    throw new OciError("UNAUTHORIZED", reason, undefined, {
      headers: { "www-authenticate": `Basic realm="${this.options.service}"` },
    });
  }

  private unauthorized(
    request: FastifyRequest,
    scope?: Scope,
    error?: string,
    message = "authentication required",
  ): OciError {
    const parameters: Record<string, string> = {
      realm: this.realm(request),
      service: this.options.service,
    };
    if (scope) parameters.scope = formatScope(scope);
    if (error) parameters.error = error;
    const challenge = Object.entries(parameters)
      .map(([name, value]) => `${name}="${value.replace(/["\\]/g, "")}"`)
      .join(",");
    return new OciError("UNAUTHORIZED", message, undefined, {
      headers: { "www-authenticate": `Bearer ${challenge}` },
    });
  }

  private realm(request: FastifyRequest): string {
    return this.options.realm ?? `${request.protocol}://${request.host}${TOKEN_PATH}`;
  }
}

function tooManyRequests(seconds: number, message: string): OciError {
  return new OciError("TOOMANYREQUESTS", message, undefined, {
    headers: { "retry-after": String(seconds) },
  });
}
