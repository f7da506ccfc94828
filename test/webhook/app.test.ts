import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import { pino } from "pino";
import { createClusterState } from "../../policies/workload/cluster-state.ts";
import { parseNetworkPolicy } from "../../policies/workload/network-policy.ts";
import { parseRbacObject } from "../../policies/workload/rbac.ts";
import { compilePolicy, type CompiledPolicy } from "../../policies/workload/policy.ts";
import { buildApp } from "../../webhook/app.ts";
import { admit, DeadlineExceeded } from "../../webhook/decide.ts";
import { createMetrics } from "../../webhook/metrics.ts";
import type { StateSnapshot, StateSource } from "../../webhook/state.ts";
import type { EvidenceProvider } from "../../supply-chain/verify/evidence.ts";
import {
  compliantPodSpec,
  defaultPolicy,
  denyAll,
  offlinePolicy,
  policyWith,
} from "../support/policies.ts";
import { collectLogLines } from "../support/log-lines.ts";

const { lines: logLines, sink } = collectLogLines();

/** The webhook's own state interface, filled with data: a policy and NetworkPolicies. */
function stateWith(overrides: Partial<StateSnapshot> = {}): StateSource {
  const snapshot: StateSnapshot = {
    policy: offlinePolicy(),
    cluster: createClusterState({ networkPolicies: [parseNetworkPolicy(denyAll("team-a"))] }),
    ready: true,
    watches: [],
    ...overrides,
  };
  return { snapshot: () => snapshot, close: () => Promise.resolve() };
}

function appWith(
  state: StateSource = stateWith(),
  bodyLimit = 3 * 1024 * 1024,
  evidence?: EvidenceProvider,
) {
  const app = buildApp(
    { logger: pino({ level: "info" }, sink), bodyLimit, maxJsonDepth: 64, deadlineMs: 8000 },
    { state, metrics: createMetrics(), evidence },
  );
  after(() => app.close());
  return app;
}

function review(request: Record<string, unknown>) {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "7f0b2c1e-1",
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace: "team-a",
      operation: "CREATE",
      userInfo: { username: "alice", groups: ["dev"] },
      ...request,
    },
  };
}

interface RecordedReview {
  apiVersion: string;
  kind: string;
  request: Record<string, unknown> & { object: Record<string, unknown> };
}

/**
 * An AdmissionReview as kube-apiserver sent it (test/fixtures/admission, written by
 * scripts/record-admission-reviews.ts), with some request fields replaced.
 */
function recorded(name: string, request: Record<string, unknown> = {}): RecordedReview {
  const url = new URL(`../fixtures/admission/${name}.json`, import.meta.url);
  const review = JSON.parse(readFileSync(url, "utf8")) as RecordedReview;
  return { ...review, request: { ...review.request, ...request } };
}

/** The pod spec inside a recorded Pod or Deployment, to change before sending it. */
function podSpecOf(object: unknown): Record<string, unknown> {
  const spec = (object as { spec: Record<string, unknown> }).spec;
  const template = spec.template as { spec: Record<string, unknown> } | undefined;
  return template ? template.spec : spec;
}

function pod(spec: Record<string, unknown>, meta: Record<string, unknown> = {}) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "srv", namespace: "team-a", labels: { app: "srv" }, ...meta },
    spec,
  };
}

interface ReviewResponse {
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; message: string };
    warnings?: string[];
  };
}

async function validate(app: ReturnType<typeof appWith>, body: unknown) {
  const res = await app.inject({ method: "POST", url: "/validate", payload: body as object });
  return { status: res.statusCode, body: res.json<ReviewResponse>() };
}

const rootPod = () => {
  const spec = compliantPodSpec();
  (spec.securityContext as Record<string, unknown>).runAsNonRoot = false;
  return spec;
};

test("a compliant pod is allowed and the uid echoed", async () => {
  const { status, body } = await validate(appWith(), recorded("pod-create", { uid: "7f0b2c1e-1" }));
  assert.equal(status, 200);
  assert.deepEqual(body.response, { uid: "7f0b2c1e-1", allowed: true });
});

