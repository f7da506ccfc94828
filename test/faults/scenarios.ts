/**
 * Faults driven against real processes and sockets, each measured the same way: decisions while
 * the fault lasts (a correct decision or a fail-closed denial, never a wrong allow, each within
 * the deadline), then the time from the fault's end until the right decision comes back, with no
 * restart. Used by `npm run faults` (scripts/faults.ts: every fault, the table in docs/) and by
 * test/faults/*.test.ts (a quick subset, asserting the properties).
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { MEDIA_TYPES } from "../../supply-chain/registry/types.ts";
import { keySigner } from "../../supply-chain/sign/key-signer.ts";
import { attestEvaluation, signImage } from "../../supply-chain/sign/sign-image.ts";
import { keyPolicy } from "../support/admission-harness.ts";
import { webhook, type Webhook } from "../support/admission-harness.ts";
import { validPredicate } from "../support/evaluation.ts";
import { startFaultProxy, type FaultMode, type FaultProxy } from "../support/fault-proxy.ts";
import {
  answer,
  endless,
  matches,
  startHostileRegistry,
  type HostileRegistry,
} from "../support/hostile-front.ts";
import { compliantPodSpec, policyWith } from "../support/policies.ts";
import { issueServingCert, makeTestCA, type TestCA } from "../e2e/support/certs.ts";
import { freePort, servedSerial, startWebhookProcess } from "../e2e/support/webhook-process.ts";

/** One row of the table. */
export interface FaultResult {
  fault: string;
  /** Where: the webhook in process (buildApp, as serve builds it) or a `mcp-warden serve` process. */
  target: string;
  /** Decisions asked for while the fault lasted. */
  decisions: number;
  /** Of those, allowed although the steady-state decision is a denial. Must be 0. */
  wrongAllows: number;
  /** Denied (or refused at the connection, which the API server's failurePolicy Fail denies). */
  failClosed: number;
  /** Answered as in steady state (an allow of a verified image, a denial of an unsigned one). */
  correct: number;
  /** The slowest decision while the fault lasted, against the deadline. */
  slowestMs: number;
  deadlineMs: number;
  /** From the fault's end until the right decision is back; undefined if it did not come back. */
  recoverMs: number | undefined;
  /** Whether recovery needed a restart of the component (only when the fault is its death). */
  restarted: boolean;
  behaviour: string;
  /** The gateway's audit trail: answered calls whose records the sink lacks. Must be 0. */
  lostRecords?: number;
  /** The gateway's audit trail: whether `mcp-warden audit verify` proved the sink's whole log. */
  auditVerified?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- the registry, webhook in process

export interface RegistryBench {
  hostile: HostileRegistry;
  proxy: FaultProxy;
  deadlineMs: number;
  /** A new signed and evaluated image and a new unsigned one, named through the proxy. */
  images(): Promise<{ signed: string; signedDigest: string; unsigned: string }>;
  webhook: Webhook;
  stop(): Promise<void>;
}

/**
 * A real docker-registry behind the hostile front (which can answer manifests itself) behind a
 * TCP proxy (which can refuse, hang, flap or go away), and the webhook app as `serve` builds it:
 * `--webhook-timeout` 10 s gives an 8 s admission deadline; here 3 s, the registry's share a third.
 */
export async function startRegistryBench(deadlineMs = 3000): Promise<RegistryBench> {
  const hostile = await startHostileRegistry();
  const proxy = await startFaultProxy(hostile.front.host);
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const predicate = validPredicate();
  const now = new Date(Date.parse(predicate.time) + 3_600_000);
  const app = webhook(keyPolicy(key.publicKey, "enforce"), {
    deadlineMs,
    now,
    client: { timeoutMs: Math.max(500, Math.floor(deadlineMs / 3)) },
  });
  let n = 0;
  return {
    hostile,
    proxy,
    deadlineMs,
    webhook: app,
    async images() {
      n++;
      const s = await hostile.image(`signed-${n}`);
      await signImage(hostile.client, s.direct, keySigner(key.privateKey), now);
      await attestEvaluation(hostile.client, s.direct, predicate, keySigner(key.privateKey), now);
      const u = await hostile.image(`unsigned-${n}`);
      const via = (ref: string) => ref.replace(hostile.registry.host, proxy.host);
      return { signed: via(s.direct), signedDigest: s.digest, unsigned: via(u.direct) };
    },
    async stop() {
      await app.close();
      await proxy.close();
      await hostile.stop();
    },
  };
}

export type RegistryFault = FaultMode | "oversized manifest" | "malformed manifest";

const REGISTRY_FAULT_NAMES: Record<Exclude<RegistryFault, "pass">, string> = {
  down: "registry down (connection refused)",
  refuse: "registry refusing (connections reset)",
  hang: "registry slow past the deadline (accepts, never answers)",
  flap: "registry flapping (every other connection reset)",
  "oversized manifest": "registry returns an oversized manifest (endless body)",
  "malformed manifest": "registry returns a malformed manifest",
};

/**
 * One registry fault: images never seen before (so no cache answers for the registry), the fault
 * on for `faultMs` while both are asked for again and again, then off, and the signed image asked
 * for until it is allowed again (the webhook reuses a failure for its failure TTL, 10 s).
 */
export async function registryFault(
  bench: RegistryBench,
  fault: Exclude<RegistryFault, "pass">,
  faultMs = 3000,
  recoverWithinMs = 30_000,
): Promise<FaultResult> {
  const { signed, signedDigest, unsigned } = await bench.images();
  const front = bench.hostile.front;
  if (fault === "oversized manifest")
    front.rules.push(
      (req, res) =>
        matches(req, `/manifests/${signedDigest}`) &&
        endless(
          res,
          { "content-type": MEDIA_TYPES.ociManifest },
          " ".repeat(64 * 1024),
          '{"layers":[',
          64 << 20,
        ),
    );
  else if (fault === "malformed manifest")
    front.rules.push(
      (req, res) =>
        matches(req, `/manifests/${signedDigest}`) &&
        answer(
          req,
          res,
          200,
          { "content-type": MEDIA_TYPES.ociManifest, "docker-content-digest": signedDigest },
          '{"schemaVersion": 2, "layers": [{"digest": 7',
        ),
    );
  else await bench.proxy.set(fault);

  const r: FaultResult = {
    fault: REGISTRY_FAULT_NAMES[fault],
    target: "webhook (buildApp as serve builds it) → real docker-registry",
    decisions: 0,
    wrongAllows: 0,
    failClosed: 0,
    correct: 0,
    slowestMs: 0,
    deadlineMs: bench.deadlineMs,
    recoverMs: undefined,
    restarted: false,
    behaviour: "",
  };
  const denials = new Set<string>();
  const until = performance.now() + faultMs;
  while (performance.now() < until) {
    const [s, u] = await Promise.all([
      bench.webhook.admit([signed], `s${r.decisions}`),
      bench.webhook.admit([unsigned], `u${r.decisions}`),
    ]);
    r.decisions += 2;
    r.slowestMs = Math.max(r.slowestMs, s.elapsedMs, u.elapsedMs);
    if (u.allowed) r.wrongAllows++;
    else r.failClosed++;
    if (s.allowed) r.correct++;
    else {
      r.failClosed++;
      denials.add(ruleOf(s.message));
    }
  }
  await bench.proxy.set("pass");
  front.rules.length = 0;
  const ended = performance.now();
  while (performance.now() - ended < recoverWithinMs) {
    const s = await bench.webhook.admit([signed], "recover");
    if (s.allowed) {
      r.recoverMs = performance.now() - ended;
      break;
    }
    await sleep(100);
  }
  // Recovered for the signed image, and the unsigned one still denied.
  if ((await bench.webhook.admit([unsigned], "after")).allowed) r.wrongAllows++;
  r.behaviour =
    `${r.correct} correct allows, ${r.failClosed} denials (${[...denials].join(", ") || "the unsigned image only"})` +
    (r.wrongAllows ? `, ${r.wrongAllows} WRONG ALLOWS` : "");
  return r;
}

/** The rule id a denial message names first (`[image/signed] …`). */
function ruleOf(message: string): string {
  return /\[([a-z-]+\/[a-z-]+)\]/.exec(message)?.[1] ?? message.slice(0, 60);
}

// ---------------------------------------------------------------- mcp-warden serve, a process

/**
 * A review of a pod that must be denied whatever the cluster holds (privileged), or a compliant
 * one, created in `namespace`.
 */
export function review(uid: string, privileged: boolean, namespace = "team-a"): string {
  const spec = compliantPodSpec();
  const c = (spec.containers as Record<string, unknown>[])[0]!;
  if (privileged) c.securityContext = { privileged: true };
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "", version: "v1", kind: "Pod" },
      namespace,
      operation: "CREATE",
      object: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p", labels: { app: "p" } },
        spec,
      },
    },
  });
}

