/** Real parts for gateway tests: an OIDC issuer on loopback, a published server over HTTP, TLS. */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createMcpHandler, fromJsonSchema, McpServer } from "@modelcontextprotocol/server";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { Agent, fetch as undiciFetch } from "undici";
import type { CallObserver, ObservedCall, ObservedRecord } from "../../gateway/call-observer.ts";
import { generateKeyPairSync } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { buildApp, DEFAULT_GATEWAY_OPTIONS } from "../../gateway/app.ts";
import { HeldServer } from "../../gateway/held.ts";
import { createAuthenticator, discoverIssuer } from "../../gateway/identity.ts";
import { createGatewayMetrics } from "../../gateway/metrics.ts";
import { listUpstream } from "../../gateway/upstream.ts";
import { parseAccess } from "../../policies/runtime/access.ts";
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
 * `@modelcontextprotocol/server-everything` in its Streamable HTTP mode, on a loopback port (a
 * given one for a server restarted where it was); `node` options (a preload) and environment
 * added for the benchmark.
 */
export async function startEverything(
  extra: { nodeArgs?: string[]; env?: Record<string, string>; port?: number } = {},
): Promise<RunningServer> {
  const entry = await installNpmServer(NPM_SERVERS.everything);
  const port = extra.port ?? (await freePort());
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

/**
 * Opens an MCP session at `url` as an agent does (initialize, then notifications/initialized) and
 * returns the headers every later request of the session carries.
 * @throws Error when the server gives no session
 */
export async function openSession(
  url: string,
  dispatcher: Agent,
  extra: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<Record<string, string>> {
  const headers = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...extra,
  };
  const post = async (h: Record<string, string>, body: unknown) =>
    await undiciFetch(url, {
      method: "POST",
      headers: h,
      dispatcher,
      signal: AbortSignal.timeout(timeoutMs),
      body: JSON.stringify(body),
    });
  const res = await post(headers, {
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "mcp-warden-test", version: "1" },
    },
  });
  await res.text();
  const session = res.headers.get("mcp-session-id");
  if (!session) throw new Error(`no session from ${url} (HTTP ${res.status})`);
  const out = { ...headers, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" };
  await (await post(out, { jsonrpc: "2.0", method: "notifications/initialized" })).text();
  return out;
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

const SUM_SCHEMA = {
  type: "object",
  properties: { a: { type: "number" }, b: { type: "number" } },
  required: ["a", "b"],
} as const;

/** A 2.4.0 server on loopback that remembers the Authorization headers it was sent. */
export async function startModernServer(
  seen: (string | undefined)[],
): Promise<{ url: URL; close(): Promise<void> }> {
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: "modern-sum", version: "1.0.0" });
    server.registerTool(
      "sum",
      { description: "Adds two numbers", inputSchema: fromJsonSchema(SUM_SCHEMA) },
      (args) => {
        const { a, b } = args as { a: number; b: number };
        return { content: [{ type: "text", text: String(a + b) }] };
      },
    );
    server.registerTool(
      "secret",
      { description: "Not in the evaluation", inputSchema: fromJsonSchema({ type: "object" }) },
      () => ({ content: [{ type: "text", text: "leaked" }] }),
    );
    return server;
  });
  const http: Server = createServer((req: IncomingMessage, res) => {
    seen.push(req.headers.authorization);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === "string") headers.set(k, v);
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      const request = new Request(`http://127.0.0.1${req.url}`, {
        method: req.method,
        headers,
        ...(body && req.method !== "GET" && req.method !== "HEAD" ? { body } : {}),
      });
      handler
        .fetch(request)
        .then(async (response) => {
          res.writeHead(response.status, Object.fromEntries(response.headers));
          if (response.body)
            for await (const chunk of response.body as AsyncIterable<Uint8Array>) res.write(chunk);
          res.end();
        })
        .catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`),
    close: async () => {
      await handler.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** The gateway's app over {@link startModernServer}, its OIDC issuer and what the server saw. */
export interface ModernGateway {
  app: FastifyInstance;
  oidc: OidcIssuer;
  /** The Authorization header of every request that reached the server. */
  authorizations: (string | undefined)[];
  close(): Promise<void>;
}

/**
 * The gateway's app (not listening) in front of {@link startModernServer}: the evaluation
 * approves `sum` only, and a grant gives the agent `calc` (OIDC subject `carol`) every tool, so
 * only the evaluation keeps `secret` out. No registry: the app is built over the predicate as
 * startGateway does after verification.
 */
export async function modernGateway(
  observer: CallObserver = new KeepingObserver(),
): Promise<ModernGateway> {
  const authorizations: (string | undefined)[] = [];
  const [server, oidc] = await Promise.all([startModernServer(authorizations), startOidcIssuer()]);
  const listing = await listUpstream(server.url);
  const { tools } = readToolDefinitions(listing.tools, "tools");
  const fixture = validPredicate();
  const predicate = parsePredicate({
    ...fixture,
    vulnerabilities: [],
    controls: fixture.controls.map((c) => ({ ...c, waived: undefined })),
    permissions: {
      egress: [],
      filesystem: [],
      credentials: [],
      ingress: {
        agents: [{ name: "calc", subjects: [{ issuer: oidc.issuer, subject: "carol" }] }],
      },
    },
    tools: pinTools(tools.filter((t) => t.name === "sum")),
    prompts: undefined,
    resourceTemplates: undefined,
    instructions: undefined,
  });
  const logger = pino({ level: "silent" });
  const metrics = createGatewayMetrics();
  const held = new HeldServer(predicate, { server: "modern-sum", metrics, logger });
  held.update(listing);
  const grant = parseAccess({
    apiVersion: "mcp-warden.dev/v1alpha1",
    kind: "MCPWardenAccess",
    metadata: { name: "calc", namespace: "mcp-warden-system" },
    spec: {
      server: { namespace: "mcp", name: "modern" },
      agents: ["calc"],
      tools: ["*"],
      reason: "test",
    },
  });
  const app = buildApp(
    {
      ...DEFAULT_GATEWAY_OPTIONS,
      allowedOrigins: [],
      resource: "http://127.0.0.1/mcp",
      authorizationServers: [oidc.issuer],
      rateLimit: undefined,
      server: {
        name: "modern-sum",
        version: "1.0.0",
        imageDigest: "sha256:" + "0".repeat(64),
        pod: "modern-gw",
        namespace: "mcp",
        deployment: "modern",
      },
    },
    {
      upstream: server.url,
      authenticate: createAuthenticator({
        audience: "gateway-test",
        serviceAccounts: { kind: "none" },
        oidc: [await discoverIssuer(oidc.issuer, ["gateway-test"])],
        clockSkewSeconds: 5,
        now: () => Date.now(),
      }),
      held,
      agents: predicate.permissions?.ingress.agents ?? [],
      grants: () => [grant],
      adminNamespaces: ["mcp-warden-system"],
      observer,
      metrics,
      logger,
      now: () => new Date(),
      onListChanged: () => undefined,
      grantsReady: () => true,
    },
  );
  return {
    app,
    oidc,
    authorizations,
    close: async () => {
      await app.close();
      await server.close();
      await oidc.close();
    },
  };
}
