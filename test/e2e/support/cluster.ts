/**
 * A real etcd + kube-apiserver on loopback for end-to-end tests (envtest-style: no
 * controller-manager, no scheduler, no kubelet). Binaries come from scripts/build-k8s-binaries.sh.
 *
 *   const cluster = await startCluster();
 *   try { const core = cluster.kubeConfig().makeApiClient(CoreV1Api); ... }
 *   finally { await cluster.stop(); }
 */
import { startGuard } from "../../support/process-guard.ts";
import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { request as httpRequest } from "node:http";
import { createServer, Socket } from "node:net";
import type { Server } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { issueServingCert, makeTestCA } from "./certs.ts";

/**
 * The Kubernetes releases the suite runs against, oldest first: the oldest and the newest it
 * supports. scripts/build-k8s-binaries.sh builds each (K8S_VERSION=...); .ci/run builds both.
 */
export const K8S_MATRIX = ["v1.34.4", "v1.37.2"] as const;
/** The oldest release: the default of scripts/build-k8s-binaries.sh and of k8sBinDir(). */
export const K8S_VERSION = K8S_MATRIX[0];
export const ETCD_VERSION = "v3.6.16";

/** Message for `test(..., { skip })` when the binaries are not there. */
export const SKIP_NO_BINARIES =
  "e2e: kube-apiserver/etcd not built; run scripts/build-k8s-binaries.sh";

/** The environment variable naming each matrix entry's binaries (oldest, newest). */
const BIN_ENV = ["MCP_WARDEN_K8S_BIN", "MCP_WARDEN_K8S_BIN_NEWEST"] as const;

/** One release of the matrix and where its binaries are. */
export interface K8sRelease {
  /** `v1.34.4`, as built (`kube-apiserver --version` when the directory came from the env). */
  version: string;
  /** Directory holding `kube-apiserver` and `etcd`; undefined when they are missing. */
  binDir: string | undefined;
  /** For `describe(..., { skip })`: false, or why this release's binaries are missing. */
  skip: false | string;
}

function hasBinaries(dir: string): boolean {
  return existsSync(join(dir, "kube-apiserver")) && existsSync(join(dir, "etcd"));
}

