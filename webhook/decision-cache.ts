/**
 * Decisions reused for reviews that differ from an earlier one only in their uid: a retried
 * request, a GitOps controller's periodic dry-run of unchanged objects, the same object applied
 * again. A decision is reused only while everything it read is unchanged — the same policy and
 * cluster state objects (the watches replace them on any change), the same cached registry facts
 * (none expired or replaced), and a clock before the instant any of its findings could read
 * differently (its Horizon). Anything else is judged afresh.
 */
import { hash } from "node:crypto";
import type { CompiledPolicy } from "../policies/workload/policy.ts";
import type { ClusterState } from "../policies/workload/cluster-state.ts";
import type { CachedImageEvidence } from "../supply-chain/verify/evidence.ts";
import type { AdmissionOutcome } from "./admission.ts";

/** What a decision was made from, each compared by identity when it is reused. */
export interface DecisionInputs {
  policy: CompiledPolicy;
  cluster: ClusterState;
  /** The registry facts it judged with, from the cache; undefined when it needed none. */
  evidence: CachedImageEvidence | undefined;
}

interface Entry extends DecisionInputs {
  outcome: AdmissionOutcome;
  /** Epoch ms: the clock reading it was made at, and the instant it may read differently. */
  from: number;
  until: number;
}

/** Entries kept at most; the oldest placed go first. */
export const DEFAULT_DECISION_CACHE_ENTRIES = 4096;

export class DecisionCache {
  private readonly entries = new Map<string, Entry>();
  hits = 0;
  misses = 0;

  private readonly maxEntries: number;

  constructor(maxEntries = DEFAULT_DECISION_CACHE_ENTRIES) {
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The key of a review from its body exactly as parsed and its request uid: the SHA-256 of the
   * text with the uid's JSON string replaced by a NUL, which valid JSON text never holds, so equal
   * keys mean texts equal but for that string. Undefined, and so never reused, unless the uid's
   * string occurs exactly once (then it is `request.uid` itself, as the API server writes it).
   */
  static keyOf(text: string, uid: string): string | undefined {
    const token = JSON.stringify(uid);
    const at = text.indexOf(token);
    if (at === -1 || text.indexOf(token, at + 1) !== -1) return undefined;
    return hash("sha256", `${text.slice(0, at)}\u0000${text.slice(at + token.length)}`, "base64");
  }

  /** The decision made for this key from these very inputs, if it still holds at `at`. */
  get(
    key: string,
    inputs: Omit<DecisionInputs, "evidence">,
    at: number,
  ): AdmissionOutcome | undefined {
    const e = this.entries.get(key);
    if (
      e !== undefined &&
      e.policy === inputs.policy &&
      e.cluster === inputs.cluster &&
      at >= e.from &&
      at < e.until &&
      (e.evidence === undefined || e.evidence.current())
    ) {
      this.hits++;
      return e.outcome;
    }
    if (e !== undefined) this.entries.delete(key);
    this.misses++;
    return undefined;
  }

  /** Keeps a decision made at `at` that holds until `until`. */
  put(key: string, inputs: DecisionInputs, outcome: AdmissionOutcome, at: number, until: number) {
    if (until <= at) return;
    this.entries.delete(key);
    this.entries.set(key, { ...inputs, outcome, from: at, until });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
