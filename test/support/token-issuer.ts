/**
 * A token issuer for distribution's `auth: token` mode (docs/spec/auth/token.md), for tests on
 * loopback: `GET /token?service=…&scope=…` with Basic auth answers `{ token, expires_in }`, the
 * token a JWS (ES256) whose header carries an `x5c` chain: a signing certificate issued by a
 * throwaway CA, which the registry trusts through its `rootcertbundle`.
 *
 * Each user is granted actions per repository; a token grants the intersection of what the scope
 * asked and what the user has (possibly nothing: the registry then refuses). `misissue` makes the
 * issuer name another repository in every token, as a broken or hostile issuer would.
 *
 *   const issuer = await startTokenIssuer({ users: { alice: { password: "pw", repositories: { "team/app": ["pull", "push"] } } } });
 *   startRegistry({ token: { realm: issuer.realm, service: issuer.service, issuer: issuer.issuer, rootCertBundlePem: issuer.rootCertBundlePem } });
 */
import { createPrivateKey, randomUUID, sign, webcrypto } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
// @peculiar/x509 (through tsyringe) needs a Reflect metadata polyfill loaded first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { makeTestCA } from "../e2e/support/certs.ts";
import type { TestCA } from "../e2e/support/certs.ts";

x509.cryptoProvider.set(webcrypto);

const EC = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
const BACKDATE_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface TokenUser {
  password: string;
  /** Repository name → actions the user may have on it (`pull`, `push`, `delete`, `*`). */
  repositories: Record<string, readonly string[]>;
}

export interface TokenIssuerOptions {
  users: Record<string, TokenUser>;
  /** The `service` the registry is configured with (the token's `aud`). */
  service?: string;
  /** The token's `iss`. */
  issuer?: string;
  /** Token lifetime in seconds (`expires_in` and `exp`); 300 unless set. */
  expiresInS?: number;
  /** Name this repository in every token's access claims instead of the one asked for. */
  misissue?: string;
}

/** One request the issuer answered (or refused). */
export interface TokenIssuerRequest {
  /** The Basic-auth user, undefined when there was none. */
  user: string | undefined;
  /** True when the token was issued (credentials accepted). */
  issued: boolean;
  service: string | null;
  /** The `scope` parameters, in order. */
  scopes: string[];
  /** What the token granted. */
  access: ResourceActions[];
}

export interface ResourceActions {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenIssuer {
  /** `http://127.0.0.1:PORT/token`: the registry's `realm`. */
  realm: string;
  service: string;
  issuer: string;
  /** The CA that signed the issuer's signing certificate: the registry's `rootcertbundle`. */
  rootCertBundlePem: string;
  /** Every request so far, oldest first. */
  requests(): TokenIssuerRequest[];
  stop(): Promise<void>;
}

export async function startTokenIssuer(opts: TokenIssuerOptions): Promise<TokenIssuer> {
  const service = opts.service ?? "mcp-warden-test-registry";
  const issuer = opts.issuer ?? "mcp-warden-test-issuer";
  const expiresInS = opts.expiresInS ?? 300;
  const ca = await makeTestCA("mcp-warden test token CA");
  const signer = await issueSigningCert(ca);
  const signingKey = createPrivateKey(signer.key);
  const log: TokenIssuerRequest[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method !== "GET" || url.pathname !== "/token") {
      res.writeHead(404).end();
      return;
    }
    const scopes = url.searchParams.getAll("scope");
    const serviceParam = url.searchParams.get("service");
    const basic = parseBasic(req.headers.authorization);
    const user = basic === undefined ? undefined : opts.users[basic.username];
    if (basic === undefined || user === undefined || user.password !== basic.password) {
      log.push({ user: basic?.username, issued: false, service: serviceParam, scopes, access: [] });
      res
        .writeHead(401, {
          "content-type": "application/json",
          "www-authenticate": 'Basic realm="mcp-warden-test-issuer"',
        })
        .end(JSON.stringify({ details: "invalid credentials" }));
      return;
    }
    const access = scopes.flatMap((s) => grant(s, user, opts.misissue));
    log.push({ user: basic.username, issued: true, service: serviceParam, scopes, access });
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      sub: basic.username,
      aud: serviceParam ?? service,
      exp: now + expiresInS,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const token = signJws(claims, signingKey, [signer.der]);
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ token, expires_in: expiresInS, issued_at: new Date().toISOString() }));
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertBundlePem: ca.cert,
    requests: () => log.map((r) => ({ ...r, scopes: [...r.scopes], access: [...r.access] })),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `repository:<name>:<actions>` → what the user may have of it (nothing for other types). */
function grant(scope: string, user: TokenUser, misissue: string | undefined): ResourceActions[] {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first < 0 || last <= first) return [];
  const type = scope.slice(0, first);
  const name = scope.slice(first + 1, last);
  const asked = scope.slice(last + 1).split(",");
  if (type !== "repository") return [];
  const allowed = user.repositories[name] ?? [];
  const actions = allowed.includes("*") ? asked : asked.filter((a) => allowed.includes(a));
  if (actions.length === 0) return [];
  return [{ type, name: misissue ?? name, actions }];
}

function parseBasic(
  header: string | undefined,
): { username: string; password: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? "");
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** A compact JWS, ES256: the signature is r||s (IEEE P1363), not DER. */
function signJws(claims: object, key: KeyObject, chain: readonly Uint8Array[]): string {
  const header = {
    typ: "JWT",
    alg: "ES256",
    // x5c is standard base64 DER, leaf first (RFC 7515 §4.1.6).
    x5c: chain.map((der) => Buffer.from(der).toString("base64")),
  };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
  return `${input}.${b64url(signature)}`;
}

function b64url(data: string | Uint8Array): string {
  return Buffer.from(data).toString("base64url");
}

/** A leaf certificate for signing tokens, issued by the CA; its key as PKCS#8 PEM. */
async function issueSigningCert(ca: TestCA): Promise<{ der: Uint8Array; key: string }> {
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await webcrypto.subtle.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(ca.key),
    EC,
    false,
    ["sign"],
  );
  const keys = await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"]);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    subject: "CN=mcp-warden test token signer",
    issuer: caCert.subject,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + DAY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  return {
    der: new Uint8Array(cert.rawData),
    key: `${x509.PemConverter.encode(pkcs8, "PRIVATE KEY")}\n`,
  };
}
