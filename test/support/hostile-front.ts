/**
 * A misbehaving registry for tests: a node HTTP server on loopback in front of a real
 * `docker-registry`, passing requests through unless a rule answers them itself (garbled headers,
 * malformed JSON, endless or trickling bodies, redirects elsewhere). It can also serve content it
 * made up, by digest, as a registry that controls its own storage would.
 *
 *   const front = await startHostileFront(registry.host);
 *   front.rules.push(({ path }, res) => path.endsWith("/tags/list") && garbage(res));
 */
import { createHash } from "node:crypto";
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import {
  EMPTY_DESCRIPTOR,
  MEDIA_TYPES,
  type Descriptor,
} from "../../supply-chain/registry/types.ts";
import { RegistryClient } from "../../supply-chain/registry/client.ts";
import { startRegistry, type RegistryServer } from "./registry-server.ts";
import { pushImage } from "./supply-chain.ts";

export interface FrontRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: IncomingMessage["headers"];
}

/** Answers a request itself (and returns true), or leaves it to the registry (false). */
export type FrontRule = (req: FrontRequest, res: ServerResponse) => boolean;

export interface HostileFront {
  /** `127.0.0.1:PORT`: use it as the registry part of image references. */
  host: string;
  /** `METHOD path` of every request, oldest first (the last 10,000). */
  requests: string[];
  /** Tried in order for every request; the first that answers wins. */
  rules: FrontRule[];
  /** Serves `bytes` at `/v2/<any repo>/blobs/<digest>` and `/manifests/<digest>`; its descriptor. */
  serve(bytes: Uint8Array | string, mediaType: string): Descriptor;
  close(): Promise<void>;
}

const MAX_RECORDED = 10_000;