export interface Posted {
  /** undefined: the connection failed (the API server then applies failurePolicy: Fail). */
  allowed?: boolean;
  error?: string;
  ms: number;
}

export function post(port: number, ca: string, body: string, timeoutMs = 10_000): Promise<Posted> {
  const start = performance.now();
  return new Promise((resolve) => {
    const done = (p: Omit<Posted, "ms">) => resolve({ ...p, ms: performance.now() - start });
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/validate",
        method: "POST",
        ca,
        agent: false,
        timeout: timeoutMs,
        headers: { "content-type": "application/json" },
      },
      (res) => {
        let text = "";
        res.on("data", (b: Buffer) => (text += b.toString()));
        res.on("error", (e) => done({ error: e.message }));
        res.on("end", () => {
          try {
            const parsed = JSON.parse(text) as { response: { allowed: boolean } };
            done({ allowed: parsed.response.allowed });
          } catch {
            done({ error: `HTTP ${res.statusCode}: ${text.slice(0, 100)}` });
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (e) => done({ error: e.message }));
    req.end(body);
  });
}

/** The webhook's policy for the process faults: the default rules, registry rules off. */
export function offlinePolicyFile(dir: string): string {
  const file = join(dir, "policy.yaml");
  writeFileSync(
    file,
    // JSON (which is YAML): the loader reads a plain `off` as YAML 1.1 does, a boolean.
    JSON.stringify(policyWith({ rules: { "image/signed": "off", "image/evaluated": "off" } })),
  );
  return file;
}

interface Served {
  ca: TestCA;
  dir: string;
  certFile: string;
  keyFile: string;
  port: number;
  policy: string;
}

async function serveSetup(): Promise<Served> {
  const ca = await makeTestCA();
  const dir = mkdtempSync(join(tmpdir(), "mcp-warden-faults-"));
  return {
    ca,
    dir,
    certFile: "",
    keyFile: "",
    port: await freePort(),
    policy: offlinePolicyFile(dir),
  };
}

/** Steady-state decisions of the compliant and the privileged review. */
async function steady(port: number, ca: string): Promise<{ good: boolean }> {
  const good = await post(port, ca, review("g", false));
  const bad = await post(port, ca, review("b", true));
  if (good.allowed === undefined || bad.allowed !== false)
    throw new Error(`unexpected steady state: ${JSON.stringify({ good, bad })}`);
  return { good: good.allowed };
}

/**
 * The TLS certificate rotated (new files renamed into place, as a mounted Secret changes) while
 * `concurrency` clients keep posting reviews; recovery is the new certificate being served.
 */
export async function tlsRotationUnderLoad(loadMs = 4000, concurrency = 8): Promise<FaultResult> {
  const s = await serveSetup();
  const first = await issueServingCert(s.ca, { ipAddresses: ["127.0.0.1"] });
  const wh = await startWebhookProcess({
    cert: first.cert,
    key: first.key,
    ca: s.ca.cert,
    port: s.port,
    args: [`--policy=${s.policy}`],
  });
  try {
    const certFile = /--tls-cert=(\S+)/.exec(wh.args.join(" "))![1]!;
    const keyFile = /--tls-key=(\S+)/.exec(wh.args.join(" "))![1]!;
    const { good } = await steady(wh.port, s.ca.cert);
    const r = emptyResult(
      "TLS certificate rotated under load",
      "mcp-warden serve (process, TLS)",
      8000,
    );
    let stop = false;
    const clients = Array.from({ length: concurrency }, async (_, i) => {
      for (let n = 0; !stop; n++) {
        const privileged = (n + i) % 2 === 0;
        const p = await post(wh.port, s.ca.cert, review(`${i}-${n}`, privileged));
        count(r, p, privileged ? false : good);
      }
    });
    await sleep(loadMs / 2);
    const second = await issueServingCert(s.ca, { ipAddresses: ["127.0.0.1"] });
    const staging = mkdtempSync(join(s.dir, "rotate-"));
    writeFileSync(join(staging, "k"), second.key);
    writeFileSync(join(staging, "c"), second.cert);
    renameSync(join(staging, "k"), keyFile);
    renameSync(join(staging, "c"), certFile);
    const rotated = performance.now();
    const expected = new X509Certificate(second.cert).serialNumber.toLowerCase();
    while (performance.now() - rotated < 15_000) {
      if ((await servedSerial(wh.port, s.ca.cert)).toLowerCase() === expected) {
        r.recoverMs = performance.now() - rotated;
        break;
      }
      await sleep(100);
    }
    await sleep(Math.max(0, loadMs / 2 - (performance.now() - rotated)));
    stop = true;
    await Promise.all(clients);
    r.behaviour =
      `${r.decisions} reviews by ${concurrency} clients, ${r.errors} connection errors; ` +
      `new certificate served ${r.recoverMs !== undefined ? `${(r.recoverMs / 1000).toFixed(1)} s after the files changed (--tls-reload-interval=1s)` : "NOT within 15 s"}`;
    return r;
  } finally {
    await wh.stop();
  }
}

export type Counted = FaultResult & { errors: number };

export function emptyResult(fault: string, target: string, deadlineMs: number): Counted {
  return {
    fault,
    target,
    decisions: 0,
    wrongAllows: 0,
    failClosed: 0,
    correct: 0,
    slowestMs: 0,
    deadlineMs,
    recoverMs: undefined,
    restarted: false,
    behaviour: "",
    errors: 0,
  };
}

/** Counts one posted review whose steady-state decision is `expected`. */
export function count(r: Counted, p: Posted, expected: boolean): void {
  r.decisions++;
  r.slowestMs = Math.max(r.slowestMs, p.ms);
  if (p.allowed === undefined) {
    r.errors++;
    r.failClosed++; // failurePolicy: Fail
  } else if (p.allowed && !expected) r.wrongAllows++;
  else if (p.allowed === expected) r.correct++;
  else r.failClosed++;
}

/**
 * `mcp-warden serve` killed (SIGKILL) with reviews in flight, then started again on the same port
 * and certificate, as its Deployment restarts it: every review in flight either got the right
 * answer or a failed connection (denied by failurePolicy: Fail), and recovery is the new process
 * answering correctly.
 */
export async function webhookKilledMidRequest(inFlight = 16): Promise<FaultResult> {
  const s = await serveSetup();
  const tls = await issueServingCert(s.ca, { ipAddresses: ["127.0.0.1"] });
  const start = () =>
    startWebhookProcess({
      cert: tls.cert,
      key: tls.key,
      ca: s.ca.cert,
      port: s.port,
      args: [`--policy=${s.policy}`],
    });
  let wh = await start();
  try {
    const { good } = await steady(wh.port, s.ca.cert);
    const r = emptyResult(
      "webhook killed mid-request (SIGKILL)",
      "mcp-warden serve (process, TLS)",
      8000,
    );
    r.restarted = true;
    const posts = Array.from({ length: inFlight }, (_, i) =>
      post(wh.port, s.ca.cert, review(`k${i}`, i % 2 === 0)).then((p) =>
        count(r, p, i % 2 === 0 ? false : good),
      ),
    );
    await sleep(5);
    const killed = performance.now();
    await wh.kill();
    await Promise.all(posts);
    wh = await start();
    const back = await post(wh.port, s.ca.cert, review("again", false));
    r.recoverMs = back.allowed === good ? performance.now() - killed : undefined;
    r.behaviour = `${r.correct} of ${inFlight} in-flight reviews answered before the kill, ${r.errors} cut (connection reset: denied by failurePolicy: Fail); a new process serves on the same port`;
    return r;
  } finally {
    await wh.stop();
  }
}
