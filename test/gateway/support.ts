/** Real parts for gateway tests: an OIDC issuer on loopback, a published server over HTTP, TLS. */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { Agent, fetch as undiciFetch } from "undici";
import type { CallObserver, ObservedCall, ObservedRecord } from "../../gateway/call-observer.ts";
import { generateKeyPairSync } from "node:crypto";
import { listUpstream } from "../../gateway/upstream.ts";
import type { IngressAgent } from "../../policies/evaluation/predicate.ts";
import { parsePredicate } from "../../policies/evaluation/predicate.ts";
import { pinTools, readToolDefinitions } from "../../policies/evaluation/tool-pins.ts";
import { RegistryClient } from "../../supply-chain/registry/client.ts";
import { keySigner } from "../../supply-chain/sign/key-signer.ts";
import { attestEvaluation, signImage } from "../../supply-chain/sign/sign-image.ts";
import { validPredicate } from "../support/evaluation.ts";
import { pushImage } from "../support/supply-chain.ts";
import { installNpmServer, NPM_SERVERS } from "../support/mcp-servers.ts";

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface OidcIssuer {
  issuer: string;
  /** A JWT signed by the issuer's key; `claims` override the defaults. */
  token(claims: Record<string, unknown>, expiresIn?: string | number): Promise<string>;
  /** A JWT signed by a key the issuer does not publish. */
  forged(claims: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** An OpenID issuer on loopback: discovery and JWKS served over HTTP, tokens signed with its key. */
export async function startOidcIssuer(): Promise<OidcIssuer> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const other = await generateKeyPair("ES256");
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  let issuer = "";
  const server: Server = createServer((req, res) => {
    if (req.url === "/.well-known/openid-configuration") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (req.url === "/jwks") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [jwk] }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sign = (key: CryptoKey, claims: Record<string, unknown>, expiresIn: string | number) =>
    new SignJWT({ aud: "gateway-test", ...claims })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(key);
  return {
    get issuer() {
      return issuer;
    },
    token: (claims, expiresIn = "10m") => sign(privateKey, claims, expiresIn),
    forged: (claims) => sign(other.privateKey, claims, "10m"),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface RunningServer {
  url: URL;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * `@modelcontextprotocol/server-everything` in its Streamable HTTP mode, on a loopback port;
 * `node` options (a preload) and environment added for the benchmark.
 */
export async function startEverything(
  extra: { nodeArgs?: string[]; env?: Record<string, string> } = {},
): Promise<RunningServer> {
  const entry = await installNpmServer(NPM_SERVERS.everything);
  const port = await freePort();
  const child = spawn(process.execPath, [...(extra.nodeArgs ?? []), entry, "streamableHttp"], {
    env: { ...process.env, ...extra.env, PORT: String(port) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(
      () => reject(new Error(`server-everything did not start: ${seen}`)),
      30_000,
    );
    child.stderr.on("data", (c: Buffer) => {
      seen += c.toString();
      if (seen.includes("listening on port")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server-everything exited (${code}): ${seen}`));
    });
  });
  child.removeAllListeners("exit");
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** fetch that trusts `ca` (the gateway's test CA), as the SDK clients' `fetch` option takes. */
export function fetchTrusting(ca: string): typeof fetch {
  const dispatcher = new Agent({ connect: { ca } });
  return ((url: string | URL, init?: RequestInit) =>
    undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}

/** An observer that keeps what it is given, and can be told to fail. */
export class KeepingObserver implements CallObserver {
  readonly intents: ObservedCall[] = [];
  readonly records: ObservedRecord[] = [];
  failRecords = false;

  intent(call: ObservedCall): Promise<void> {
    this.intents.push(call);
    return Promise.resolve();
  }

  record(record: ObservedRecord): Promise<void> {
    if (this.failRecords) return Promise.reject(new Error("the sink is full"));
    this.records.push(record);
    return Promise.resolve();
  }
}

export interface SignedServer {
  /** The server's image, pinned, signed and carrying its evaluation in the registry. */
  image: string;
  /** A policy trusting the key that signed it; `spec` is merged in. */
  policy(spec?: Record<string, unknown>): Record<string, unknown>;
}

/**
 * Signs an image for the running server and attaches an evaluation that pins what it lists now
 * (without `unpinned`) and declares `agents`, in the real registry.
 */
export async function signedEvaluation(
  registry: { host: string },
  upstream: URL,
  agents: IngressAgent[],
  unpinned: readonly string[] = [],
): Promise<SignedServer> {
  const listing = await listUpstream(upstream);
  const { tools } = readToolDefinitions(listing.tools, "tools");
  const fixture = validPredicate();
  const predicate = parsePredicate({
    ...fixture,
    time: new Date(Date.now() - 60_000).toISOString(),
    server: { ...fixture.server, name: "io.github.modelcontextprotocol/server-everything" },
    vulnerabilities: [],
    controls: fixture.controls.map((c) => ({ ...c, waived: undefined })),
    permissions: { egress: [], filesystem: [], credentials: [], ingress: { agents } },
    tools: pinTools(tools.filter((t) => !unpinned.includes(t.name))),
    prompts: undefined,
    resourceTemplates: undefined,
    instructions: undefined,
  });
  const client = new RegistryClient();
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const repo = `${registry.host}/mcp/everything`;
  const pushed = await pushImage(client, repo, "everything", `signed-${Date.now()}`);
  const image = `${repo}@${pushed.manifest.digest}`;
  await signImage(client, image, keySigner(key.privateKey), new Date());
  await attestEvaluation(client, image, predicate, keySigner(key.privateKey), new Date());
  const publicKey = key.publicKey.export({ type: "spki", format: "pem" }).toString();
  return {
    image,
    policy: (spec = {}) => ({
      apiVersion: "mcp-warden.dev/v1alpha1",
      kind: "MCPWardenPolicy",
      metadata: { name: "gateway-test" },
      spec: {
        images: {
          trustedSigners: [{ key: { publicKey } }],
          evaluation: { minTrustLevel: "L1", maxAge: "720h" },
        },
        exceptions: { namespaces: ["mcp-warden-system"] },
        ...spec,
      },
    }),
  };
}
