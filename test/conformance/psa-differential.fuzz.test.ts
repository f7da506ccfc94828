// The pod-security/* rules against the real API server's Pod Security Admission, on every
// Kubernetes release of the e2e matrix: generated pods (fast-check, a fixed seed), each created
// with a server-side dry-run in namespaces enforcing the restricted profile and judged by the
// engine with spec.podSecurity.version pinned to what the namespace enforces. Every disagreement
// must be one docs/pod-security-versions.md documents.
//
// MCP_WARDEN_FUZZ_SCALE (a positive integer, default 1) multiplies the pods per namespace;
// MCP_WARDEN_FUZZ_SEED (an integer) replaces the fixed seed. `npm run fuzz` runs longer.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { parse } from "yaml";
import { createClusterState } from "../../policies/workload/cluster-state.ts";
import { judgeWorkload } from "../../policies/workload/engine.ts";
import { compilePolicy } from "../../policies/workload/policy.ts";
import { compileGlob } from "../../policies/glob.ts";
import { toWorkload } from "../../policies/workload/workload.ts";
import {
  k8sMatrix,
  minorOf,
  oldestK8s,
  startCluster,
  type K8sRelease,
  type TestCluster,
} from "../e2e/support/cluster.ts";
import {
  dryRunClient,
  mapPool,
  rulesOfMessage,
  type AdmissionVerdict,
  type DryRunClient,
} from "./support/psa-admission.ts";
import {
  ephemeralContainerArbitrary,
  ephemeralHostPod,
  podArbitrary,
  type Json,
} from "./support/psa-pods.ts";

const DEFAULT_SEED = 20_261_205;
const PODS_PER_NAMESPACE = 2_000;
const EPHEMERAL_PER_NAMESPACE = 300;
/** Dry-runs in flight at once: enough to keep the API server busy on two cores. */
const CONCURRENCY = 8;
/** Pods the API server's validation refuses are not judged by Pod Security; keep them rare. */
const MAX_INVALID_SHARE = 0.02;

function envInteger(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^-?\d+$/.test(raw) || Number(raw) < min)
    throw new Error(`${name}=${JSON.stringify(raw)}: expected an integer ≥ ${min}`);
  return Number(raw);
}

const scale = envInteger("MCP_WARDEN_FUZZ_SCALE", 1, 1);
const seed = envInteger("MCP_WARDEN_FUZZ_SEED", DEFAULT_SEED, Number.MIN_SAFE_INTEGER);
const podCount = PODS_PER_NAMESPACE * scale;

/**
 * Deliberate differences, each documented in docs/pod-security-versions.md ("Where the rules
 * and the API server differ"). Each takes a pod's two rule lists and removes what it explains;
 * a pod whose lists agree after all of them is explained.
 */
interface DocumentedDifference {
  id: string;
  explain(pod: Json, engine: string[], server: string[]): { engine: string[]; server: string[] };
}

interface Disagreement {
  namespace: string;
  pod: Json;
  engine: string[];
  server: string[];
  message: string;
}

const without = (rules: string[], rule: string) => rules.filter((r) => r !== rule);

const DOCUMENTED: DocumentedDifference[] = [
  {
    // The API server defaults a hostNetwork pod's hostPort to its containerPort before Pod
    // Security sees it; the rules judge the manifest as written, and host-namespaces already
    // denies the pod (removing hostNetwork removes both findings).
    id: "hostNetwork defaults hostPort",
    explain: (pod, engine, server) =>
      (pod.spec as Json).hostNetwork === true &&
      engine.includes("pod-security/host-namespaces") &&
      !engine.includes("pod-security/host-ports")
        ? { engine, server: without(server, "pod-security/host-ports") }
        : { engine, server },
  },
  {
    // The restricted profile's volume check replaces the baseline hostPath check
    // (OverrideCheckIDs), so Pod Security names a hostPath volume once, as a restricted volume
    // type; the rules keep host-path-volumes for the sharper message beside restricted-volumes.
    id: "hostPath is a restricted volume type",
    explain: (pod, engine, server) =>
      ((pod.spec as Json).volumes as Json[] | undefined)?.some((v) => v.hostPath) === true &&
      server.includes("pod-security/restricted-volumes") &&
      !server.includes("pod-security/host-path-volumes")
        ? { engine: without(engine, "pod-security/host-path-volumes"), server }
        : { engine, server },
  },
];

/** The documented differences that explain `d` entirely, or undefined when they do not. */
function explanation(d: Disagreement): string[] | undefined {
  let { engine, server } = d;
  const used: string[] = [];
  for (const doc of DOCUMENTED) {
    const next = doc.explain(d.pod, engine, server);
    if (!sameRules(next.engine, engine) || !sameRules(next.server, server)) used.push(doc.id);
    ({ engine, server } = next);
  }
  return sameRules(engine, server) ? used : undefined;
}