/** `v1.37.2` from `kube-apiserver --version` ("Kubernetes v1.37.2"). */
function builtVersion(dir: string): string | undefined {
  try {
    const out = execFileSync(join(dir, "kube-apiserver"), ["--version"], { encoding: "utf8" });
    return /Kubernetes (v\d+\.\d+\.\d+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

function release(index: 0 | 1): K8sRelease {
  const expected = K8S_MATRIX[index];
  const cache = process.env.MCP_WARDEN_CACHE ?? join(homedir(), ".cache", "mcp-warden");
  const fromEnv = process.env[BIN_ENV[index]];
  const dir = fromEnv ?? join(cache, `k8s-${expected}-etcd-${ETCD_VERSION}`);
  if (!hasBinaries(dir)) {
    const build = index === 0 ? "" : `K8S_VERSION=${expected} `;
    return {
      version: expected,
      binDir: undefined,
      skip: `e2e: kube-apiserver/etcd ${expected} not built; run ${build}scripts/build-k8s-binaries.sh`,
    };
  }
  // A directory from the environment may hold another build; name it by what it is.
  const version = (fromEnv === undefined ? undefined : builtVersion(dir)) ?? expected;
  return { version, binDir: dir, skip: false };
}

/** The oldest release ($MCP_WARDEN_K8S_BIN, else the build script's cache directory). */
export function oldestK8s(): K8sRelease {
  return release(0);
}

/** The newest release ($MCP_WARDEN_K8S_BIN_NEWEST, else the build script's cache directory). */
export function newestK8s(): K8sRelease {
  return release(1);
}

/** Every release of the matrix, oldest first, for suites that run against each. */
export function k8sMatrix(): K8sRelease[] {
  return [oldestK8s(), newestK8s()];
}

/**
 * Directory holding the oldest release's `kube-apiserver` and `etcd`: `$MCP_WARDEN_K8S_BIN`,
 * else the build script's cache directory. Undefined when either binary is missing, so callers
 * can skip.
 */
export function k8sBinDir(): string | undefined {
  return oldestK8s().binDir;
}

/** `v1.37.2` → 37. */
export function minorOf(version: string): number {
  const match = /^v1\.(\d+)\./.exec(version);
  if (!match) throw new Error(`not a Kubernetes v1.x version: ${version}`);
  return Number(match[1]);
}

export interface StartClusterOptions {
  /** Defaults to k8sBinDir(). */
  binDir?: string;
  /** Upper bound for etcd and the API server to become ready; 90 s unless set. */
  timeoutMs?: number;
  /** Appended to the API server's flags (a later flag overrides an earlier one). */
  extraApiServerArgs?: string[];
}

/** A user the API server authenticates by bearer token (--token-auth-file). */
export interface TestUser {
  name: string;
  token: string;
  groups: string[];
}

/**
 * `admin` (system:masters), `dev` (no groups: RBAC grants it nothing beyond discovery) and
 * `webhook`, authenticated as the mcp-warden ServiceAccount, so deploy/rbac.yaml is what it may do.
 */
export interface Users {
  admin: TestUser;
  dev: TestUser;
  webhook: TestUser;
}
export type UserKey = keyof Users;

export interface TestCluster {
  /** https://127.0.0.1:PORT */
  server: string;
  /** The API server's gitVersion (GET /version), e.g. `v1.37.2`. */
  version: string;
  /** PEM CA that signed the API server's serving certificate. */
  caData: string;
  /** Bearer token of `admin`, a member of `system:masters`. */
  token: string;
  /** `admin` (system:masters) and `dev` (no groups, so RBAC grants it nothing beyond discovery). */
  users: Users;
  /** Kubeconfig with a context per user, named after the key in `users`; `admin` is current. */
  kubeconfigPath: string;
  /** A KubeConfig loaded from kubeconfigPath, with the given user's context current. */
  kubeConfig(user?: UserKey): KubeConfig;
  /** A kubeconfig file whose current context is the given user's (for other processes). */
  kubeconfigFileFor(user: UserKey): Promise<string>;
  /** The last lines both processes wrote to stderr, for assertion messages. */
  logs(): string;
  /**
   * Stops kube-apiserver (SIGTERM, then SIGKILL), waits `downMs`, and starts it again on the same
   * port, flags and etcd, as a control-plane upgrade or a crash restarts it; resolves once
   * `/readyz` answers 200 again.
   */
  restartApiServer(downMs?: number): Promise<void>;
  /** Stops both processes (SIGTERM, then SIGKILL) and removes the temporary directory. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 5_000;
const LOG_LINES = 200;
const LOG_LINES_IN_ERRORS = 40;

/** Starts etcd, then kube-apiserver, and resolves once `/readyz` answers 200. */
export async function startCluster(opts: StartClusterOptions = {}): Promise<TestCluster> {
  const binDir = opts.binDir ?? k8sBinDir();
  if (binDir === undefined) throw new Error(SKIP_NO_BINARIES);
  const deadline = Date.now() + (opts.timeoutMs ?? READY_TIMEOUT_MS);

  const root = await mkdtemp(join(tmpdir(), "mcp-warden-e2e-"));
  const guard = startGuard(root);
  const procs: Proc[] = [];
  const stop = onceAsync(async () => {
    guard.kill("SIGKILL");
    // API server first: it keeps talking to etcd while it shuts down.
    for (const p of [...procs].reverse()) await terminate(p);
    await rm(root, { recursive: true, force: true });
  });
  const logs = (): string => procs.map((p) => p.log.render(LOG_LINES_IN_ERRORS)).join("\n");

  try {
    const ports = await freePorts();
    const etcd = spawnProc("etcd", join(binDir, "etcd"), etcdArgs(root, ports), guard);
    procs.push(etcd);
    await waitFor(etcd, deadline, () => httpOk(`http://127.0.0.1:${ports.etcdClient}/health`));

    const files = await writeApiServerFiles(root);
    const args = [...apiServerArgs(root, files, ports), ...(opts.extraApiServerArgs ?? [])];
    const apiserver = spawnProc("kube-apiserver", join(binDir, "kube-apiserver"), args, guard);
    procs.push(apiserver);
    const server = `https://127.0.0.1:${ports.apiServer}`;
    const admin = files.users.admin;
    await waitFor(apiserver, deadline, () =>
      httpsOk(`${server}/readyz`, files.caData, admin.token),
    );

    const version = await serverVersion(server, files.caData, admin.token);
    const restartApiServer = async (downMs = 0) => {
      const i = procs.findIndex((p) => p.name === "kube-apiserver");
      await terminate(procs[i]!);
      await sleep(downMs);
      const again = spawnProc("kube-apiserver", join(binDir, "kube-apiserver"), args, guard);
      procs[i] = again;
      await waitFor(again, Date.now() + (opts.timeoutMs ?? READY_TIMEOUT_MS), () =>
        httpsOk(`${server}/readyz`, files.caData, admin.token),
      );
    };

    const kubeconfigPath = join(root, "kubeconfig");
    await writeFile(kubeconfigPath, kubeconfigYaml(server, files.caData, files.users));
    return {
      server,
      version,
      caData: files.caData,
      token: admin.token,
      users: files.users,
      kubeconfigPath,
      kubeConfig: (user = "admin") => loadKubeConfig(kubeconfigPath, user),
      kubeconfigFileFor: async (user) => {
        const path = join(root, `kubeconfig-${user}`);
        await writeFile(path, kubeconfigYaml(server, files.caData, files.users, user));
        return path;
      },
      logs,
      restartApiServer,
      stop,
    };
  } catch (err) {
    const tail = logs();
    await stop();
    throw new Error(`test cluster did not start: ${String(err)}\n${tail}`, { cause: err });
  }
}

// --- processes -------------------------------------------------------------------------------

interface Proc {
  name: string;
  child: ChildProcess;
  log: RingLog;
  /** Set once the process has exited; a reason to stop waiting for it. */
  exited?: string;
}

function spawnProc(name: string, bin: string, args: string[], guard: ChildProcess): Proc {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  const proc: Proc = { name, child, log: new RingLog(name, LOG_LINES) };
  child.stdout?.on("data", (b: Buffer) => proc.log.push(b));
  child.stderr?.on("data", (b: Buffer) => proc.log.push(b));
  child.on("error", (err) => (proc.exited = `${name} failed to start: ${err.message}`));
  child.on(
    "exit",
    (code, signal) => (proc.exited = `${name} exited (code ${code}, signal ${signal})`),
  );
  if (child.pid !== undefined) guard.stdin?.write(`${child.pid}\n`);
  // A forgotten stop() must not keep the test process alive forever; the guard cleans up then.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) if (stream instanceof Socket) stream.unref();
  return proc;
}

async function terminate({ child }: Proc): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** Polls `probe` until it succeeds, the process exits, or the deadline passes. */
async function waitFor(proc: Proc, deadline: number, probe: () => Promise<boolean>): Promise<void> {
  let last = "not probed yet";
  while (Date.now() < deadline) {
    if (proc.exited !== undefined) throw new Error(proc.exited);
    try {
      if (await probe()) return;
      last = "not ready";
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(250);
  }
  throw new Error(`${proc.name} not ready before the deadline (last probe: ${last})`);
}

class RingLog {
  readonly name: string;
  readonly #max: number;
  #lines: string[] = [];
  #partial = "";

  constructor(name: string, max: number) {
    this.name = name;
    this.#max = max;
  }

  push(chunk: Buffer): void {
    const parts = (this.#partial + chunk.toString()).split("\n");
    this.#partial = parts.pop() ?? "";
    this.#lines.push(...parts);
    if (this.#lines.length > this.#max) this.#lines.splice(0, this.#lines.length - this.#max);
  }

  render(n: number): string {
    const lines = [...this.#lines, ...(this.#partial ? [this.#partial] : [])].slice(-n);
    return `--- ${this.name} (last ${lines.length} lines) ---\n${lines.join("\n")}`;
  }
}

// --- flags and files -------------------------------------------------------------------------

function etcdArgs(root: string, ports: Ports): string[] {
  const client = `http://127.0.0.1:${ports.etcdClient}`;
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  return [
    "--name=test",
    `--data-dir=${join(root, "etcd")}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=test=${peer}`,
    "--initial-cluster-state=new",
    // Throwaway data: durability costs seconds per test run and buys nothing.
    "--unsafe-no-fsync=true",
    "--log-level=warn",
  ];
}

interface ApiServerFiles {
  caData: string;
  servingCert: string;
  servingKey: string;
  saPublicKey: string;
  saPrivateKey: string;
  tokens: string;
  users: Users;
}

async function writeApiServerFiles(root: string): Promise<ApiServerFiles> {
  // Our own serving certificate, so clients trust exactly one known CA (the self-signed one
  // kube-apiserver would write to --cert-dir bundles its CA after the leaf).
  const ca = await makeTestCA("mcp-warden test apiserver CA");
  const serving = await issueServingCert(ca, {
    ipAddresses: ["127.0.0.1"],
    dnsNames: ["localhost"],
  });
  const sa = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const users = {
    admin: { name: "admin", token: randomToken(), groups: ["system:masters"] },
    dev: { name: "dev", token: randomToken(), groups: [] },
    webhook: {
      name: "system:serviceaccount:mcp-warden-system:mcp-warden",
      token: randomToken(),
      groups: ["system:serviceaccounts", "system:serviceaccounts:mcp-warden-system"],
    },
  };
  const files = {
    caData: ca.cert,
    servingCert: join(root, "apiserver.crt"),
    servingKey: join(root, "apiserver.key"),
    saPublicKey: join(root, "sa.pub"),
    saPrivateKey: join(root, "sa.key"),
    tokens: join(root, "tokens.csv"),
    users,
  };
  await Promise.all([
    writeFile(files.servingCert, serving.cert),
    writeFile(files.servingKey, serving.key, { mode: 0o600 }),
    writeFile(files.saPublicKey, sa.publicKey.export({ type: "spki", format: "pem" })),
    writeFile(files.saPrivateKey, sa.privateKey.export({ type: "pkcs8", format: "pem" }), {
      mode: 0o600,
    }),
    writeFile(files.tokens, tokenCsv(Object.values(users)), { mode: 0o600 }),
  ]);
  return files;
}

function apiServerArgs(root: string, files: ApiServerFiles, ports: Ports): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
    `--tls-cert-file=${files.servingCert}`,
    `--tls-private-key-file=${files.servingKey}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${ports.apiServer}`,
    "--service-cluster-ip-range=10.0.0.0/24",
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    `--service-account-key-file=${files.saPublicKey}`,
    `--service-account-signing-key-file=${files.saPrivateKey}`,
    "--authorization-mode=RBAC",
    `--token-auth-file=${files.tokens}`,
    "--allow-privileged=true",
    // No controller-manager runs, so no namespace ever gets its `default` ServiceAccount; the
    // ServiceAccount admission plugin would reject every pod for lacking it.
    "--disable-admission-plugins=ServiceAccount",
    // Skips bootstrapping the flow-control objects and their controller: faster start, and one
    // user's load cannot queue another's in tests.
    "--enable-priority-and-fairness=false",
    // The reconciler would publish 127.0.0.1 as the `kubernetes` Endpoints, which validation
    // rejects (loopback), logging an error every 10 s; nothing in the tests uses that Service.
    "--endpoint-reconciler-type=none",
  ];
}

function randomToken(): string {
  return randomBytes(24).toString("hex");
}

/** token,user,uid,"group1,group2" — the format of --token-auth-file. */
function tokenCsv(users: TestUser[]): string {
  return users.map((u) => `${u.token},${u.name},${u.name},"${u.groups.join(",")}"\n`).join("");
}

function kubeconfigYaml(
  server: string,
  caData: string,
  users: Users,
  current: UserKey = "admin",
): string {
  const ca = Buffer.from(caData).toString("base64");
  const entries = Object.entries(users) as [UserKey, TestUser][];
  // JSON is YAML; kubeconfig loaders accept it. Contexts are named by the key in `users`.
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "test", cluster: { server, "certificate-authority-data": ca } }],
    users: entries.map(([key, u]) => ({ name: key, user: { token: u.token } })),
    contexts: entries.map(([key]) => ({ name: key, context: { cluster: "test", user: key } })),
    "current-context": current,
  });
}
function loadKubeConfig(path: string, user: UserKey): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  kc.setCurrentContext(user);
  return kc;
}

// --- network ---------------------------------------------------------------------------------

interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiServer: number;
}

