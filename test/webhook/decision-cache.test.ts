/**
 * Reused decisions: a review equal but for its uid gets the decision made for the first, and
 * only while everything that decision read is unchanged — the policy and cluster state, the
 * cached registry facts, and the clock before its horizon.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { pino } from "pino";
import { createClusterState } from "../../policies/workload/cluster-state.ts";
import { parseNetworkPolicy } from "../../policies/workload/network-policy.ts";
import { RegistryClient } from "../../supply-chain/registry/client.ts";
import { keySigner } from "../../supply-chain/sign/key-signer.ts";
import { attestEvaluation, signImage } from "../../supply-chain/sign/sign-image.ts";
import { buildApp } from "../../webhook/app.ts";
import { DecisionCache } from "../../webhook/decision-cache.ts";
import { createMetrics } from "../../webhook/metrics.ts";
import type { StateSnapshot } from "../../webhook/state.ts";
import { keyPolicy, webhook } from "../support/admission-harness.ts";
import { validPredicate } from "../support/evaluation.ts";
import { compliantPodSpec, denyAll, exception, offlinePolicy } from "../support/policies.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../support/registry-server.ts";
import { pushImage } from "../support/supply-chain.ts";
import { collectLogLines } from "../support/log-lines.ts";

const NOW = Date.parse("2026-06-01T00:00:00Z");
const HOUR = 3_600_000;

test("keyOf: equal for texts equal but for the uid; undefined unless the uid's string occurs once", () => {
  const text = (uid: string, extra = "") =>
    `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":${JSON.stringify(uid)},"operation":"CREATE"${extra}}}`;
  const a = DecisionCache.keyOf(text("a1"), "a1");
  assert.ok(a);
  assert.equal(DecisionCache.keyOf(text("b2-longer"), "b2-longer"), a);
  assert.notEqual(DecisionCache.keyOf(text("a1", ',"dryRun":true'), "a1"), a);
  assert.notEqual(DecisionCache.keyOf(text("a1", " "), "a1"), a);
  // The uid also written elsewhere (an annotation equal to it): never reused.
  assert.equal(DecisionCache.keyOf(text("a1", ',"name":"a1"'), "a1"), undefined);
  // The uid written with an escape: its string as JSON.stringify writes it is not in the text.
  assert.equal(DecisionCache.keyOf(text("a1").replace('"a1"', '"\\u00611"'), "a1"), undefined);
});

const { lines: logLines, sink } = collectLogLines();

/** The sandbox rules' exception for team-a, expiring at `expires`. */
function limitsException(expires: number) {
  return exception("limits", "mcp-warden-system", {
    reason: "tracked in SEC-1",
    expires: new Date(expires).toISOString(),
  });
}

/** The app with a decision cache, a settable clock and a replaceable state snapshot. */
function reusingApp() {
  const clock = { now: NOW };
  const isolated = () =>
    createClusterState({
      networkPolicies: [parseNetworkPolicy(denyAll("team-a"))],
      exceptions: [limitsException(NOW + 2 * HOUR)],
    });
  const snapshot: StateSnapshot = {
    policy: offlinePolicy(),
    cluster: isolated(),
    ready: true,
    watches: [],
  };
  const decisions = new DecisionCache();
  const metrics = createMetrics();
  const app = buildApp(
    {
      logger: pino({ level: "info" }, sink),
      bodyLimit: 1 << 20,
      maxJsonDepth: 64,
      deadlineMs: 8000,
    },
    {
      state: { snapshot: () => snapshot, close: () => Promise.resolve() },
      metrics,
      now: () => new Date(clock.now),
      decisions,
    },
  );
  after(() => app.close());
  return { app, clock, snapshot, isolated, decisions, metrics };
}