// --- the engine's side -------------------------------------------------------------------------

const defaultPolicyDoc = (): { spec: Record<string, unknown> } =>
  parse(readFileSync(new URL("../../policies/default.yaml", import.meta.url), "utf8")) as {
    spec: Record<string, unknown>;
  };

/** The default policy pinned to `v1.<minor>`, judging only the pod-security/* rules. */
function engineFor(minor: number): (pod: Json) => { allowed: boolean; rules: string[] } {
  const doc = defaultPolicyDoc();
  doc.spec.podSecurity = { version: `v1.${minor}` };
  const policy = compilePolicy(doc);
  assert.equal(policy.settings.podSecurityVersion, minor);
  const only = [compileGlob("pod-security/*")];
  const cluster = createClusterState({});
  const now = new Date("2026-06-01T00:00:00Z");
  return (pod) => {
    const decision = judgeWorkload(toWorkload(pod), { policy, cluster, now, only });
    const rules = [...new Set(decision.findings.map((f) => f.rule))].sort();
    return { allowed: decision.allowed, rules };
  };
}

// --- the namespaces ----------------------------------------------------------------------------

interface Pin {
  namespace: string;
  /** pod-security.kubernetes.io/enforce-version */
  label: string;
  /** The policy version the engine judges as: the label's, `latest` being the server's own. */
  minor: number;
}

/** `latest` and the server's own minor, and on a newer server the oldest release's minor too. */
function pinsFor(serverMinor: number): Pin[] {
  const oldestMinor = minorOf(oldestK8s().version);
  const minors = [...new Set([serverMinor, oldestMinor])].filter((m) => m <= serverMinor);
  return [
    { namespace: "psa-latest", label: "latest", minor: serverMinor },
    ...minors.map((m) => ({ namespace: `psa-v1-${m}`, label: `v1.${m}`, minor: m })),
  ];
}

async function createNamespace(cluster: TestCluster, pin: Pin): Promise<void> {
  const res = await fetchAsAdmin(cluster, "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: pin.namespace,
      labels: {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": pin.label,
      },
    },
  });
  assert.equal(res, 201, `creating namespace ${pin.namespace}`);
}

/** POST as the admin with the cluster's CA; the status code. */
async function fetchAsAdmin(cluster: TestCluster, path: string, body: unknown): Promise<number> {
  const client = dryRunClient(cluster, 1);
  try {
    return await client.post(path, body);
  } finally {
    client.close();
  }
}

// --- the test ----------------------------------------------------------------------------------

const pods = fc.sample(podArbitrary, { numRuns: podCount, seed });
const ephemeralCount = EPHEMERAL_PER_NAMESPACE * scale;
const ephemeralContainers = fc.sample(ephemeralContainerArbitrary, {
  numRuns: ephemeralCount,
  seed: seed + 1,
});
const EPHEMERAL_HOST = "ephemeral-host";

void test("Pod Security messages map to rule ids, reason by reason", () => {
  const message =
    'pods "p" is forbidden: violates PodSecurity "restricted:v1.37": host namespaces ' +
    '(hostNetwork=true, hostPID=true), hostPort (container "a" uses hostPort 8080), ' +
    'unrestricted capabilities (container "a" must set securityContext.capabilities.drop=["ALL"]), ' +
    'runAsNonRoot != true (pod or container "a" must set securityContext.runAsNonRoot=true)';
  assert.deepEqual(rulesOfMessage(message), [
    "pod-security/capabilities",
    "pod-security/host-namespaces",
    "pod-security/host-ports",
    "pod-security/run-as-non-root",
  ]);
  assert.equal(rulesOfMessage('pods "p" is invalid: spec.containers: Required value'), undefined);
  assert.throws(() => rulesOfMessage('x: violates PodSecurity "restricted:v1.37": newCheck'));
});

for (const k8s of k8sMatrix()) describeRelease(k8s);

