import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { after, test } from "node:test";
import fc from "fast-check";
import { pino } from "pino";
import { createClusterState } from "../../../policies/workload/cluster-state.ts";
import { parseNetworkPolicy } from "../../../policies/workload/network-policy.ts";
import { isWorkloadKind, toWorkload } from "../../../policies/workload/workload.ts";
import { buildApp } from "../../../webhook/app.ts";
import { readAdmissionReview } from "../../../webhook/admission.ts";
import { createMetrics } from "../../../webhook/metrics.ts";
import type { StateSource } from "../../../webhook/state.ts";
import { fuzz } from "../../support/fuzz.ts";
import { deeplyNestedText, hostileString, mutation, mutate } from "../../support/fuzz-json.ts";
import { WORKLOAD_TEMPLATE, workload } from "../../support/fuzz-k8s.ts";
import { compliantPodSpec, denyAll, offlinePolicy } from "../../support/policies.ts";

// Every decision line the app logs, to tell an evaluated allow from an allow after an error.
const decisions: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split("\n").filter(Boolean)) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.msg === "admission decision") decisions.push(parsed);
    }
    done();
  },
});

const state: StateSource = (() => {
  const snapshot = {
    policy: offlinePolicy(),
    cluster: createClusterState({ networkPolicies: [parseNetworkPolicy(denyAll("team-a"))] }),
    ready: true,
    watches: [],
  };
  return { snapshot: () => snapshot, close: () => Promise.resolve() };
})();

const app = buildApp(
  {
    logger: pino({ level: "info" }, sink),
    bodyLimit: 3 * 1024 * 1024,
    maxJsonDepth: 64,
    deadlineMs: 8000,
  },
  { state, metrics: createMetrics() },
);
after(() => app.close());

const recordedReviews = [
  "cronjob-create",
  "deployment-create",
  "deployment-create-dry-run",
  "deployment-update",
  "pod-create",
  "pod-create-dry-run",
  "pod-ephemeralcontainers",
  "pod-update-labels",
].map(
  (name) =>
    JSON.parse(
      readFileSync(new URL(`../../fixtures/admission/${name}.json`, import.meta.url), "utf8"),
    ) as Record<string, unknown>,
);

function reviewOf(object: Record<string, unknown>, operation: string, uid: string) {
  const [group, version] = String(object.apiVersion).includes("/")
    ? String(object.apiVersion).split("/")
    : ["", String(object.apiVersion)];
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group, version, kind: object.kind },
      resource: { group, version, resource: `${String(object.kind).toLowerCase()}s` },
      namespace: "team-a",
      operation,
      userInfo: { username: "alice", groups: ["dev"] },
      object,
      ...(operation === "UPDATE" ? { oldObject: object } : {}),
    },
  };
}

const uid = fc.oneof(fc.uuid(), hostileString);

/** A binding that grants a judged namespace's ServiceAccount a cluster role. */
function binding(kind: string): Record<string, unknown> {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata: { name: "grant", ...(kind === "RoleBinding" ? { namespace: "team-a" } : {}) },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
    subjects: [{ kind: "ServiceAccount", name: "srv", namespace: "team-a" }],
  };
}

/** A review from a recorded one or a generated workload, then mutated. */
const mutatedReview = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(...recordedReviews),
      fc
        .tuple(
          fc.constantFrom("RoleBinding", "ClusterRoleBinding"),
          fc.constantFrom("CREATE", "UPDATE"),
          uid,
        )
        .map(([kind, operation, id]) => reviewOf(binding(kind), operation, id)),
      fc
        .tuple(workload, fc.constantFrom("CREATE", "UPDATE", "DELETE", "CONNECT", "create"), uid)
        .map(([object, operation, id]) => reviewOf(object, operation, id)),
    ),
    fc.array(mutation, { maxLength: 4 }),
  )
  .map(([base, mutations]) => mutate(base, mutations));

interface Answer {
  status: number;
  body: unknown;
  decision: Record<string, unknown> | undefined;
}

async function send(payload: string | Buffer, contentType = "application/json"): Promise<Answer> {
  const before = decisions.length;
  const res = await app.inject({
    method: "POST",
    url: "/validate",
    headers: { "content-type": contentType },
    payload,
  });
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    body = res.body;
  }
  return { status: res.statusCode, body, decision: decisions.slice(before).at(-1) };
}

