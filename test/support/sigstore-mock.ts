/**
 * Fulcio, Rekor and a timestamp authority for tests: `@sigstore/mock`'s request handlers mounted
 * on one real `node:http` server on 127.0.0.1 (random port), with the trusted root that matches
 * their keys, and OIDC tokens the mock Fulcio accepts.
 *
 *   const sigstore = await startSigstoreMock();
 *   try { ... sigstore.url, sigstore.trustedRoot, sigstore.token({ sub }) ... }
 *   finally { await sigstore.stop(); }
 *
 * What the mock does and does not check (read from @sigstore/mock 0.13's code):
 * - Fulcio (`POST /api/v2/signingCert`) decodes the JWT without verifying its signature or
 *   audience and takes `iss` (issuer extension) and `sub` (URI subject alternative name) from
 *   it; the proof of possession is not checked. Certificates are valid for 10 minutes, issued
 *   directly by a self-signed root, and carry an embedded SCT when a CT log is configured.
 * - Rekor (`POST /api/v1/log/entries`) logs the proposed entry as the body, so DSSE bundles need
 *   `intoto` entries (a `dsse` proposal is not canonicalized the way real Rekor does). Every
 *   entry comes with a signed entry timestamp and a one-leaf inclusion proof whose checkpoint is
 *   signed with origin `127.0.0.1:PORT`.
 * - TSA (`POST /api/v1/timestamp`) answers RFC 3161 responses signed by an intermediate
 *   (`CN=tsa signing`) under its own root, stamped with the current whole second (see below).
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  fulcioHandler,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  initializeTSA,
  rekorHandler,
  tsaHandler,
  type HandlerFn,
} from "@sigstore/mock";
import { HashAlgorithm, PublicKeyDetails, TrustedRoot } from "@sigstore/protobuf-specs";

export const TRUSTED_ROOT_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

export interface SigstoreMockOptions {
  /** Embed SCTs from a mock CT log in Fulcio certificates (and list the log in the root). */
  ctlog?: boolean;
}

export interface TokenClaims {
  /** Becomes the certificate's subject alternative name. */
  sub: string;
  /** Becomes the certificate's issuer extension. */
  iss: string;
  /** Extra claims (the mock maps GitHub claims such as `repository` to Fulcio extensions). */
  [claim: string]: unknown;
}

