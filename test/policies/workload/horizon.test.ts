/**
 * The horizon a decision reports: judged at any instant from its making until the horizon, the
 * same workload gets the same decision, word for word; at the horizon, the rule that set it reads
 * differently. The webhook reuses decisions on the strength of this.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createClusterState } from "../../../policies/workload/cluster-state.ts";
import { judgeWorkload, type Decision } from "../../../policies/workload/engine.ts";
import { Horizon } from "../../../policies/workload/horizon.ts";
import type { ImageEvidence, ImageFacts } from "../../../policies/workload/image-evidence.ts";
import { parseNetworkPolicy } from "../../../policies/workload/network-policy.ts";
import { toWorkload } from "../../../policies/workload/workload.ts";
import { compliantPodSpec, defaultPolicy, denyAll, exception } from "../../support/policies.ts";

const NOW = Date.parse("2026-06-01T00:00:00Z");
const HOUR = 3_600_000;
const MAX_AGE = 720 * HOUR; // policies/default.yaml
const policy = defaultPolicy();

function limits(expires: number | undefined) {
  return exception(
    "limits",
    "mcp-warden-system",
    expires === undefined ? {} : { expires: new Date(expires).toISOString() },
  );
}

/** A Deployment without resource limits that asks for the `limits` exception. */
function workload() {
  const spec = compliantPodSpec();
  delete (spec.containers as Record<string, unknown>[])[0]!.resources;
  return toWorkload({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "srv", namespace: "team-a" },
    spec: {
      template: {
        metadata: { labels: { app: "srv" }, annotations: { "mcp-warden.dev/exception": "limits" } },
        spec,
      },
    },
  });
}

/** Signed facts with one evaluation made at `evaluatedAt`, for every image. */
function evidence(evaluatedAt: number): ImageEvidence {
  const facts: ImageFacts = {
    digest: `sha256:${"a".repeat(64)}`,
    verifiedSignatures: [{ signer: "acme release" }],
    rejectedSignatures: [],
    verifiedEvaluations: [
      {
        verdict: "pass",
        trustLevel: "L3",
        time: new Date(evaluatedAt).toISOString(),
        signer: "acme release",
        imageEvidence: { inventory: true, run: true },
      },
    ],
    rejectedEvaluations: [],
  };
  return { forImage: () => facts };
}

interface Case {
  name: string;
  evaluatedAt: number;
  expires: number | undefined;
  /** The horizon the rules must report. */
  until: number;
}

const cases: Case[] = [
  {
    name: "a fresh evaluation, an exception without expiry: until the evaluation is too old",
    evaluatedAt: NOW - HOUR,
    expires: undefined,
    until: NOW - HOUR + MAX_AGE + 1,
  },
  {
    name: "an exception expiring before the evaluation grows stale: until it expires",
    evaluatedAt: NOW - HOUR,
    expires: NOW + 2 * HOUR,
    until: NOW + 2 * HOUR,
  },
  {
    name: "an evaluation one millisecond from too old",
    evaluatedAt: NOW - MAX_AGE,
    expires: NOW + 2 * HOUR,
    until: NOW + 1,
  },
  {
    name: "a stale evaluation: its message gives its age, so the decision holds only now",
    evaluatedAt: NOW - MAX_AGE - HOUR,
    expires: undefined,
    until: NOW,
  },
  {
    name: "an evaluation dated in the future: until it is within the tolerance",
    evaluatedAt: NOW + HOUR,
    expires: undefined,
    until: NOW + HOUR - 5 * 60_000,
  },
  {
    name: "an expired exception stays expired",
    evaluatedAt: NOW - HOUR,
    expires: NOW - 1,
    until: NOW - HOUR + MAX_AGE + 1,
  },
];

function judge(c: Case, at: number, horizon?: Horizon): Decision {
  return judgeWorkload(workload(), {
    policy,
    cluster: createClusterState({
      networkPolicies: [parseNetworkPolicy(denyAll("team-a"))],
      exceptions: [limits(c.expires)],
    }),
    now: new Date(at),
    evidence: evidence(c.evaluatedAt),
    horizon,
  });
}

for (const c of cases) {
  test(`horizon: ${c.name}`, () => {
    const horizon = new Horizon();
    const decided = judge(c, NOW, horizon);
    assert.equal(horizon.until, c.until);
    // Every instant before the horizon gives the same decision, word for word.
    for (const at of [NOW + 1, (NOW + c.until) / 2, c.until - 1]) {
      if (at <= NOW || at >= c.until) continue;
      assert.deepEqual(judge(c, Math.floor(at)), decided, new Date(at).toISOString());
    }
    // At the horizon the rule that set it reads differently.
    if (c.until > NOW) assert.notDeepEqual(judge(c, c.until), decided);
  });
}

test("horizon: the judge reports none when no rule reads the clock", () => {
  const horizon = new Horizon();
  judgeWorkload(workload(), {
    policy,
    cluster: createClusterState({ networkPolicies: [parseNetworkPolicy(denyAll("team-a"))] }),
    now: new Date(NOW),
    horizon,
  });
  assert.equal(horizon.until, Number.POSITIVE_INFINITY);
});
