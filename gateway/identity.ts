import { hash } from "node:crypto";
import {
  createRemoteJWKSet,
  decodeJwt,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import { errorMessage } from "../policies/errors.ts";
import { isRecord } from "../policies/guards.ts";
import { serviceAccountOf, type Identity } from "../policies/runtime/identity.ts";
import type { TokenReviewResult } from "../cluster/token-review.ts";
import { GatewayError } from "./errors.ts";

/**
 * Agent identity (DESIGN.md "Runtime gateway"): a bearer token on every request, either a
 * projected Kubernetes ServiceAccount token with the gateway's audience (TokenReview, or offline
 * against the cluster issuer's keys) or a JWT from a configured OIDC issuer.
 */

export type ServiceAccountCheck =
  | {
      kind: "token-review";
      review: (token: string, audiences: string[]) => Promise<TokenReviewResult>;
    }
  | { kind: "jwks"; keys: JWTVerifyGetKey }
  | { kind: "none" };

export interface OidcIssuer {
  issuer: string;
  audiences: string[];
  keys: JWTVerifyGetKey;
}

export interface AuthenticatorOptions {
  audience: string;
  serviceAccounts: ServiceAccountCheck;
  oidc: readonly OidcIssuer[];
  clockSkewSeconds: number;
  /** The clock, for reviews cached until then. */
  now: () => number;
}

export type Authenticate = (token: string) => Promise<Identity>;

// Asymmetric only: a symmetric algorithm would let anyone with the (public) JWKS forge tokens.
const ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
];
const REVIEW_CACHE_MS = 10_000;
const REVIEW_CACHE_MAX = 10_000;

function unauthenticated(why: string, cause?: unknown): GatewayError {
  return new GatewayError("UNAUTHENTICATED", why, cause === undefined ? {} : { cause });
}

function why(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return "the token has expired";
  if (err instanceof joseErrors.JWTClaimValidationFailed)
    return `the token's ${err.claim} is not accepted`;
  if (err instanceof joseErrors.JOSEError) return `the token does not verify (${err.code})`;
  return errorMessage(err);
}

/** A URL fetched for keys: https, or http on loopback only (tests, a local issuer). */
export function keysUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new GatewayError("CONFIG", `${what} ${text} is not a URL`);
  }
  const loopback = ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback))
    throw new GatewayError("CONFIG", `${what} ${text} must be https (http only on loopback)`);
  return url;
}

/** An issuer's keys from its OpenID discovery document, which must name the same issuer. */
export async function discoverIssuer(issuer: string, audiences: string[]): Promise<OidcIssuer> {
  const base = keysUrl(issuer, "--oidc-issuer");
  const url = new URL(`${base.href.replace(/\/+$/, "")}/.well-known/openid-configuration`);
  let doc: unknown;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: "error" });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    doc = await res.json();
  } catch (err) {
    throw new GatewayError("CONFIG", `OIDC discovery at ${url.href} failed: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  if (!isRecord(doc) || doc.issuer !== issuer || typeof doc.jwks_uri !== "string")
    throw new GatewayError(
      "CONFIG",
      `OIDC discovery at ${url.href} does not name issuer ${issuer} and a jwks_uri`,
    );
  return { issuer, audiences, keys: createRemoteJWKSet(keysUrl(doc.jwks_uri, "jwks_uri")) };
}

/** A token's cache key: its SHA-256, so the cache holds no bearer token itself. */
const tokenKey = (token: string): string => hash("sha256", token, "hex");

export function createAuthenticator(opts: AuthenticatorOptions): Authenticate {
  const reviews = new Map<string, { identity: Identity; until: number }>();

  const fromUsername = (username: string | undefined, issuer: string): Identity => {
    const sa = username === undefined ? undefined : serviceAccountOf(username);
    if (sa === undefined) throw unauthenticated("the token is not a ServiceAccount's");
    return { kind: "serviceAccount", issuer, ...sa };
  };

  const viaReview = async (
    token: string,
    review: (token: string, audiences: string[]) => Promise<TokenReviewResult>,
  ): Promise<Identity> => {
    const key = tokenKey(token);
    const hit = reviews.get(key);
    const now = opts.now();
    if (hit && hit.until > now) return hit.identity;
    let result: TokenReviewResult;
    try {
      result = await review(token, [opts.audience]);
    } catch (err) {
      // The API server could not be asked: nobody is let in (fail closed).
      throw unauthenticated(`the token could not be reviewed: ${errorMessage(err)}`, err);
    }
    if (!result.authenticated) throw unauthenticated(result.error ?? "the token is not valid");
    if (!result.audiences.includes(opts.audience))
      throw unauthenticated("the token is not for this gateway's audience");
    const identity = fromUsername(result.username, "kubernetes");
    if (reviews.size >= REVIEW_CACHE_MAX) reviews.clear();
    let until = now + REVIEW_CACHE_MS;
    try {
      const exp = decodeJwt(token).exp;
      if (typeof exp === "number") until = Math.min(until, exp * 1000);
    } catch {
      until = now;
    }
    reviews.set(key, { identity, until });
    return identity;
  };

  const verify = async (
    token: string,
    keys: JWTVerifyGetKey,
    check: { issuer?: string; audience: string | string[] },
  ): Promise<JWTPayload> => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        ...check,
        algorithms: ALGORITHMS,
        clockTolerance: opts.clockSkewSeconds,
        requiredClaims: ["exp", "sub", "iss"],
        currentDate: new Date(opts.now()),
      });
      return payload;
    } catch (err) {
      throw unauthenticated(why(err), err);
    }
  };

  // A verified JWT stays verified until it expires: its identity is kept briefly, by its hash.
  const verified = new Map<string, { identity: Identity; until: number }>();
  const remember = (token: string, identity: Identity, exp: number | undefined): Identity => {
    const now = opts.now();
    const until = Math.min(now + REVIEW_CACHE_MS, (exp ?? 0) * 1000);
    if (until > now) {
      if (verified.size >= REVIEW_CACHE_MAX) verified.clear();
      verified.set(tokenKey(token), { identity, until });
    }
    return identity;
  };

  return async (token) => {
    const hit = verified.get(tokenKey(token));
    if (hit && hit.until > opts.now()) return hit.identity;
    let claimed: string | undefined;
    try {
      claimed = decodeJwt(token).iss;
    } catch {
      claimed = undefined;
    }
    // The unverified `iss` only chooses whose keys verify the token.
    const oidc = opts.oidc.find((o) => o.issuer === claimed);
    if (oidc) {
      const payload = await verify(token, oidc.keys, {
        issuer: oidc.issuer,
        audience: oidc.audiences,
      });
      return remember(
        token,
        { kind: "subject", issuer: oidc.issuer, subject: payload.sub! },
        payload.exp,
      );
    }
    const sa = opts.serviceAccounts;
    if (sa.kind === "token-review") return viaReview(token, sa.review);
    if (sa.kind === "jwks") {
      const payload = await verify(token, sa.keys, { audience: opts.audience });
      return remember(token, fromUsername(payload.sub, payload.iss!), payload.exp);
    }
    throw unauthenticated("the token is from no trusted issuer");
  };
}