/** Free loopback ports, held open together so that none is handed out twice. */
async function freePorts(): Promise<Ports> {
  const servers = await Promise.all([listenEphemeral(), listenEphemeral(), listenEphemeral()]);
  const [etcdClient, etcdPeer, apiServer] = servers.map(boundPort);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  if (etcdClient === undefined || etcdPeer === undefined || apiServer === undefined)
    throw new Error("no ports");
  return { etcdClient, etcdPeer, apiServer };
}

function listenEphemeral(): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

function boundPort(server: Server): number {
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("not listening on TCP");
  return addr.port;
}

const PROBE_TIMEOUT_MS = 2_000;

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { timeout: PROBE_TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

function httpsOk(url: string, ca: string, token: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${token}` };
    const req = request(url, { ca, headers, timeout: PROBE_TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** The API server's gitVersion, from GET /version. */
function serverVersion(server: string, ca: string, token: string): Promise<string> {
  const url = `${server}/version`;
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${token}` };
    const req = request(url, { ca, headers, timeout: PROBE_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        let version: unknown;
        try {
          version = (JSON.parse(text) as { gitVersion?: unknown }).gitVersion;
        } catch {
          version = undefined;
        }
        if (res.statusCode === 200 && typeof version === "string") resolve(version);
        else reject(new Error(`GET ${url}: ${res.statusCode} without a gitVersion: ${text}`));
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

function onceAsync(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}