function describeRelease(k8s: K8sRelease): void {
  describe(
    `pod-security/* agree with Pod Security Admission of Kubernetes ${k8s.version}`,
    { skip: k8s.skip, timeout: 600_000 },
    () => {
      let cluster: TestCluster;
      let client: DryRunClient;
      let pins: Pin[];

      before(async () => {
        cluster = await startCluster({ binDir: k8s.binDir });
        pins = pinsFor(minorOf(cluster.version));
        for (const pin of pins) await createNamespace(cluster, pin);
        client = dryRunClient(cluster, CONCURRENCY);
      });

      after(async () => {
        client?.close();
        await cluster?.stop();
      });

      test(`the API server is ${k8s.version}`, () => {
        assert.equal(cluster.version, k8s.version);
      });

      /**
       * Judges `judged[i]` with the engine and asks the API server through `ask(pin, i)`, in
       * every namespace; fails on any undocumented disagreement or too many invalid pods.
       */
      async function differential(
        what: string,
        judged: Json[],
        ask: (pin: Pin, i: number) => Promise<AdmissionVerdict>,
      ): Promise<void> {
        const undocumented: Disagreement[] = [];
        const explained = new Map<string, number>();
        const figures: string[] = [];
        const tooManyInvalid: string[] = [];
        for (const pin of pins) {
          const engine = engineFor(pin.minor);
          const verdicts = await mapPool(judged, CONCURRENCY, (_, i) => ask(pin, i));
          let invalid = 0;
          let agreed = 0;
          let sameVerdict = 0;
          let forbidden = 0;
          const invalidSamples: string[] = [];
          verdicts.forEach((verdict: AdmissionVerdict, i) => {
            if (verdict.kind === "invalid") {
              invalid++;
              if (invalidSamples.length < 5) invalidSamples.push(verdict.message);
              return;
            }
            const pod = judged[i]!;
            const ours = engine(pod);
            const server = verdict.kind === "allowed" ? [] : verdict.rules;
            if (verdict.kind === "forbidden") forbidden++;
            assert.equal(ours.allowed, ours.rules.length === 0, "every pod-security/* rule denies");
            if (ours.allowed === (verdict.kind === "allowed")) sameVerdict++;
            if (sameRules(ours.rules, server)) {
              agreed++;
              return;
            }
            const d: Disagreement = {
              namespace: pin.namespace,
              pod,
              engine: ours.rules,
              server,
              message: verdict.kind === "forbidden" ? verdict.message : "(admitted)",
            };
            const known = explanation(d);
            if (known === undefined) undocumented.push(d);
            else for (const id of known) explained.set(id, (explained.get(id) ?? 0) + 1);
          });
          const n = judged.length - invalid;
          figures.push(
            `${pin.namespace} (enforce-version ${pin.label}, policy v1.${pin.minor}): ` +
              `${sameVerdict}/${n} same verdict (${forbidden} forbidden), ` +
              `${agreed}/${n} same checks, ${invalid} invalid`,
          );
          if (invalid > judged.length * MAX_INVALID_SHARE)
            tooManyInvalid.push(
              `${invalid} of ${judged.length} ${what} failed validation in ${pin.namespace}, e.g.\n` +
                invalidSamples.join("\n"),
            );
        }
        console.log(`# ${k8s.version} ${what}: ${figures.join("; ")}`);
        if (explained.size > 0)
          console.log(`# documented differences: ${JSON.stringify(Object.fromEntries(explained))}`);
        assert.deepEqual(
          undocumented.slice(0, 5).map(describeDisagreement),
          [],
          `${undocumented.length} undocumented disagreements`,
        );
        assert.deepEqual(tooManyInvalid, []);
      }

      test(`${podCount} generated pods per namespace, judged by both (seed ${seed})`, () =>
        differential("pods", pods, (pin, i) => client.judge(pin.namespace, pods[i]!)));

      test(`${ephemeralCount} generated ephemeral containers per namespace, judged by both`, async () => {
        // Ephemeral containers join an existing pod: create one the profile admits, then ask
        // (dry-run) to add each generated container to it.
        for (const pin of pins) {
          const status = await client.post(`/api/v1/namespaces/${pin.namespace}/pods`, {
            ...ephemeralHostPod(EPHEMERAL_HOST),
            metadata: { name: EPHEMERAL_HOST, namespace: pin.namespace },
          });
          assert.equal(status, 201, `creating ${pin.namespace}/${EPHEMERAL_HOST}`);
        }
        const withEphemeral = ephemeralContainers.map((c) => {
          const pod = ephemeralHostPod(EPHEMERAL_HOST);
          (pod.spec as Json).ephemeralContainers = [c];
          return pod;
        });
        await differential("ephemeral containers", withEphemeral, (pin, i) =>
          client.judgeEphemeral(pin.namespace, EPHEMERAL_HOST, ephemeralContainers[i]),
        );
      });
    },
  );
}

function sameRules(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((r, i) => r === b[i]);
}

function describeDisagreement(d: Disagreement): string {
  return [
    `namespace ${d.namespace}: engine ${JSON.stringify(d.engine)}, API server ${JSON.stringify(d.server)}`,
    `  message: ${d.message}`,
    `  pod: ${JSON.stringify(d.pod)}`,
  ].join("\n");
}
