/**
 * A real OCI registry on loopback for tests: Debian's `docker-registry` (distribution 2.8, which
 * has no referrers API, so clients must use the tag-schema fallback), filesystem storage in a
 * temporary directory, deletes enabled, optional htpasswd (bcrypt) or token auth.
 *
 *   const registry = await startRegistry({ users: { alice: "s3cret" } });
 *   try { ... registry.host ... } finally { await registry.stop(); }
 */
import { startGuard } from "./process-guard.ts";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import bcrypt from "bcryptjs";

export const REGISTRY_BIN = process.env.MCP_WARDEN_REGISTRY_BIN ?? "/usr/bin/docker-registry";

/** Message for `test(..., { skip })`; false when the registry binary is there. */
export const SKIP_NO_REGISTRY: string | false = existsSync(REGISTRY_BIN)
  ? false
  : `registry tests skipped: ${REGISTRY_BIN} is missing (apt-get install docker-registry)`;

export interface RegistryServerOptions {
  /** htpasswd users (name → password); Basic auth is on when given. */
  users?: Record<string, string>;
  /** Token auth (distribution's `auth: token`): the registry challenges with this realm. */
  token?: { realm: string; service: string; issuer: string; rootCertBundlePem: string };
  /** Location headers relative (`/v2/...`) instead of absolute. */
  relativeUrls?: boolean;
  /** Upper bound for the registry to answer `/v2/`; 20 s unless set. */
  timeoutMs?: number;
}

export interface RegistryServer {
  /** `127.0.0.1:PORT`: the registry part of image references. */
  host: string;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The storage root directory (distribution's filesystem driver layout below it). */
  storage: string;
  /** Where the registry keeps a blob's bytes (manifests are blobs too). */
  blobPath(digest: string): string;
  /** The last lines the registry wrote, for assertion messages. */
  logs(): string;
  /** Kills the registry and removes its directory. */
  stop(): Promise<void>;
}

const LOG_LINES = 200;
const STOP_GRACE_MS = 5000;

export async function startRegistry(opts: RegistryServerOptions = {}): Promise<RegistryServer> {
  if (SKIP_NO_REGISTRY) throw new Error(SKIP_NO_REGISTRY);
  const root = await mkdtemp(join(tmpdir(), "mcp-warden-registry-"));
  const storage = join(root, "data");
  const config: Record<string, unknown> = {
    version: 0.1,
    // Info level: the registry logs the port it bound ("listening on 127.0.0.1:PORT").
    log: { level: "info", accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: storage },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: {
      addr: "127.0.0.1:0",
      secret: "mcp-warden-test",
      relativeurls: opts.relativeUrls ?? false,
    },
  };
  if (opts.users !== undefined) {
    const lines = Object.entries(opts.users).map(
      ([user, password]) => `${user}:${bcrypt.hashSync(password, 4)}`,
    );
    const path = join(root, "htpasswd");
    await writeFile(path, lines.join("\n") + "\n");
    config.auth = { htpasswd: { realm: "mcp-warden-test", path } };
  } else if (opts.token !== undefined) {
    const bundle = join(root, "token-ca.pem");
    await writeFile(bundle, opts.token.rootCertBundlePem);
    config.auth = {
      token: {
        realm: opts.token.realm,
        service: opts.token.service,
        issuer: opts.token.issuer,
        rootcertbundle: bundle,
      },
    };
  }
  const configPath = join(root, "config.yml");
  // YAML is a superset of JSON.
  await writeFile(configPath, JSON.stringify(config, null, 2));

  const guard = startGuard(root);
  const log: string[] = [];
  const child = spawn(REGISTRY_BIN, ["serve", configPath], { stdio: ["ignore", "pipe", "pipe"] });
  let exited: string | undefined;
  let port: number | undefined;
  const onData = (b: Buffer): void => {
    for (const line of b.toString("utf8").split("\n")) {
      if (line === "") continue;
      log.push(line);
      if (log.length > LOG_LINES) log.shift();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(line);
      if (m && port === undefined) port = Number(m[1]);
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  child.on("error", (err) => (exited = `docker-registry failed to start: ${err.message}`));
  child.on(
    "exit",
    (code, signal) => (exited ??= `docker-registry exited (code ${code}, signal ${signal})`),
  );
  if (child.pid !== undefined) guard.stdin?.write(`${child.pid}\n`);
  child.unref();
  for (const s of [child.stdout, child.stderr]) if (s instanceof Socket) s.unref();

  const logs = (): string => log.join("\n");
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    guard.kill("SIGKILL");
    await terminate(child);
    await rm(root, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    for (;;) {
      if (exited !== undefined) throw new Error(exited);
      if (Date.now() > deadline) throw new Error("docker-registry did not answer /v2/ in time");
      if (port !== undefined && (await answers(`http://127.0.0.1:${port}/v2/`))) break;
      await sleep(50);
    }
  } catch (err) {
    const tail = logs();
    await stop();
    throw new Error(`registry did not start: ${String(err)}\n${tail}`, { cause: err });
  }
  const host = `127.0.0.1:${port}`;
  return {
    host,
    url: `http://${host}`,
    storage,
    blobPath: (digest) => {
      const [algorithm = "", hex = ""] = digest.split(":");
      return join(storage, "docker/registry/v2/blobs", algorithm, hex.slice(0, 2), hex, "data");
    },
    logs,
    stop,
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.status === 200 || res.status === 401;
  } catch {
    return false;
  }
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
