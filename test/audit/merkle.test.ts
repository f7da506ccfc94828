import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import {
  CompactRange,
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  nodeHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from "../../policies/audit/merkle.ts";

const sha = (...parts: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};

/**
 * The tree built naively, level by level as RFC 6962's figures draw it: pair neighbours left to
 * right and carry an odd last node up unchanged. Independent of the recursive split in merkle.ts.
 */
function naiveRoot(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha();
  let level = leaves;
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = level[i + 1];
      next.push(
        right === undefined
          ? (level[i] as Buffer)
          : sha(Buffer.from([1]), level[i] as Buffer, right),
      );
    }
    level = next;
  }
  return level[0] as Buffer;
}

const leavesArb = (max: number) =>
  fc
    .array(fc.uint8Array({ maxLength: 16 }), { minLength: 1, maxLength: max })
    .map((ds) => ds.map(leafHash));

test("leaf and node hashes carry the RFC 6962 domain-separation prefixes", () => {
  const data = Buffer.from("record");
  assert.deepEqual(leafHash(data), sha(Buffer.from([0]), data));
  const [a, b] = [leafHash(Buffer.from("a")), leafHash(Buffer.from("b"))];
  assert.deepEqual(nodeHash(a, b), sha(Buffer.from([1]), a, b));
  assert.deepEqual(EMPTY_ROOT, sha());
});

test("the root of a known tree matches the RFC 6962 test vector", () => {
  // The eight leaves of certificate-transparency-go's merkle tests, with their published root.
  const inputs = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
  ];
  const leaves = inputs.map((h) => leafHash(Buffer.from(h, "hex")));
  assert.equal(
    rootOf(leaves).toString("hex"),
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  );
  assert.equal(
    rootOf(leaves, 0, 1).toString("hex"),
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  );
});

test("the recursive root, the compact range and a naive level-by-level tree agree", () => {
  fc.assert(
    fc.property(leavesArb(70), (leaves) => {
      const range = new CompactRange();
      for (const [i, l] of leaves.entries()) {
        range.append(l);
        assert.equal(range.size, i + 1);
        assert.deepEqual(range.root(), naiveRoot(leaves.slice(0, i + 1)));
      }
      assert.deepEqual(rootOf(leaves), naiveRoot(leaves));
    }),
    { numRuns: 60 },
  );
});

test("every inclusion proof verifies, and fails for another leaf, index or root", () => {
  fc.assert(
    fc.property(leavesArb(50), fc.nat(), fc.nat(), (leaves, a, b) => {
      const size = (a % leaves.length) + 1;
      const index = b % size;
      const root = naiveRoot(leaves.slice(0, size));
      const proof = inclusionProof(leaves, index, size);
      assert.ok(verifyInclusion(leaves[index] as Buffer, index, size, proof, root));
      assert.ok(!verifyInclusion(leafHash(Buffer.from("other")), index, size, proof, root));
      assert.ok(
        !verifyInclusion(leaves[index] as Buffer, index, size, proof, leafHash(Buffer.from("x"))),
      );
      if (size > 1)
        assert.ok(
          !verifyInclusion(leaves[index] as Buffer, (index + 1) % size, size, proof, root) ||
            leaves[index]?.equals(leaves[(index + 1) % size] as Buffer),
        );
      assert.ok(!verifyInclusion(leaves[index] as Buffer, index, size, [...proof, root], root));
    }),
    { numRuns: 200 },
  );
});

test("every consistency proof verifies, and fails when either root is another tree's", () => {
  fc.assert(
    fc.property(leavesArb(50), fc.nat(), fc.nat(), (leaves, a, b) => {
      const n = (a % leaves.length) + 1;
      const m = (b % n) + 1;
      const [r1, r2] = [naiveRoot(leaves.slice(0, m)), naiveRoot(leaves.slice(0, n))];
      const proof = consistencyProof(leaves, m, n);
      assert.ok(verifyConsistency(m, n, proof, r1, r2));
      if (m < n) {
        const forked = [...leaves.slice(0, n)];
        forked[m - 1] = leafHash(Buffer.from("forked"));
        assert.ok(!verifyConsistency(m, n, proof, naiveRoot(forked.slice(0, m)), r2));
        assert.ok(!verifyConsistency(m, n, proof, r1, naiveRoot(forked)));
      }
    }),
    { numRuns: 200 },
  );
});