test("a denial lists every denying rule with its path; the decision is logged once", async () => {
  logLines.length = 0;
  const spec = rootPod();
  (spec.containers as Record<string, unknown>[])[0]!.image = "nginx:1.27";
  const { body } = await validate(appWith(), review({ uid: "deny-1", object: pod(spec) }));
  assert.equal(body.response.allowed, false);
  assert.equal(body.response.uid, "deny-1");
  assert.equal(body.response.status?.code, 403);
  const message = body.response.status?.message ?? "";
  assert.match(message, /^mcp-warden denied Pod team-a\/srv: /);
  assert.match(message, /\[pod-security\/run-as-non-root\] spec\.securityContext\.runAsNonRoot: /);
  assert.match(message, /\[image\/digest-pinned\] spec\.containers\[0\]\.image: /);
  const decisions = logLines.filter((l) => l.msg === "admission decision");
  assert.equal(decisions.length, 1);
  const line = decisions[0]!;
  assert.equal(line.uid, "deny-1");
  assert.equal(line.user, "alice");
  assert.equal(line.namespace, "team-a");
  assert.equal(line.kind, "Pod");
  assert.equal(line.name, "srv");
  assert.equal(line.decision, "denied");
  assert.deepEqual(line.images, ["nginx:1.27"]);
  assert.deepEqual((line.rules as string[]).sort(), [
    "image/digest-pinned",
    "pod-security/run-as-non-root",
  ]);
  assert.equal(typeof line.latencyMs, "number");
});

test("warn findings become admission warnings", async () => {
  const spec = compliantPodSpec();
  (spec.containers as Record<string, unknown>[])[0]!.env = [
    { name: "TOKEN", valueFrom: { secretKeyRef: { name: "s", key: "k" } } },
  ];
  const { body } = await validate(appWith(), review({ object: pod(spec) }));
  assert.equal(body.response.allowed, true);
  assert.equal(body.response.warnings?.length, 1);
  assert.match(
    body.response.warnings[0]!,
    /^\[credentials\/no-secret-env\] spec\.containers\[0\]\.env\[0\]/,
  );
  assert.ok(body.response.warnings[0]!.length <= 120);
});

test("workload kinds are judged through their templates; dryRun requests are judged alike", async () => {
  const dryRun = recorded("deployment-create-dry-run");
  (podSpecOf(dryRun.request.object).securityContext as Record<string, unknown>).runAsNonRoot =
    false;
  const { body } = await validate(appWith(), dryRun);
  assert.equal(body.response.allowed, false);
  assert.match(
    body.response.status!.message,
    /spec\.template\.spec\.securityContext\.runAsNonRoot/,
  );
});

test("not judged: DELETE, other kinds, status updates, pod updates that change no spec, label or annotation, objects being deleted", async () => {
  const app = appWith();
  const bad = pod(rootPod());
  // A label change as the API server sends it: both objects would be denied if judged.
  const labelsOnly = recorded("pod-update-labels");
  for (const o of [labelsOnly.request.object, labelsOnly.request.oldObject]) {
    (podSpecOf(o).securityContext as Record<string, unknown>).runAsNonRoot = false;
  }
  const finalizersOnly = structuredClone(labelsOnly);
  const newMeta = finalizersOnly.request.object.metadata as Record<string, unknown>;
  newMeta.labels = (
    (finalizersOnly.request.oldObject as Record<string, unknown>).metadata as Record<
      string,
      unknown
    >
  ).labels;
  newMeta.finalizers = ["example.com/hold"];
  const cases = [
    review({ operation: "DELETE", oldObject: bad }),
    review({
      kind: { group: "", version: "v1", kind: "Service" },
      object: { kind: "Service", metadata: { name: "s" } },
    }),
    review({ operation: "UPDATE", subResource: "status", object: bad, oldObject: bad }),
    finalizersOnly,
    review({
      operation: "UPDATE",
      object: { ...bad, metadata: { ...bad.metadata, deletionTimestamp: "2026-01-01T00:00:00Z" } },
      oldObject: bad,
    }),
  ];
  for (const c of cases) {
    const { body } = await validate(app, c);
    assert.equal(body.response.allowed, true, JSON.stringify(c.request).slice(0, 80));
  }
  const changed = { ...bad, spec: { ...bad.spec, hostNetwork: true } };
  const { body } = await validate(
    app,
    review({ operation: "UPDATE", object: changed, oldObject: bad }),
  );
  assert.equal(body.response.allowed, false, "a pod update that changes the spec is judged");
  // Labels choose the NetworkPolicies that isolate a pod: `kubectl label` is judged too.
  const relabelled = await validate(app, labelsOnly);
  assert.equal(relabelled.body.response.allowed, false, "a label-only update is judged");
  assert.match(relabelled.body.response.status!.message, /runAsNonRoot/);
});

