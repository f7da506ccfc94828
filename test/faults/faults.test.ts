/**
 * The quick subset of `npm run faults` (scenarios.ts): under each fault every decision is right
 * or a fail-closed denial, within the deadline, never a wrong allow; once the fault ends the
 * right decision comes back without a restart (bar the webhook's own death, where a new process
 * on the same port is the restart its Deployment does). For the gateway: no call outside the
 * grant answered, every answered call recorded, the sink's log verified by `mcp-warden audit verify`.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { k8sBinDir, SKIP_NO_BINARIES } from "../e2e/support/cluster.ts";
import { SKIP_NO_MINIO } from "../support/minio.ts";
import { SKIP_NO_REGISTRY } from "../support/registry-server.ts";
import { apiServerRestarted, startApiBench, type ApiBench } from "./apiserver-scenarios.ts";
import {
  auditSinkUnreachable,
  gatewayKilledMidCall,
  upstreamDiesMidCall,
} from "./gateway-scenarios.ts";
import {
  registryFault,
  startRegistryBench,
  tlsRotationUnderLoad,
  webhookKilledMidRequest,
  type FaultResult,
  type RegistryBench,
} from "./scenarios.ts";

function assertRecorded(r: FaultResult): void {
  const said = JSON.stringify(r);
  assert.equal(r.lostRecords, 0, `an answered call without its record: ${said}`);
  assert.equal(r.auditVerified, true, `the sink's log did not verify: ${said}`);
}

function assertHeld(r: FaultResult, restart = false): void {
  const said = JSON.stringify(r);
  assert.ok(r.decisions > 0, `no decision was asked for: ${said}`);
  assert.equal(r.wrongAllows, 0, `a wrong allow: ${said}`);
  assert.equal(
    r.correct + r.failClosed,
    r.decisions,
    `a decision neither right nor denied: ${said}`,
  );
  assert.ok(r.slowestMs <= r.deadlineMs, `a decision slower than the deadline: ${said}`);
  assert.notEqual(r.recoverMs, undefined, `no recovery: ${said}`);
  assert.equal(r.restarted, restart, said);
}

describe(
  "registry faults, the webhook in process",
  { skip: SKIP_NO_REGISTRY, timeout: 60_000 },
  () => {
    let bench: RegistryBench;
    before(async () => {
      bench = await startRegistryBench();
    });
    after(() => bench?.stop());

    test("slow past the deadline: denied within it, allowed again once the registry answers", async () => {
      const r = await registryFault(bench, "hang", 1500);
      assertHeld(r);
      assert.equal(r.correct, 0, "nothing could be verified while the registry hung");
    });

    test("flapping: each decision right or denied, never a wrong allow", async () => {
      assertHeld(await registryFault(bench, "flap", 1500));
    });
  },
);

describe("mcp-warden serve faults", { timeout: 60_000 }, () => {
  test("a certificate rotated under load: no failed request, the new one served", async () => {
    const r = await tlsRotationUnderLoad(2000, 4);
    assertHeld(r);
    assert.equal(r.failClosed, r.decisions - r.correct);
    assert.match(r.behaviour, / 0 connection errors/);
  });

  test("killed mid-request: cut reviews fail (denied by failurePolicy), none allowed wrongly", async () => {
    const r = await webhookKilledMidRequest(8);
    assertHeld(r, true);
  });
});

describe("gateway faults", { timeout: 120_000 }, () => {
  test("the MCP server dies mid-call: the call in flight gets a JSON-RPC error, later calls succeed once it is back", async () => {
    const r = await upstreamDiesMidCall(1000);
    assertHeld(r);
    assertRecorded(r);
    assert.match(r.behaviour, /^the call in flight: JSON-RPC error -32603/);
  });

  test(
    "the audit sink unreachable (deny): calls refused while it cannot record, back without a restart",
    { skip: SKIP_NO_MINIO },
    async () => {
      const r = await auditSinkUnreachable("deny", 6500);
      assertHeld(r);
      assertRecorded(r);
      assert.doesNotMatch(r.behaviour, / 0 refused as unrecordable/);
    },
  );

  test("the gateway killed mid-call and restarted: nothing answered is unrecorded, the log verifies", async () => {
    const r = await gatewayKilledMidCall(4, 30);
    assertHeld(r, true);
    assertRecorded(r);
  });
});

describe(
  "API server faults",
  { skip: k8sBinDir() ? false : SKIP_NO_BINARIES, timeout: 180_000 },
  () => {
    let api: ApiBench;
    before(async () => {
      api = await startApiBench();
    });
    after(() => api?.stop());

    test("restarted: each review right or denied (stale state fails closed), fresh again without a restart", async () => {
      const r = await apiServerRestarted(api, 1000);
      assertHeld(r);
      // Down longer than --stale-after (2 s): the isolated pod was denied for a while, not judged
      // on state the webhook could no longer confirm.
      assert.ok(r.failClosed > 0, JSON.stringify(r));
    });
  },
);
