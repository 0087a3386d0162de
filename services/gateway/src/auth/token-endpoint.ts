import { OciError } from "@portfolio/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { readBody } from "../http/body";
import { sendJson } from "../http/json";
import type { Query } from "../http/query";
import { type AccessControl, TOKEN_PATH } from "./access-control";
import { policyCaller } from "./caller";
import { parseAuthorization } from "./credentials";
import { parseScope, type Scope } from "./scope";
import type { TokenIssuer } from "./token-issuer";

/** A sign-in form is a few hundred bytes; anything far larger is not one. */
const MAX_FORM_BYTES = 16 * 1024;

/**
 * The built-in token service (Docker token specification): `GET` with HTTP
 * basic or anonymously, as docker, podman, skopeo, crane, oras and helm
 * ask; `POST` with an OAuth2 password grant, as containerd may. It grants the
 * intersection of the scopes asked for and what the access file allows the
 * account; an anonymous caller or an unknown scope gets a token that grants
 * less (possibly nothing), never an error, as the specification describes.
 */
export function registerTokenEndpoint(
  app: FastifyInstance,
  access: AccessControl,
  issuer: TokenIssuer,
): void {
  app.get(TOKEN_PATH, async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
    const { query } = request;
    requireOurService(access, single(query.service));
    const credentials = parseAuthorization(request.headers.authorization);
    const subject =
      credentials?.scheme === "basic"
        ? await access.signIn(request, credentials.name, credentials.password, "basic")
        : undefined;
    await answer(request, reply, access, issuer, subject, scopesOf(query.scope));
  });

  app.post(TOKEN_PATH, async (request, reply) => {
    if (!request.headers["content-type"]?.startsWith("application/x-www-form-urlencoded")) {
      throw new OciError(
        "UNSUPPORTED",
        "send the OAuth2 form as x-www-form-urlencoded",
        undefined,
        {
          status: 400,
        },
      );
    }
    const form = new URLSearchParams((await readBody(request, MAX_FORM_BYTES)).toString("utf8"));
    requireOurService(access, form.get("service") ?? undefined);
    if (form.get("grant_type") !== "password") {
      throw new OciError("UNSUPPORTED", "only the password grant is supported", undefined, {
        status: 400,
      });
    }
    const subject = await access.signIn(
      request,
      form.get("username") ?? "",
      form.get("password") ?? "",
      "basic",
    );
    await answer(request, reply, access, issuer, subject, scopesOf(form.getAll("scope")));
  });
}

async function answer(
  request: FastifyRequest,
  reply: FastifyReply,
  access: AccessControl,
  issuer: TokenIssuer,
  subject: string | undefined,
  asked: Scope[],
): Promise<void> {
  access.throttle(request, subject);
  // So the request's log line names the account, as /v2 lines do.
  request.caller = policyCaller(access.options.policy, subject);
  const granted = access.grant(subject, asked);
  const issued = await issuer.issue(subject, granted);
  request.log.info({ subject, granted: granted.length, asked: asked.length }, "token issued");
  reply.header("cache-control", "no-store");
  sendJson(reply, {
    token: issued.token,
    access_token: issued.token,
    expires_in: issued.expiresIn,
    issued_at: issued.issuedAt,
  });
}

/** Scopes come as repeated parameters, and some clients join several with spaces. */
function scopesOf(values: string | string[] | undefined): Scope[] {
  const texts = (Array.isArray(values) ? values : values === undefined ? [] : [values]).flatMap(
    (value) => value.split(" "),
  );
  return texts.flatMap((text) => parseScope(text) ?? []);
}

function requireOurService(access: AccessControl, service: string | undefined): void {
  if (service !== undefined && service !== access.options.service) {
    throw new OciError(
      "UNSUPPORTED",
      `this token service serves ${access.options.service}`,
      {
        service,
      },
      { status: 400 },
    );
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