test("the ephemeralcontainers subresource is judged", async () => {
  // kubectl debug's request: a privileged busybox added through the subresource.
  const { body } = await validate(appWith(), recorded("pod-ephemeralcontainers"));
  assert.equal(body.response.allowed, false);
  assert.match(
    body.response.status!.message,
    /\[pod-security\/privileged\] spec\.ephemeralContainers\[0\]/,
  );
  assert.match(
    body.response.status!.message,
    /\[image\/digest-pinned\] spec\.ephemeralContainers\[0\]\.image/,
  );
});

test("fail closed: malformed reviews", async () => {
  const app = appWith();
  const noUid = await app.inject({
    method: "POST",
    url: "/validate",
    payload: { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: {} },
  });
  assert.equal(noUid.statusCode, 400);
  const notJson = await app.inject({
    method: "POST",
    url: "/validate",
    headers: { "content-type": "application/json" },
    payload: "{nope",
  });
  assert.equal(notJson.statusCode, 400);
  const noObject = await validate(app, review({ uid: "u-2" }));
  assert.equal(noObject.body.response.uid, "u-2");
  assert.equal(noObject.body.response.allowed, false);
  assert.match(
    noObject.body.response.status!.message,
    /\[admission\/error\] request\.object is missing/,
  );
  const wrongShape = await validate(
    app,
    review({
      uid: "u-3",
      object: { kind: "Pod", metadata: { name: "x" }, spec: { containers: "nginx" } },
    }),
  );
  assert.equal(wrongShape.body.response.allowed, false);
  assert.match(
    wrongShape.body.response.status!.message,
    /\[admission\/error\] Pod cannot be evaluated: spec\.containers must be array/,
  );
  const badKind = await validate(app, {
    ...review({ uid: "u-4", object: pod(compliantPodSpec()) }),
    apiVersion: "admission.k8s.io/v1beta1",
  });
  assert.equal(badKind.body.response.uid, "u-4");
  assert.equal(badKind.body.response.allowed, false);
});

test("admission/error: audit turns fail-closed into fail-open; wildcards do not", async () => {
  const withRules = (rules: Record<string, string>): CompiledPolicy =>
    compilePolicy(policyWith({ rules }));
  const malformed = review({ object: { kind: "Pod", spec: { containers: 7 } } });
  const open = await validate(
    appWith(stateWith({ policy: withRules({ "*": "enforce", "admission/error": "audit" }) })),
    malformed,
  );
  assert.equal(open.body.response.allowed, true);
  const wildcard = await validate(
    appWith(stateWith({ policy: withRules({ "*": "audit" }) })),
    malformed,
  );
  assert.equal(wildcard.body.response.allowed, false);
});

test("no valid policy loaded: every workload is denied, /readyz says why", async () => {
  const app = appWith(
    stateWith({
      policy: undefined,
      policyError: "MCPWardenPolicy default does not exist",
      ready: false,
      notReady: "no valid policy",
    }),
  );
  const { body } = await validate(app, review({ object: pod(compliantPodSpec()) }));
  assert.equal(body.response.allowed, false);
  assert.match(
    body.response.status!.message,
    /no valid policy is loaded \(MCPWardenPolicy default does not exist\)/,
  );
  const ready = await app.inject({ method: "GET", url: "/readyz" });
  assert.equal(ready.statusCode, 503);
  assert.match(ready.body, /no valid policy/);
  assert.equal((await app.inject({ method: "GET", url: "/healthz" })).statusCode, 200);
});

test("a 12 MB body is refused without being parsed; so is deep nesting", async () => {
  const app = appWith();
  const big = await app.inject({
    method: "POST",
    url: "/validate",
    headers: { "content-type": "application/json" },
    payload: `{"a":"${"x".repeat(12 * 1024 * 1024)}"}`,
  });
  assert.equal(big.statusCode, 413);
  const deep = await app.inject({
    method: "POST",
    url: "/validate",
    headers: { "content-type": "application/json" },
    payload: "[".repeat(100_000) + "]".repeat(100_000),
  });
  assert.equal(deep.statusCode, 400);
  assert.match(deep.body, /deeper than 64/);
  const stillFine = await validate(app, review({ object: pod(compliantPodSpec()) }));
  assert.equal(stillFine.body.response.allowed, true);
});

