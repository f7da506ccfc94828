/**
 * The webhook judging image/signed and image/evaluated with facts from a real registry: images
 * signed and evaluated by mcp-warden are admitted, unsigned ones denied, and results are cached.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { pino } from "pino";
import { createClusterState } from "../../policies/workload/cluster-state.ts";
import type { EvaluationPredicate } from "../../policies/evaluation/predicate.ts";
import { parseNetworkPolicy } from "../../policies/workload/network-policy.ts";
import { compilePolicy } from "../../policies/workload/policy.ts";
import { RegistryClient } from "../../supply-chain/registry/client.ts";
import { keySigner } from "../../supply-chain/sign/key-signer.ts";
import { attestEvaluation, signImage } from "../../supply-chain/sign/sign-image.ts";
import { registryEvidence } from "../../supply-chain/verify/evidence.ts";
import { buildApp } from "../../webhook/app.ts";
import { createMetrics } from "../../webhook/metrics.ts";
import { compliantPodSpec, denyAll, policyWith } from "../support/policies.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../support/registry-server.ts";
import { pushImage } from "../support/supply-chain.ts";
import { validPredicate } from "../support/evaluation.ts";

describe("admission with registry evidence", { skip: SKIP_NO_REGISTRY, timeout: 120_000 }, () => {
  let registry: RegistryServer;
  let client: RegistryClient;
  let predicate: EvaluationPredicate;
  let now: Date;
  const signing = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const signer = keySigner(signing.privateKey);

  before(async () => {
    registry = await startRegistry();
    client = new RegistryClient();
    predicate = validPredicate();
    now = new Date(Date.parse(predicate.time) + 3_600_000);
  });
  after(() => registry?.stop());

  function app() {
    const policy = compilePolicy(
      policyWith({
        rules: { "*": "enforce", "credentials/no-secret-env": "warn" },
        images: {
          trustedSigners: [
            {
              key: {
                publicKey: signing.publicKey.export({ type: "spki", format: "pem" }).toString(),
              },
            },
          ],
          evaluation: { minTrustLevel: "L3", maxAge: "720h" },
        },
      }),
    );
    const evidence = registryEvidence(() => client);
    const state = {
      snapshot: () => ({
        policy,
        cluster: createClusterState({ networkPolicies: [parseNetworkPolicy(denyAll("team-a"))] }),
        ready: true,
        watches: [],
      }),
      close: () => Promise.resolve(),
    };
    const sink = new Writable({ write: (_c, _e, done) => done() });
    const instance = buildApp(
      {
        logger: pino({ level: "info" }, sink),
        bodyLimit: 1 << 20,
        maxJsonDepth: 64,
        deadlineMs: 5000,
      },
      { state, metrics: createMetrics(), now: () => now, evidence: evidence.provide },
    );
    return { instance, cache: evidence.cache };
  }

  async function admit(instance: ReturnType<typeof app>["instance"], image: string) {
    const spec = compliantPodSpec();
    (spec.containers as Record<string, unknown>[])[0]!.image = image;
    const res = await instance.inject({
      method: "POST",
      url: "/validate",
      payload: {
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        request: {
          uid: "u1",
          kind: { group: "", version: "v1", kind: "Pod" },
          namespace: "team-a",
          operation: "CREATE",
          object: {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "p", labels: { app: "p" } },
            spec,
          },
        },
      },
    });
    return res.json<{ response: { allowed: boolean; status?: { message: string } } }>().response;
  }

  test("a signed, freshly evaluated image is admitted; the second request is served from the cache", async () => {
    const repo = `${registry.host}/mcp/approved`;
    const pushed = await pushImage(client, repo, "v1", `approved-${Date.now()}`);
    const ref = `${repo}@${pushed.manifest.digest}`;
    await signImage(client, ref, signer, now);
    await attestEvaluation(client, ref, predicate, signer, now);
    const { instance, cache } = app();
    assert.deepEqual(await admit(instance, ref), { uid: "u1", allowed: true });
    assert.equal((await admit(instance, ref)).allowed, true);
    assert.equal(cache.misses, 1);
    assert.equal(cache.hits, 1);
    await instance.close();
  });

  test("an unsigned image is denied with the rule ids", async () => {
    const repo = `${registry.host}/mcp/unsigned`;
    const pushed = await pushImage(client, repo, "v1", `unsigned-${Date.now()}`);
    const { instance } = app();
    const response = await admit(instance, `${repo}@${pushed.manifest.digest}`);
    assert.equal(response.allowed, false);
    assert.match(
      response.status!.message,
      /\[image\/signed\] spec\.containers\[0\]\.image: .* is not signed/,
    );
    assert.match(
      response.status!.message,
      /\[image\/evaluated\] spec\.containers\[0\]\.image: .* has no evaluation attestation/,
    );
    await instance.close();
  });
});