export interface SigstoreMock {
  /** `http://127.0.0.1:PORT`: the base URL of Fulcio, Rekor and the TSA alike. */
  url: string;
  /** The matching sigstore TrustedRoot, in its JSON form (write it out for cosign). */
  trustedRoot: Record<string, unknown>;
  /** A signed JWT with these claims (ES256, `aud: sigstore`, valid for 10 minutes). */
  token(claims: TokenClaims): string;
  /** Every request served, in order, as `METHOD /path STATUS`. */
  requests: string[];
  stop(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

function bytes(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

function der(key: KeyObject): Buffer {
  return key.export({ type: "spki", format: "der" });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw new Error("request body too large");
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function startSigstoreMock(opts: SigstoreMockOptions = {}): Promise<SigstoreMock> {
  const routes = new Map<string, HandlerFn>();
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const done = (status: number, contentType: string, body: string | Uint8Array): void => {
      requests.push(`${req.method} ${path} ${status}`);
      res.writeHead(status, { "content-type": contentType });
      res.end(body);
    };
    const handler = req.method === "POST" ? routes.get(path) : undefined;
    if (!handler) {
      done(404, "text/plain", `no mock service at ${req.method} ${path}`);
      return;
    }
    readBody(req)
      .then((body) => handler(body))
      .then(({ statusCode, response, contentType }) =>
        done(
          statusCode,
          contentType ?? "text/plain",
          typeof response === "string"
            ? response
            : new Uint8Array(response.buffer, response.byteOffset, response.byteLength),
        ),
      )
      .catch((err: unknown) => done(500, "text/plain", String(err)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });

  try {
    const p256 = () => generateKeyPairSync("ec", { namedCurve: "P-256" });
    // Validity windows start a minute back: Rekor's integrated time is in whole seconds.
    const start = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    // The mock TSA encodes genTime as DER GeneralizedTime with trailing zeros of the fraction
    // dropped (".12Z" at 120 ms, as DER requires), which @sigstore/core's parser rejects
    // ("invalid time": it wants exactly three digits or none). Its clock is therefore a Date we
    // set to the current whole second before each request; real TSAs emit whole seconds too.
    const tsaClock = new Date();
    const rekorKeys = p256();
    const ctKeys = p256();
    const [ctlog, tlog, tsa] = await Promise.all([
      opts.ctlog === false ? Promise.resolve(undefined) : initializeCTLog(ctKeys),
      initializeTLog(url, rekorKeys),
      initializeTSA(p256(), tsaClock),
    ]);
    const ca = await initializeCA(p256(), ctlog);
    const fulcio = fulcioHandler(ca);
    const rekor = rekorHandler(tlog);
    const timestamp = tsaHandler(tsa);
    routes.set(fulcio.path, fulcio.fn);
    routes.set(rekor.path, rekor.fn);
    routes.set(timestamp.path, (body) => {
      tsaClock.setTime(Math.floor(Date.now() / 1000) * 1000);
      return timestamp.fn(body);
    });

    const rekorSpki = der(rekorKeys.publicKey);
    const root: TrustedRoot = {
      mediaType: TRUSTED_ROOT_MEDIA_TYPE,
      certificateAuthorities: [
        {
          subject: { organization: "sigstore.mock", commonName: "sigstore" },
          uri: url,
          certChain: { certificates: [{ rawBytes: bytes(ca.rootCertificate) }] },
          validFor: { start, end: undefined },
          operator: "",
        },
      ],
      tlogs: [
        {
          baseUrl: url,
          hashAlgorithm: HashAlgorithm.SHA2_256,
          publicKey: {
            rawBytes: rekorSpki,
            keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
            validFor: { start, end: undefined },
          },
          logId: { keyId: createHash("sha256").update(rekorSpki).digest() },
          checkpointKeyId: undefined,
          operator: "",
        },
      ],
      ctlogs: ctlog
        ? [
            {
              baseUrl: `${url}/ct`,
              hashAlgorithm: HashAlgorithm.SHA2_256,
              publicKey: {
                rawBytes: ctlog.publicKey,
                keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
                validFor: { start, end: undefined },
              },
              logId: { keyId: bytes(ctlog.logID) },
              checkpointKeyId: undefined,
              operator: "",
            },
          ]
        : [],
      timestampAuthorities: [
        {
          subject: { organization: "sigstore.mock", commonName: "tsa" },
          uri: `${url}/api/v1/timestamp`,
          certChain: {
            certificates: [
              { rawBytes: bytes(tsa.intCertificate) },
              { rawBytes: bytes(tsa.rootCertificate) },
            ],
          },
          validFor: { start, end: undefined },
          operator: "",
        },
      ],
    };

    // The "OIDC provider": a key of its own, so tokens are real signed JWTs (the mock Fulcio
    // does not verify them, but nothing here depends on that).
    const issuerKey = p256();
    const kid = createHash("sha256").update(der(issuerKey.publicKey)).digest("hex").slice(0, 16);
    const token = (claims: TokenClaims): string => {
      const now = Math.floor(Date.now() / 1000);
      const header = b64url(JSON.stringify({ alg: "ES256", typ: "JWT", kid }));
      const payload = b64url(
        JSON.stringify({ aud: "sigstore", iat: now, nbf: now, exp: now + 600, ...claims }),
      );
      const signature = sign("sha256", Buffer.from(`${header}.${payload}`), {
        key: issuerKey.privateKey,
        dsaEncoding: "ieee-p1363",
      });
      return `${header}.${payload}.${b64url(signature)}`;
    };

    return {
      url,
      trustedRoot: TrustedRoot.toJSON(root) as Record<string, unknown>,
      token,
      requests,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