test("/metrics counts decisions by result and findings by rule", async () => {
  const app = appWith();
  await validate(app, review({ object: pod(compliantPodSpec()) }));
  await validate(app, review({ object: pod(rootPod()) }));
  await validate(app, review({ operation: "DELETE" }));
  const text = (await app.inject({ method: "GET", url: "/metrics" })).body;
  assert.match(
    text,
    /mcp_warden_admission_decisions_total\{decision="allowed",kind="Pod",operation="CREATE"\} 1/,
  );
  assert.match(
    text,
    /mcp_warden_admission_decisions_total\{decision="denied",kind="Pod",operation="CREATE"\} 1/,
  );
  assert.match(
    text,
    /mcp_warden_admission_decisions_total\{decision="skipped",kind="Pod",operation="DELETE"\} 1/,
  );
  assert.match(
    text,
    /mcp_warden_admission_findings_total\{rule="pod-security\/run-as-non-root",action="enforce"\} 1/,
  );
  assert.match(text, /mcp_warden_admission_duration_seconds_count\{decision="denied"\} 1/);
  assert.match(text, /mcp_warden_policy_loaded 1/);
});

/** A compliant pod admitted under the default policy with this evidence and deadline. */
const admitCompliantPod = (evidence: EvidenceProvider, deadlineMs: number) =>
  admit(review({ object: pod(compliantPodSpec()) }), {
    state: stateWith({ policy: defaultPolicy() }),
    now: () => new Date(),
    deadlineMs,
    evidence,
  });

test("a lookup that ignores its signal ends in admission/error at the decision's deadline", async () => {
  let signal: AbortSignal | undefined;
  // Never settles, whatever the signal says: only the decision's own deadline can end the wait.
  const hanging: EvidenceProvider = (_images, _policy, s) => {
    signal = s;
    return new Promise(() => undefined);
  };
  const started = Date.now();
  const result = await admitCompliantPod(hanging, 200);
  assert.ok(result.answered);
  assert.equal(result.outcome.allowed, false);
  assert.deepEqual(result.outcome.rules, ["admission/error"]);
  assert.match(result.outcome.message ?? "", /no decision within 200 ms/);
  assert.ok(result.failure?.err instanceof DeadlineExceeded);
  // The lookups were told to stop first, with the reason AbortSignal.timeout gives.
  assert.equal(signal?.aborted, true);
  assert.equal((signal?.reason as DOMException).name, "TimeoutError");
  assert.ok(Date.now() - started < 5000);
});

test("a lookup that honours its signal denies through image/* before the decision's deadline", async () => {
  // As the registry evidence does: at the signal, the lookup gives up with no facts.
  const honouring: EvidenceProvider = (_images, _policy, s) => {
    assert.ok(s);
    return new Promise((resolve) =>
      s.addEventListener("abort", () => resolve({ forImage: () => undefined })),
    );
  };
  const result = await admitCompliantPod(honouring, 400);
  assert.ok(result.answered);
  assert.equal(result.outcome.allowed, false);
  assert.equal(result.failure, undefined);
  assert.ok(!result.outcome.rules.includes("admission/error"), result.outcome.rules.join());
  assert.ok(
    result.outcome.rules.some((r) => r.startsWith("image/")),
    result.outcome.rules.join(),
  );
});

test("a decision that ends in time leaves no timer behind", async () => {
  const quick: EvidenceProvider = () => Promise.resolve({ forImage: () => undefined });
  const before = process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  const result = await admitCompliantPod(quick, 60_000);
  assert.ok(result.answered);
  assert.equal(result.failure, undefined);
  assert.equal(process.getActiveResourcesInfo().filter((r) => r === "Timeout").length, before);
});

