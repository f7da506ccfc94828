/**
 * The distribution auth flow (docs/spec/auth/token.md of distribution, and what Docker Hub, GHCR,
 * ECR and friends do): try anonymously; on 401 read `WWW-Authenticate`; for `Basic`, send the
 * registry's credentials; for `Bearer`, get a token from the challenge's realm (with the
 * registry's credentials, when there are any) for the challenge's service and scopes, cache it
 * per registry and scope until it expires, and send it.
 *
 * Credentials belong to the registry host they were configured for. They go to that host (Basic)
 * or to the token realm that host named in its own challenge (Bearer; on Docker Hub the realm is
 * another host), never anywhere else. Redirects that leave the origin drop them (http.ts).
 */
import type { Credential, CredentialSource } from "./credentials.ts";
import type { CallContext, Transport } from "./http.ts";
import { discard, readBounded, registryError } from "./http.ts";
import { LIMITS } from "./limits.ts";

export interface Challenge {
  /** Lowercase: `bearer`, `basic`, … */
  scheme: string;
  /** Parameter names lowercase, values unquoted. */
  params: Record<string, string>;
  token68?: string;
}

const TCHAR = "[!#$%&'*+.^_`|~0-9A-Za-z-]";
const TOKEN_RE = new RegExp(`${TCHAR}+`, "y");
const TOKEN68_RE = /[A-Za-z0-9\-._~+/]+=*/y;
const PARAM_START_RE = new RegExp(
  `(${TCHAR}+)[ \\t]*=[ \\t]*(?=["!#$%&'*+.^_\`|~0-9A-Za-z-])`,
  "y",
);

/**
 * Parses a `WWW-Authenticate` value (RFC 9110 §11.6.1): one or more challenges, each a scheme
 * followed by a token68 or comma-separated `name=value` parameters, values tokens or quoted
 * strings with backslash escapes. Commas inside quoted values do not split anything.
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let i = 0;
  const skip = (re: RegExp): void => {
    re.lastIndex = i;
    const m = re.exec(header);
    if (m) i = re.lastIndex;
  };
  const match = (re: RegExp): RegExpExecArray | null => {
    re.lastIndex = i;
    const m = re.exec(header);
    if (m) i = re.lastIndex;
    return m;
  };
  while (i < header.length) {
    skip(/[\s,]*/y);
    const scheme = match(TOKEN_RE);
    if (!scheme) {
      // Not a challenge: skip to the next comma and try again.
      const next = header.indexOf(",", i);
      if (next < 0) break;
      i = next + 1;
      continue;
    }
    const challenge: Challenge = { scheme: scheme[0].toLowerCase(), params: {} };
    challenges.push(challenge);
    skip(/[ \t]*/y);
    for (;;) {
      const param = match(PARAM_START_RE);
      if (param) {
        challenge.params[(param[1] ?? "").toLowerCase()] = readValue();
      } else if (Object.keys(challenge.params).length === 0 && challenge.token68 === undefined) {
        const t68 = match(TOKEN68_RE);
        if (t68) challenge.token68 = t68[0];
      }
      // A comma followed by another `name=` continues this challenge; anything else starts a new one.
      const save = i;
      skip(/[ \t]*,[\s,]*/y);
      const after = i;
      if (i !== save && match(PARAM_START_RE)) {
        i = after;
        continue;
      }
      i = after;
      break;
    }
  }
  return challenges;

  function readValue(): string {
    if (header[i] !== '"') {
      const t = match(TOKEN_RE);
      return t ? t[0] : "";
    }
    let out = "";
    i++;
    while (i < header.length && header[i] !== '"') {
      if (header[i] === "\\" && i + 1 < header.length) i++;
      out += header[i];
      i++;
    }
    i++; // closing quote (or past the end of an unterminated value)
    return out;
  }
}

/** The challenge to answer: Bearer with a realm first, then Basic. */
export function pickChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  return (
    challenges.find((c) => c.scheme === "bearer" && c.params.realm !== undefined) ??
    challenges.find((c) => c.scheme === "basic")
  );
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

/** `repository:<name>:pull` or `repository:<name>:pull,push`. */
export function repositoryScope(repository: string, push: boolean): string {
  return `repository:${repository}:${push ? "pull,push" : "pull"}`;
}