export async function startHostileFront(target: string): Promise<HostileFront> {
  const [targetHost = "", targetPort = ""] = target.split(":");
  const store = new Map<string, { bytes: Buffer; mediaType: string }>();
  const requests: string[] = [];
  const rules: FrontRule[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? "/";
    requests.push(`${req.method} ${path}`);
    if (requests.length > MAX_RECORDED) requests.shift();
    const front: FrontRequest = { method: req.method ?? "GET", path, headers: req.headers };
    for (const rule of rules) {
      if (rule(front, res)) {
        req.resume();
        return;
      }
    }
    const stored = /^\/v2\/.+\/(?:blobs|manifests)\/(sha256:[a-f0-9]{64})$/.exec(path);
    const content = stored ? store.get(stored[1] ?? "") : undefined;
    if (content) {
      res.writeHead(200, {
        "content-type": content.mediaType,
        "content-length": String(content.bytes.byteLength),
        "docker-content-digest": stored![1],
      });
      res.end(req.method === "HEAD" ? undefined : content.bytes);
      return;
    }
    const upstream = httpRequest(
      {
        host: targetHost,
        port: Number(targetPort),
        path,
        method: req.method,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    rules,
    serve(bytes, mediaType) {
      const buf = Buffer.from(bytes);
      const digest = `sha256:${createHash("sha256").update(buf).digest("hex")}`;
      store.set(digest, { bytes: buf, mediaType });
      return { mediaType, digest, size: buf.byteLength };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `path` (without query) ends with `suffix` and the method is one of `methods` (any when empty). */
export function matches(req: FrontRequest, suffix: string | RegExp, ...methods: string[]): boolean {
  const path = req.path.split("?", 1)[0] ?? "";
  const hit = typeof suffix === "string" ? path.endsWith(suffix) : suffix.test(path);
  return hit && (methods.length === 0 || methods.includes(req.method));
}

/** Answers with exactly these status, headers and body (HEAD gets no body). */
export function answer(
  req: FrontRequest,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Uint8Array = "",
): true {
  res.writeHead(status, headers);
  res.end(req.method === "HEAD" ? undefined : body);
  return true;
}

/**
 * Streams `prefix`, then `chunk` again and again (no Content-Length) until the client goes away or `maxBytes`
 * have been sent; writes wait for the socket to drain, so the server never buffers much.
 */
export function endless(
  res: ServerResponse,
  headers: Record<string, string>,
  chunk: string,
  prefix = "",
  maxBytes = 1024 * 1024 * 1024,
): true {
  res.writeHead(200, headers);
  const buf = Buffer.from(chunk);
  let sent = 0;
  if (prefix !== "") res.write(prefix);
  const pump = (): void => {
    while (sent < maxBytes && !res.destroyed) {
      sent += buf.byteLength;
      if (!res.write(buf)) {
        res.once("drain", pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
  return true;
}

/**
 * A slowloris answer: the status and headers at once, then one body byte every `everyMs`; or,
 * with `slowHeaders`, the status line and then one header byte every `everyMs`. Forever, until
 * the client goes away.
 */
export function trickle(
  res: ServerResponse,
  headers: Record<string, string>,
  everyMs: number,
  slowHeaders = false,
): true {
  const socket = res.socket;
  if (slowHeaders) socket?.write("HTTP/1.1 200 OK\r\nx-slow: ");
  else {
    res.writeHead(200, headers);
    res.flushHeaders();
  }
  const timer = setInterval(() => {
    if (res.destroyed || socket?.destroyed) return clearInterval(timer);
    if (slowHeaders) socket?.write("a");
    else res.write(" ");
  }, everyMs);
  res.on("close", () => clearInterval(timer));
  socket?.on("close", () => clearInterval(timer));
  return true;
}

/** Headers of an OCI index answer. */
export const INDEX_HEADERS = { "content-type": MEDIA_TYPES.ociIndex };

/** An OCI index listing `manifests`, as the fallback tag or a referrers page would hold it. */
export function ociIndex(manifests: unknown[]): string {
  return JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests });
}

/**
 * A bundle referrer of `subjectDigest` whose one layer is `layer`, served by `front`; its
 * descriptor as a referrers list names it.
 */
export function servedReferrer(
  front: HostileFront,
  subjectDigest: string,
  layer: Descriptor,
): Descriptor {
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    artifactType: MEDIA_TYPES.sigstoreBundleV03,
    config: EMPTY_DESCRIPTOR,
    layers: [layer],
    subject: { mediaType: MEDIA_TYPES.ociManifest, digest: subjectDigest, size: 1 },
  });
  return {
    ...front.serve(manifest, MEDIA_TYPES.ociManifest),
    artifactType: MEDIA_TYPES.sigstoreBundleV03,
  };
}

export interface TestImage {
  repo: string;
  digest: string;
  subject: Descriptor;
  /** By digest, in the real registry. */
  direct: string;
  /** By digest, through a hostile front. */
  front: string;
}

/** A real `docker-registry`, a hostile front on it, and a client that pushes test images. */
export interface HostileRegistry {
  registry: RegistryServer;
  front: HostileFront;
  client: RegistryClient;
  /** Pushes a new unsigned one-layer image; `front` names it through `via` (default the front). */
  image(name: string, via?: HostileFront): Promise<TestImage>;
  stop(): Promise<void>;
}

export async function startHostileRegistry(): Promise<HostileRegistry> {
  const registry = await startRegistry();
  const front = await startHostileFront(registry.host);
  const client = new RegistryClient();
  let seq = 0;
  return {
    registry,
    front,
    client,
    async image(name, via = front) {
      const repo = `${registry.host}/mcp/${name}`;
      const pushed = await pushImage(client, repo, `v${++seq}`, `${name}-${seq}-${Date.now()}`);
      const digest = pushed.manifest.digest;
      return {
        repo,
        digest,
        subject: pushed.manifest,
        direct: `${repo}@${digest}`,
        front: `${via.host}/mcp/${name}@${digest}`,
      };
    },
    async stop() {
      await front.close();
      await registry.stop();
    },
  };
}