function uidOf(review: unknown): string | undefined {
  const request = (review as { request?: { uid?: unknown } } | null)?.request;
  const id = typeof request === "object" && request !== null ? request.uid : undefined;
  return typeof id === "string" && id !== "" ? id : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Whether the API server would expect this request judged and the engine cannot build it. */
function unbuildableWorkload(review: unknown): boolean {
  const read = readAdmissionReview(review);
  if (!read.ok) return false;
  const r = read.request;
  if (r.operation !== "CREATE" || !isWorkloadKind(r.kind.kind)) return false;
  if (r.subResource !== undefined && r.subResource !== "") return false;
  if (!isRecord(r.object)) return true;
  if (isRecord(r.object.metadata) && r.object.metadata.deletionTimestamp) return false;
  if (r.object.kind !== undefined && r.object.kind !== r.kind.kind) return true;
  try {
    toWorkload({ ...r.object, kind: r.kind.kind }, r.namespace || "default");
    return false;
  } catch {
    return true;
  }
}

/** What every answer must be, whatever was sent. */
function assertFailsClosed(sent: unknown, answer: Answer, depthOk: boolean): void {
  assert.ok(answer.status < 500, `status ${answer.status}: ${JSON.stringify(answer.body)}`);
  const id = uidOf(sent);
  if (id !== undefined && depthOk) assert.equal(answer.status, 200, JSON.stringify(answer.body));
  if (answer.status !== 200) {
    assert.ok(answer.status >= 400, `status ${answer.status}`);
    return;
  }
  const body = answer.body as {
    apiVersion: unknown;
    kind: unknown;
    response: { uid: unknown; allowed: unknown; status?: { code: unknown; message: unknown } };
  };
  assert.equal(body.apiVersion, "admission.k8s.io/v1");
  assert.equal(body.kind, "AdmissionReview");
  assert.equal(typeof body.response.allowed, "boolean");
  assert.equal(body.response.uid, id, "the uid is echoed");
  if (!body.response.allowed) {
    assert.equal(body.response.status?.code, 403);
    assert.equal(typeof body.response.status?.message, "string");
    // Bad input is named as such; an error of any other kind is a bug, even when it denies.
    assert.doesNotMatch(String(body.response.status?.message), /internal error/);
  }
  const decision = answer.decision?.decision;
  assert.ok(decision !== undefined, "every answered review is logged");
  if (decision === "error") assert.equal(body.response.allowed, false, "an error never allows");
  if (!readAdmissionReview(sent).ok) {
    assert.equal(body.response.allowed, false, "a malformed review is denied");
  }
  if (unbuildableWorkload(sent)) {
    assert.equal(body.response.allowed, false, "a workload the engine cannot build is denied");
  }
}

/** fastify refuses prototype-poisoning keys before the route, like nesting past its limit. */
function poisoning(text: string): boolean {
  return /"__proto__"\s*:/.test(text) || /"constructor"\s*:\s*\{[^]*"prototype"/.test(text);
}

/** Nesting deeper than the app's limit is refused before parsing; count it from the value. */
function depthOf(v: unknown): number {
  if (typeof v !== "object" || v === null) return 0;
  let max = 0;
  for (const child of Object.values(v)) max = Math.max(max, depthOf(child));
  return max + 1;
}

test("mutated AdmissionReviews: never a 5xx, the uid echoed, never an allow after an error", async (t) => {
  await fuzz(
    t,
    fc.asyncProperty(mutatedReview, async (review) => {
      const text = JSON.stringify(review) ?? "null";
      const answer = await send(text);
      const answerable = depthOf(review) <= 64 && text.length <= 3 * 1024 * 1024;
      assertFailsClosed(review, answer, answerable && !poisoning(text));
    }),
    150,
  );
});

test("generated workloads of every kind: judged, and a workload that cannot be built is denied", async (t) => {
  await fuzz(
    t,
    fc.asyncProperty(workload, fc.constantFrom("CREATE", "UPDATE"), async (object, operation) => {
      const review = reviewOf(object, operation, "fuzz-uid");
      const answer = await send(JSON.stringify(review));
      assertFailsClosed(review, answer, true);
      if (operation === "CREATE") {
        assert.notEqual(answer.decision?.decision, "skipped", "a new workload is always judged");
      }
    }),
    100,
  );
});

const validText = JSON.stringify(
  reviewOf(
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "srv", namespace: "team-a" },
      spec: compliantPodSpec(),
    },
    "CREATE",
    "raw-uid",
  ),
);

