/**
 * The webhook judging image/signed and image/evaluated with facts from a real registry: images
 * signed and evaluated by mcp-warden are admitted, unsigned ones denied, and results are cached.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { EvaluationPredicate } from "../../policies/evaluation/predicate.ts";
import { RegistryClient } from "../../supply-chain/registry/client.ts";
import { keySigner } from "../../supply-chain/sign/key-signer.ts";
import { attestEvaluation, signImage } from "../../supply-chain/sign/sign-image.ts";
import { keyPolicy, webhook } from "../support/admission-harness.ts";
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

  const app = () =>
    webhook(keyPolicy(signing.publicKey, "enforce"), { deadlineMs: 5000, now, client });

  test("a signed, freshly evaluated image is admitted; the second request is served from the cache", async () => {
    const repo = `${registry.host}/mcp/approved`;
    const pushed = await pushImage(client, repo, "v1", `approved-${Date.now()}`);
    const ref = `${repo}@${pushed.manifest.digest}`;
    await signImage(client, ref, signer, now);
    await attestEvaluation(client, ref, predicate, signer, now);
    const hook = app();
    const first = await hook.admit([ref]);
    assert.deepEqual(
      { allowed: first.allowed, message: first.message },
      { allowed: true, message: "" },
    );
    assert.equal((await hook.admit([ref])).allowed, true);
    assert.equal(hook.cache.misses, 1);
    assert.equal(hook.cache.hits, 1);
    await hook.close();
  });

  test("an unsigned image is denied with the rule ids, and again from the cache", async () => {
    const repo = `${registry.host}/mcp/unsigned`;
    const pushed = await pushImage(client, repo, "v1", `unsigned-${Date.now()}`);
    const hook = app();
    const ref = `${repo}@${pushed.manifest.digest}`;
    const response = await hook.admit([ref]);
    assert.equal(response.allowed, false);
    assert.match(
      response.message,
      /\[image\/signed\] spec\.containers\[0\]\.image: .* is not signed/,
    );
    assert.match(
      response.message,
      /\[image\/evaluated\] spec\.containers\[0\]\.image: .* has no evaluation attestation/,
    );
    // The cached failure decides the same way on the warm path, with the registry not asked.
    const again = await hook.admit([ref]);
    assert.deepEqual(
      { allowed: again.allowed, message: again.message },
      { allowed: false, message: response.message },
    );
    assert.deepEqual({ misses: hook.cache.misses, hits: hook.cache.hits }, { misses: 1, hits: 1 });
    await hook.close();
  });
});