/** A Pod review; without limits, it needs the `limits` exception. */
function review(uid: string, opts: { limits?: boolean; dryRun?: boolean; user?: string } = {}) {
  const spec = compliantPodSpec();
  if (opts.limits === false) delete (spec.containers as Record<string, unknown>[])[0]!.resources;
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace: "team-a",
      operation: "CREATE",
      userInfo: { username: opts.user ?? "alice", groups: ["dev"] },
      ...(opts.dryRun ? { dryRun: true } : {}),
      object: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: "srv",
          namespace: "team-a",
          labels: { app: "srv" },
          annotations: { "mcp-warden.dev/exception": "limits" },
        },
        spec,
      },
    },
  };
}

interface Answer {
  uid: string;
  allowed: boolean;
  status?: { message: string };
  warnings?: string[];
}

async function post(app: ReturnType<typeof reusingApp>["app"], body: unknown): Promise<Answer> {
  const res = await app.inject({ method: "POST", url: "/validate", payload: body as object });
  assert.equal(res.statusCode, 200);
  return res.json<{ response: Answer }>().response;
}

test("a review equal but for its uid gets the first one's decision, with its own uid; the log and /metrics say so", async () => {
  const { app, decisions } = reusingApp();
  for (const limits of [true, false]) {
    const first = await post(app, review(`first-${limits}`, { limits }));
    const again = await post(app, review(`again-${limits}`, { limits }));
    assert.equal(again.uid, `again-${limits}`);
    assert.deepEqual({ ...again, uid: "" }, { ...first, uid: "" });
    assert.equal(first.allowed, true);
  }
  assert.deepEqual({ hits: decisions.hits, misses: decisions.misses }, { hits: 2, misses: 2 });
  const lines = logLines.filter((l) => String(l.uid).startsWith("again-"));
  assert.deepEqual(
    lines.map((l) => [l.uid, l.reused, l.decision]),
    [
      ["again-true", true, "allowed"],
      ["again-false", true, "allowed"],
    ],
  );
  const firstLine = logLines.find((l) => l.uid === "first-true");
  assert.equal(firstLine?.reused, undefined);
  const metrics = await app.inject({ method: "GET", url: "/metrics" });
  assert.match(metrics.body, /^mcp_warden_admission_reused_decisions_total 2$/m);
  assert.match(
    metrics.body,
    /^mcp_warden_admission_decisions_total\{decision="allowed",kind="Pod",operation="CREATE"\} 4$/m,
  );
});

test("any other difference in the review is judged afresh", async () => {
  const { app, decisions } = reusingApp();
  await post(app, review("a"));
  await post(app, review("b", { dryRun: true }));
  await post(app, review("c", { user: "bob" }));
  await post(app, review("d", { limits: false }));
  assert.deepEqual({ hits: decisions.hits, misses: decisions.misses }, { hits: 0, misses: 4 });
  assert.equal(decisions.size, 4);
});