export interface TokenRequest {
  method: "GET" | "POST";
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

const CLIENT_ID = "mcp-warden";

/**
 * The request for a token from a Bearer challenge. Username and password go as Basic auth on a
 * GET with `service` and one `scope` parameter per scope (the token spec); an identity token goes
 * as an OAuth2 refresh-token grant in a POST form (how Docker uses `identitytoken`); without
 * credentials the GET is anonymous. Scopes are the challenge's plus the ones the operation needs.
 */
export function tokenRequest(
  challenge: Challenge,
  scopes: readonly string[],
  credential: Credential | undefined,
): TokenRequest {
  const realm = challenge.params.realm;
  if (realm === undefined) throw new TypeError("a Bearer challenge needs a realm");
  const url = new URL(realm);
  const service = challenge.params.service;
  const all = mergeScopes(challenge.params.scope, scopes);
  if (credential !== undefined && "identityToken" in credential) {
    const form = new URLSearchParams();
    form.set("grant_type", "refresh_token");
    form.set("refresh_token", credential.identityToken);
    if (service !== undefined) form.set("service", service);
    if (all.length > 0) form.set("scope", all.join(" "));
    form.set("client_id", CLIENT_ID);
    return {
      method: "POST",
      url,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    };
  }
  if (service !== undefined) url.searchParams.set("service", service);
  for (const s of all) url.searchParams.append("scope", s);
  const headers: Record<string, string> = {};
  if (credential !== undefined)
    headers.authorization = basicAuthorization(credential.username, credential.password);
  return { method: "GET", url, headers };
}

function mergeScopes(challengeScope: string | undefined, scopes: readonly string[]): string[] {
  const all = [...(challengeScope?.split(" ") ?? []), ...scopes].filter((s) => s !== "");
  return [...new Set(all)];
}

export interface Token {
  token: string;
  /** Epoch ms after which the token is not reused. */
  expiresAt: number;
}

/** Minimum lifetime the token spec lets a client assume, and the margin kept before expiry. */
const DEFAULT_EXPIRES_IN_S = 60;
const EXPIRY_MARGIN_MS = 5000;

/** Reads a token response: `token` or `access_token`, `expires_in` (default 60 s). */
export function parseTokenResponse(json: unknown, nowMs: number): Token | undefined {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
  const token =
    "token" in json && typeof json.token === "string" && json.token !== ""
      ? json.token
      : "access_token" in json && typeof json.access_token === "string" && json.access_token !== ""
        ? json.access_token
        : undefined;
  if (token === undefined) return undefined;
  const expiresIn =
    "expires_in" in json && typeof json.expires_in === "number" && json.expires_in > 0
      ? Math.max(json.expires_in, DEFAULT_EXPIRES_IN_S)
      : DEFAULT_EXPIRES_IN_S;
  return { token, expiresAt: nowMs + expiresIn * 1000 - EXPIRY_MARGIN_MS };
}

const MAX_TOKEN_RESPONSE_BYTES = LIMITS.maxTokenResponseBytes;
const MAX_CACHED_TOKENS = LIMITS.maxCachedTokens;
const MAX_CHALLENGES = LIMITS.maxRememberedChallenges;

/**
 * Holds what a registry asked for (its last challenge) and the tokens obtained, so that after the
 * first 401 every request goes out authenticated at once.
 */
export class Authenticator {
  private readonly credentials: CredentialSource | undefined;
  private readonly transport: Transport;
  private readonly now: () => number;
  private readonly challenges = new Map<string, Challenge>();
  private readonly tokens = new Map<string, Token>();

  constructor(opts: {
    credentials: CredentialSource | undefined;
    transport: Transport;
    now?: () => number;
  }) {
    this.credentials = opts.credentials;
    this.transport = opts.transport;
    this.now = opts.now ?? Date.now;
  }

  credentialFor(registry: string, repository?: string): Credential | undefined {
    return this.credentials?.forRegistry(registry, repository);
  }

  /**
   * The Authorization header to send before any challenge, from what the registry asked last
   * time: a cached or freshly fetched token, or Basic credentials; undefined for anonymous.
   */
  async authorization(scope: string, ctx: CallContext): Promise<string | undefined> {
    const challenge = this.challenges.get(ctx.registry);
    if (challenge === undefined) return undefined;
    return this.answer(challenge, scope, ctx, false);
  }

