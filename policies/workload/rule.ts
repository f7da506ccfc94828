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
  /** Other objects that cause the finding (the binding and role that grant a right). */
  related?: RelatedLocation[];
}

/** A field of another object, named so an edge can point at the document that holds it. */
export interface RelatedLocation {
  kind: string;
  namespace?: string;
  name: string;
  /** Field path in that object, e.g. `rules[2]` or `subjects[0]`. */
  path: string;
}

/** Settings from the compiled policy that individual rules read. */
export interface RuleSettings {
  allowPersistentVolumeClaims: boolean;
  /** `spec.network.internetEgress`: admit declared internet egress. */
  internetEgress: "allow" | "deny";
  evaluation: {
    minTrustLevel: TrustLevel;
    maxAgeMs: number;
    /** `spec.images.evaluation.requireImageEvidence`: only an evaluation of the image itself counts (absent: false). */
    requireImageEvidence?: boolean;
  };
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
