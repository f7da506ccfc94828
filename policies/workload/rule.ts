import type { ClusterState } from "./cluster-state.ts";
import type { ImageEvidence } from "./image-evidence.ts";
import type { TrustLevel } from "../trust-level.ts";
import type { Workload } from "./workload.ts";

/** One problem a rule found, at one field of the object as submitted. */
export interface Finding {
  rule: string;
  /** What is wrong and what to do about it, for a person. */
  message: string;
  /** Field path in the submitted object, e.g. `spec.template.spec.containers[1].image`. */
  path: string;
}

/** Settings from the compiled policy that individual rules read. */
export interface RuleSettings {
  allowPersistentVolumeClaims: boolean;
  evaluation: { minTrustLevel: TrustLevel; maxAgeMs: number };
}

export interface RuleContext {
  workload: Workload;
  cluster: ClusterState;
  settings: RuleSettings;
  /** Registry facts for the workload's images; present only when images were verified. */
  evidence: ImageEvidence | undefined;
  now: Date;
}

export interface Rule {
  id: string;
  /** One line: what the rule requires. */
  title: string;
  /** The rule needs registry facts (`evidence`); offline runs skip it and say so. */
  needsRegistry?: boolean;
  check(ctx: RuleContext): Finding[];
}