  /** Answers a 401: remembers the challenge and returns the header to retry with. */
  async respond(wwwAuthenticate: string | null, scope: string, ctx: CallContext): Promise<string> {
    const challenge = pickChallenge(parseWwwAuthenticate(wwwAuthenticate ?? ""));
    if (challenge === undefined)
      throw registryError(
        "UNAUTHORIZED",
        `answered 401 without a Basic or Bearer challenge (WWW-Authenticate: ${JSON.stringify(wwwAuthenticate ?? "")})`,
        ctx,
        { status: 401 },
      );
    // Registries are named by whoever writes a pod: what we remember of them is bounded.
    if (this.challenges.size >= MAX_CHALLENGES && !this.challenges.has(ctx.registry))
      this.challenges.clear();
    this.challenges.set(ctx.registry, challenge);
    this.tokens.delete(tokenKey(ctx.registry, scope));
    const header = await this.answer(challenge, scope, ctx, true);
    if (header === undefined)
      throw registryError(
        "UNAUTHORIZED",
        `the registry requires credentials and none are configured for ${ctx.registry}`,
        ctx,
        { status: 401 },
      );
    return header;
  }

  /** Forgets a token the registry refused. */
  forget(scope: string, registry: string): void {
    this.tokens.delete(tokenKey(registry, scope));
  }

  private async answer(
    challenge: Challenge,
    scope: string,
    ctx: CallContext,
    fresh: boolean,
  ): Promise<string | undefined> {
    const credential = this.credentialFor(ctx.registry, ctx.repository);
    if (challenge.scheme === "basic") {
      if (credential === undefined) return undefined;
      if (!("username" in credential))
        throw registryError(
          "UNAUTHORIZED",
          "the registry asks for Basic auth but the configured credential is an identity token, which needs a Bearer token service",
          ctx,
          { status: 401 },
        );
      return basicAuthorization(credential.username, credential.password);
    }
    const key = tokenKey(ctx.registry, scope);
    const cached = this.tokens.get(key);
    if (!fresh && cached !== undefined && cached.expiresAt > this.now())
      return `Bearer ${cached.token}`;
    const token = await this.fetchToken(challenge, scope, credential, ctx);
    if (this.tokens.size >= MAX_CACHED_TOKENS) this.tokens.clear();
    this.tokens.set(key, token);
    return `Bearer ${token.token}`;
  }

  private async fetchToken(
    challenge: Challenge,
    scope: string,
    credential: Credential | undefined,
    ctx: CallContext,
  ): Promise<Token> {
    let req: TokenRequest;
    try {
      req = tokenRequest(challenge, [scope], credential);
    } catch (err) {
      throw registryError(
        "PROTOCOL",
        `bad token realm ${JSON.stringify(challenge.params.realm)}`,
        ctx,
        {
          cause: err,
        },
      );
    }
    const tokenCtx: CallContext = {
      ...ctx,
      operation: `${ctx.operation} (token from ${req.url.host})`,
    };
    const init: Parameters<Transport["send"]>[0] = {
      method: req.method,
      url: req.url,
      headers: req.headers,
    };
    if (req.body !== undefined) init.body = req.body;
    const res = await this.transport.send(init, tokenCtx);
    if (res.status === 401 || res.status === 403) {
      await discard(res);
      throw registryError(
        res.status === 401 ? "UNAUTHORIZED" : "DENIED",
        credential === undefined
          ? `the token service refused an anonymous token (HTTP ${res.status}); configure credentials for ${ctx.registry}`
          : `the token service rejected the credentials configured for ${ctx.registry} (HTTP ${res.status})`,
        tokenCtx,
        { status: res.status },
      );
    }
    if (!res.ok) {
      await discard(res);
      throw registryError("PROTOCOL", `the token service answered HTTP ${res.status}`, tokenCtx, {
        status: res.status,
      });
    }
    const bytes = await readBounded(res, MAX_TOKEN_RESPONSE_BYTES, tokenCtx, "the token response");
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch (err) {
      throw registryError("PROTOCOL", "the token response is not JSON", tokenCtx, { cause: err });
    }
    const token = parseTokenResponse(json, this.now());
    if (token === undefined)
      throw registryError(
        "PROTOCOL",
        "the token response has neither `token` nor `access_token`",
        tokenCtx,
      );
    if (token.token.length > LIMITS.maxTokenBytes)
      throw registryError(
        "TOO_LARGE",
        `the token is ${token.token.length} characters, over the ${LIMITS.maxTokenBytes} limit`,
        tokenCtx,
      );
    return token;
  }
}

function tokenKey(registry: string, scope: string): string {
  return `${registry} ${scope}`;
}