test("new cluster state or a new policy: judged afresh, and the new state decides", async () => {
  const { app, snapshot, isolated, decisions } = reusingApp();
  assert.equal((await post(app, review("a"))).allowed, true);
  // The same content in a new object (a watch saw a change): not reused.
  snapshot.cluster = isolated();
  assert.equal((await post(app, review("b"))).allowed, true);
  assert.equal(decisions.hits, 0);
  // The namespace's NetworkPolicy deleted: denied, not the old answer.
  snapshot.cluster = createClusterState({ exceptions: [limitsException(NOW + 2 * HOUR)] });
  const denied = await post(app, review("c"));
  assert.equal(denied.allowed, false);
  assert.match(denied.status?.message ?? "", /network\//);
  snapshot.policy = offlinePolicy();
  assert.equal((await post(app, review("d"))).allowed, false);
  assert.equal(decisions.hits, 0);
  // State some of which could not be read (a watch failing too long) is never kept.
  snapshot.cluster = { ...isolated(), unavailable: { exceptions: "the watch has not synced" } };
  const size = decisions.size;
  await post(app, review("e"));
  await post(app, review("f"));
  assert.equal(decisions.size, size);
  assert.equal(decisions.hits, 0);
});

test("an exception's expiry ends reuse at that very millisecond", async () => {
  const { app, clock, decisions } = reusingApp();
  const expires = NOW + 2 * HOUR;
  assert.equal((await post(app, review("a", { limits: false }))).allowed, true);
  clock.now = expires - 1;
  assert.equal((await post(app, review("b", { limits: false }))).allowed, true);
  assert.equal(decisions.hits, 1);
  clock.now = expires;
  const expired = await post(app, review("c", { limits: false }));
  assert.equal(expired.allowed, false);
  assert.match(expired.status?.message ?? "", /expired at/);
  assert.equal(decisions.hits, 1);
  // A clock set back before the decision was made does not reuse it either.
  clock.now = NOW - 1;
  assert.equal((await post(app, review("d", { limits: false }))).allowed, true);
  assert.equal(decisions.hits, 1);
});

describe(
  "reused decisions with registry evidence",
  { skip: SKIP_NO_REGISTRY, timeout: 120_000 },
  () => {
    let registry: RegistryServer;
    const client = new RegistryClient();
    const signing = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const predicate = validPredicate();
    const evaluated = Date.parse(predicate.time);
    let ref: string;

    before(async () => {
      registry = await startRegistry();
      const repo = `${registry.host}/mcp/reused`;
      const pushed = await pushImage(client, repo, "v1", `reused-${Date.now()}`);
      ref = `${repo}@${pushed.manifest.digest}`;
      const signer = keySigner(signing.privateKey);
      await signImage(client, ref, signer, new Date(evaluated));
      await attestEvaluation(client, ref, predicate, signer, new Date(evaluated));
    });
    after(() => registry?.stop());

    /** The webhook as `serve` builds it, on a settable clock shared with its facts cache. */
    function hookAt(clock: { now: number }, factsTtlMs: number) {
      return webhook(keyPolicy(signing.publicKey, "enforce"), {
        deadlineMs: 5000,
        now: () => new Date(clock.now),
        client,
        decisions: new DecisionCache(),
        cache: { now: () => clock.now, successTtlMs: factsTtlMs },
      });
    }

    test("reuse ends when the registry facts expire: the registry is asked again", async () => {
      const clock = { now: evaluated + HOUR };
      const hook = hookAt(clock, 10 * 60_000);
      const decisions = hook.decisions!;
      // Looked up, then judged warm and kept, then reused.
      for (const uid of ["a", "b", "c"]) assert.equal((await hook.admit([ref], uid)).allowed, true);
      assert.deepEqual(
        { lookups: hook.cache.misses, reused: decisions.hits },
        { lookups: 1, reused: 1 },
      );
      clock.now += 10 * 60_000 - 1;
      assert.equal((await hook.admit([ref], "d")).allowed, true);
      assert.equal(decisions.hits, 2);
      // Past the facts' lifetime: not reused; the registry is asked again and still approves.
      clock.now += 1;
      assert.equal((await hook.admit([ref], "e")).allowed, true);
      assert.deepEqual(
        { lookups: hook.cache.misses, reused: decisions.hits },
        { lookups: 2, reused: 2 },
      );
      await hook.close();
    });

    test("reuse ends when the evaluation grows older than the policy's maxAge, to the millisecond", async () => {
      const clock = { now: evaluated + HOUR };
      const hook = hookAt(clock, 2000 * HOUR);
      const decisions = hook.decisions!;
      for (const uid of ["a", "b"]) assert.equal((await hook.admit([ref], uid)).allowed, true);
      // Exactly 720h old still passes, and the decision is reused.
      clock.now = evaluated + 720 * HOUR;
      assert.equal((await hook.admit([ref], "c")).allowed, true);
      assert.equal(decisions.hits, 1);
      clock.now += 1;
      const stale = await hook.admit([ref], "d");
      assert.equal(stale.allowed, false);
      assert.match(stale.message, /older than the allowed 720h/);
      assert.deepEqual(
        { lookups: hook.cache.misses, reused: decisions.hits },
        { lookups: 1, reused: 1 },
      );
      await hook.close();
    });
  },
);
