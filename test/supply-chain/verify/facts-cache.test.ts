import assert from "node:assert/strict";
import { test } from "node:test";
import type { ImageFacts } from "../../../policies/workload/image-evidence.ts";
import { FactsCache } from "../../../supply-chain/verify/facts-cache.ts";

const verified = (signer: string): ImageFacts => ({
  verifiedSignatures: [{ signer }],
  rejectedSignatures: [],
  verifiedEvaluations: [],
  rejectedEvaluations: [],
});
const failed: ImageFacts = {
  lookupError: "registry down",
  verifiedSignatures: [],
  rejectedSignatures: [],
  verifiedEvaluations: [],
  rejectedEvaluations: [],
};

function counting(result: (ref: string) => ImageFacts) {
  const calls: string[] = [];
  const gather = async (ref: string) => {
    calls.push(ref);
    await new Promise((r) => setTimeout(r, 5));
    return result(ref);
  };
  return { calls, gather };
}

test("successes are kept longer than failures, and per policy digest", async () => {
  let now = 0;
  const { calls, gather } = counting((ref) => (ref.includes("good") ? verified("k") : failed));
  const cache = new FactsCache(gather, {
    successTtlMs: 1000,
    failureTtlMs: 100,
    maxEntries: 10,
    now: () => now,
  });
  await cache.get("good", "p1");
  await cache.get("bad", "p1");
  now = 50;
  await cache.get("good", "p1");
  await cache.get("bad", "p1");
  assert.deepEqual(calls, ["good", "bad"]);
  now = 150;
  await cache.get("good", "p1");
  await cache.get("bad", "p1");
  assert.deepEqual(calls, ["good", "bad", "bad"], "the failure expired, the success did not");
  await cache.get("good", "p2");
  assert.deepEqual(calls, ["good", "bad", "bad", "good"], "another policy digest is another entry");
  now = 2000;
  await cache.get("good", "p1");
  assert.equal(calls.length, 5);
});

test("concurrent lookups of one image share one registry round trip", async () => {
  const { calls, gather } = counting(() => verified("k"));
  const cache = new FactsCache(gather);
  const results = await Promise.all(Array.from({ length: 20 }, () => cache.get("img", "p")));
  assert.equal(calls.length, 1);
  assert.ok(results.every((r) => r === results[0]));
});

test("the cache is bounded; the least recently used entry goes first", async () => {
  const { calls, gather } = counting(() => verified("k"));
  const cache = new FactsCache(gather, { maxEntries: 2 });
  await cache.get("a", "p");
  await cache.get("b", "p");
  await cache.get("a", "p"); // a is now the most recent
  await cache.get("c", "p"); // evicts b
  assert.equal(cache.size, 2);
  await cache.get("a", "p");
  await cache.get("b", "p");
  assert.deepEqual(calls, ["a", "b", "c", "b"]);
});

test("a failed gather is not cached and does not stick in flight", async () => {
  let fail = true;
  const cache = new FactsCache(async () => {
    await Promise.resolve();
    if (fail) throw new Error("boom");
    return verified("k");
  });
  await assert.rejects(cache.get("x", "p"), /boom/);
  fail = false;
  assert.equal((await cache.get("x", "p")).verifiedSignatures.length, 1);
});

test("an image in use stays cached while many others pass through; one not in use goes", async () => {
  const calls: string[] = [];
  const cache = new FactsCache(
    (ref) => {
      calls.push(ref);
      return Promise.resolve(verified("k"));
    },
    { maxEntries: 100 },
  );
  await cache.get("hot", "p");
  await cache.get("cold", "p");
  for (let i = 0; i < 1000; i++) {
    await cache.get(`img${i}`, "p");
    // Hit once per 50 insertions: half the cache, less than the three quarters it may wait.
    if (i % 50 === 0) await cache.get("hot", "p");
  }
  assert.equal(cache.size, 100);
  const before = calls.length;
  await cache.get("hot", "p");
  assert.equal(calls.length, before, "the image in use was never evicted");
  await cache.get("cold", "p");
  assert.equal(calls.length, before + 1, "the image not in use was evicted");
});
