import { createHash } from "node:crypto";

/**
 * The RFC 6962 / RFC 9162 Merkle tree: leaf hash SHA-256(0x00 || data), node hash
 * SHA-256(0x01 || left || right), the root of n leaves split at the largest power of two below n.
 */

const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);

export function leafHash(data: Uint8Array): Buffer {
  return createHash("sha256").update(LEAF).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash("sha256").update(NODE).update(left).update(right).digest();
}

/** The hash of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT = createHash("sha256").digest();

/** The largest power of two smaller than n (n > 1). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[lo:hi]) over leaf hashes, as RFC 6962 section 2.1 defines it. */
export function rootOf(leaves: readonly Uint8Array[], lo = 0, hi = leaves.length): Buffer {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return Buffer.from(leaves[lo] as Uint8Array);
  const k = splitPoint(n);
  return nodeHash(rootOf(leaves, lo, lo + k), rootOf(leaves, lo + k, hi));
}

/**
 * The tree's right edge: the roots of its perfect subtrees, largest first. Appending is O(log n)
 * and the root of the current size is at hand, so a writer never rereads its leaves.
 */
export class CompactRange {
  #size = 0;
  /** Perfect subtree roots, left to right; their sizes are the set bits of `size`, high to low. */
  #hashes: Buffer[] = [];

  get size(): number {
    return this.#size;
  }

  append(leaf: Uint8Array): void {
    let hash: Buffer = Buffer.from(leaf);
    // Each trailing one bit of the old size is a subtree of the new leaf's size to merge with.
    for (let s = this.#size; s % 2 === 1; s = Math.floor(s / 2)) {
      hash = nodeHash(this.#hashes.pop() as Buffer, hash);
    }
    this.#hashes.push(hash);
    this.#size++;
  }

  root(): Buffer {
    if (this.#hashes.length === 0) return EMPTY_ROOT;
    let hash = this.#hashes[this.#hashes.length - 1] as Buffer;
    for (let i = this.#hashes.length - 2; i >= 0; i--)
      hash = nodeHash(this.#hashes[i] as Buffer, hash);
    return hash;
  }
}

/** PATH(m, D[lo:hi]): the audit path of leaf m (RFC 6962 section 2.1.1). */
export function inclusionProof(
  leaves: readonly Uint8Array[],
  index: number,
  size = leaves.length,
): Buffer[] {
  if (!(index >= 0 && index < size && size <= leaves.length))
    throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  const path = (m: number, lo: number, hi: number): Buffer[] => {
    const n = hi - lo;
    if (n === 1) return [];
    const k = splitPoint(n);
    return m < k
      ? [...path(m, lo, lo + k), rootOf(leaves, lo + k, hi)]
      : [...path(m - k, lo + k, hi), rootOf(leaves, lo, lo + k)];
  };
  return path(index, 0, size);
}

/** PROOF(m, D[0:n]): the consistency proof from size m to size n (RFC 6962 section 2.1.2). */
export function consistencyProof(
  leaves: readonly Uint8Array[],
  m: number,
  n = leaves.length,
): Buffer[] {
  if (!(m >= 0 && m <= n && n <= leaves.length))
    throw new RangeError(`no consistency proof from ${m} to ${n}`);
  if (m === 0 || m === n) return [];
  const subproof = (m: number, lo: number, hi: number, complete: boolean): Buffer[] => {
    const n = hi - lo;
    if (m === n) return complete ? [] : [rootOf(leaves, lo, hi)];
    const k = splitPoint(n);
    return m <= k
      ? [...subproof(m, lo, lo + k, complete), rootOf(leaves, lo + k, hi)]
      : [...subproof(m - k, lo + k, hi, false), rootOf(leaves, lo, lo + k)];
  };
  return subproof(m, 0, n, true);
}

/** Verifies an inclusion proof (RFC 9162 section 2.1.3.2). */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!(index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

function isPowerOfTwo(n: number): boolean {
  let v = n;
  while (v > 1 && v % 2 === 0) v /= 2;
  return v === 1;
}

/** Verifies a consistency proof between two tree heads (RFC 9162 section 2.1.4.2). */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (size1 > size2) return false;
  if (size1 === size2) return proof.length === 0 && Buffer.from(root1).equals(root2);
  if (size1 === 0) return proof.length === 0;
  let path = proof.map((p) => Buffer.from(p));
  // A first tree that is a perfect subtree is its own first proof node.
  if (isPowerOfTwo(size1)) path = [Buffer.from(root1), ...path];
  if (path.length === 0) return false;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Buffer = path[0] as Buffer;
  let sr: Buffer = path[0] as Buffer;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(root1) && sr.equals(root2);
}