/** Text-level damage: what JSON.stringify of a value never produces. */
const rawBody = fc.oneof(
  // Duplicate keys: the last one wins in JSON.parse; the answer must still be well-formed.
  fc
    .tuple(
      fc.constantFrom('"uid"', '"kind"', '"operation"', '"object"', '"spec"', '"image"'),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .map(([key, value]) => validText.replace(`${key}:`, `${key}:${JSON.stringify(value)},${key}:`)),
  fc
    .tuple(fc.integer({ min: 65, max: 10_000 }), fc.boolean())
    .map(([depth, asArray]) =>
      validText.replace('"spec":', `"spec":${deeplyNestedText(depth, asArray)},"x":`),
    ),
  fc
    .integer({ min: 0, max: 200_000 })
    .map((n) => validText.replace('"args":', `"args":[${'"a",'.repeat(n)}"a"],"x":`)),
  fc.constantFrom(
    "",
    "null",
    "[]",
    "1",
    '"AdmissionReview"',
    "true",
    "{",
    "{}",
    '{"request":null}',
    '{"request":[]}',
    '{"request":{"uid":1}}',
    '{"request":{"uid":"u"}}',
    '{"__proto__":{"allowed":true},"request":{"uid":"u"}}',
    '{"constructor":{"prototype":{"allowed":true}},"request":{"uid":"u"}}',
    validText.replace('"srv"', '"\\ud800"'),
    validText.replace('"srv"', '"\\u0000"'),
    validText.slice(0, validText.length / 2),
  ),
  fc.string({ unit: "binary", maxLength: 200 }),
);

test("raw bodies (duplicate keys, 10,000 levels deep, huge arrays, non-objects): never a 5xx", async (t) => {
  await fuzz(
    t,
    fc.asyncProperty(rawBody, async (text) => {
      const answer = await send(text);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const depthOk = parsed !== undefined && depthOf(parsed) <= 64 && !poisoning(text);
      assertFailsClosed(parsed, answer, depthOk);
      if (parsed === undefined) assert.equal(answer.status, 400);
    }),
    60,
  );
});

test("bytes that are not UTF-8 and bodies of other content types: a 4xx or a denial", async (t) => {
  await fuzz(
    t,
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 64 }),
      fc.nat(),
      fc.constantFrom(
        "application/json",
        "text/plain",
        "application/yaml",
        "application/json; charset=latin1",
      ),
      async (garbage, where, contentType) => {
        const bytes = Buffer.from(validText, "utf8");
        const cut = where % bytes.length;
        const payload = Buffer.concat([
          bytes.subarray(0, cut),
          Buffer.from(garbage),
          bytes.subarray(cut),
        ]);
        const answer = await send(payload, contentType);
        assert.ok(answer.status < 500, `status ${answer.status}: ${JSON.stringify(answer.body)}`);
        if (answer.status === 200) {
          const response = (answer.body as { response: { uid: unknown; allowed: unknown } })
            .response;
          assert.equal(typeof response.allowed, "boolean");
          assert.equal(typeof response.uid, "string");
        }
      },
    ),
    60,
  );
});

/** The pod spec inside a generated workload, found by its kind's template path. */
function podSpecIn(object: Record<string, unknown>): Record<string, unknown> {
  let at: unknown = object;
  for (const key of WORKLOAD_TEMPLATE[String(object.kind)]!.path)
    at = (at as Record<string, unknown>)[key];
  return (at as { spec: Record<string, unknown> }).spec;
}

test("a workload made privileged or given the host's namespaces is denied, whatever else it holds", async (t) => {
  await fuzz(
    t,
    fc.asyncProperty(
      workload,
      fc.constantFrom(
        "containers",
        "initContainers",
        "ephemeralContainers",
        "hostPID",
        "hostNetwork",
        "hostIPC",
      ),
      fc.nat(),
      async (object, where, which) => {
        const spec = podSpecIn(object);
        if (where.startsWith("host")) spec[where] = true;
        else {
          const list = (spec[where] as Record<string, unknown>[] | undefined) ?? [];
          if (list.length === 0) return;
          const container = list[which % list.length]!;
          container.securityContext = {
            ...(container.securityContext as object),
            privileged: true,
          };
        }
        const answer = await send(JSON.stringify(reviewOf(object, "CREATE", "escalate")));
        assert.equal(answer.status, 200);
        const response = (answer.body as { response: { allowed: boolean } }).response;
        assert.equal(response.allowed, false, `${where} allowed: ${JSON.stringify(object)}`);
      },
    ),
    100,
  );
});