test("image rules are never skipped at admission: without registry facts they deny", async () => {
  const { body } = await validate(
    appWith(stateWith({ policy: defaultPolicy() })),
    review({ object: pod(compliantPodSpec()) }),
  );
  assert.equal(body.response.allowed, false);
  assert.match(
    body.response.status!.message,
    /\[image\/signed\] spec\.containers\[0\]\.image: container "server" image ".*" was not verified/,
  );
  assert.match(body.response.status!.message, /\[image\/evaluated\] spec\.containers\[0\]\.image/);
});

test("the registry is asked exactly when the policy runs a rule the catalogue says needs it", async () => {
  const asked: string[][] = [];
  const evidence: EvidenceProvider = (references) => {
    asked.push([...references]);
    return Promise.resolve({ forImage: () => undefined });
  };
  const withRules = (rules: Record<string, string>) =>
    appWith(stateWith({ policy: compilePolicy(policyWith({ rules })) }), undefined, evidence);
  const body = review({ object: pod(compliantPodSpec()) });
  await validate(
    withRules({
      "*": "enforce",
      "image/signed": "off",
      "image/evaluated": "off",
      "rbac/within-declared": "off",
      "network/within-declared": "off",
    }),
    body,
  );
  assert.deepEqual(asked, [], "no registry rule runs: no lookup");
  const { body: answer } = await validate(
    withRules({ "*": "enforce", "image/signed": "off" }),
    body,
  );
  assert.deepEqual(asked, [[`ghcr.io/acme/mcp@sha256:${"a".repeat(64)}`]]);
  assert.equal(answer.response.allowed, false);
});

test("recorded reviews: a compliant CronJob and Pod dry run are admitted; a Deployment update is judged", async () => {
  const app = appWith();
  for (const name of ["cronjob-create", "pod-create-dry-run", "deployment-create"]) {
    const { body } = await validate(app, recorded(name));
    assert.equal(body.response.allowed, true, name);
  }
  // The update turns on hostNetwork in the pod template.
  const { body } = await validate(app, recorded("deployment-update"));
  assert.equal(body.response.allowed, false);
  assert.match(
    body.response.status!.message,
    /^mcp-warden denied Deployment team-a\/mcp-fetch: .*spec\.template\.spec\.hostNetwork/,
  );
});

test("binding writes: denied when they grant a judged namespace's ServiceAccount forbidden rights", async () => {
  const GROUP = "rbac.authorization.k8s.io";
  const secrets = parseRbacObject({
    kind: "ClusterRole",
    metadata: { name: "secrets" },
    rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }],
  });
  const app = appWith(stateWith({ rbac: [secrets], judgedNamespaces: ["team-a"] }));
  const bindingReview = (operation: string, namespace: string) =>
    review({
      kind: { group: GROUP, version: "v1", kind: "ClusterRoleBinding" },
      resource: { group: GROUP, version: "v1", resource: "clusterrolebindings" },
      namespace: undefined,
      operation,
      object: {
        apiVersion: `${GROUP}/v1`,
        kind: "ClusterRoleBinding",
        metadata: { name: "read-secrets" },
        roleRef: { apiGroup: GROUP, kind: "ClusterRole", name: "secrets" },
        subjects: [{ kind: "ServiceAccount", name: "mcp", namespace }],
      },
    });
  const table: [string, string, boolean][] = [
    ["CREATE", "team-a", false],
    ["UPDATE", "team-a", false],
    ["CREATE", "elsewhere", true],
    ["DELETE", "team-a", true],
  ];
  for (const [operation, namespace, allowed] of table) {
    const { body } = await validate(app, bindingReview(operation, namespace));
    assert.equal(body.response.allowed, allowed, `${operation} ${namespace}`);
    if (!allowed) {
      assert.match(
        body.response.status!.message,
        /^mcp-warden denied ClusterRoleBinding read-secrets: \[rbac\/no-secret-read\] subjects\[0\]: ServiceAccount team-a\/mcp may get secrets cluster-wide/,
      );
    }
  }
  // a binding the API server would not admit cannot be judged: fail closed
  const broken = review({
    kind: { group: GROUP, version: "v1", kind: "ClusterRoleBinding" },
    operation: "CREATE",
    object: {
      kind: "ClusterRoleBinding",
      metadata: { name: "b" },
      roleRef: { kind: "ClusterRole" },
    },
  });
  const { body } = await validate(app, broken);
  assert.equal(body.response.allowed, false);
  assert.match(body.response.status!.message, /admission\/error/);
});
