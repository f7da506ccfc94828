import type { Horizon } from "./horizon.ts";
import type { ClusterState } from "./cluster-state.ts";
import type { ImageEvidence } from "./image-evidence.ts";
import type { TrustLevel } from "../trust-level.ts";
import type { ImageReference } from "./image-reference.ts";
import type { LabelSelector } from "./k8s-types.ts";
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
  /**
   * `spec.podSecurity.version`: the Pod Security Admission policy version (minor of v1.NN) the
   * pod-security/* rules judge as; absent: latest.
   */
  podSecurityVersion?: number | undefined;
  /** `spec.runtime`: the gateway's image and the namespaces that must run behind it (absent: none). */
  runtime?: {
    gatewayImage?: ImageReference;
    namespaceSelector?: LabelSelector;
  };
}

export interface RuleContext {
  workload: Workload;
  cluster: ClusterState;
  settings: RuleSettings;
  /** Registry facts for the workload's images; present only when images were verified. */
  evidence: ImageEvidence | undefined;
  /** A rule that reads it bounds `horizon` with the instant its finding could change. */
  now: Date;
  horizon: Horizon;
}

/**
 * What `mcp-warden explain RULE` prints beside the rule's title: the risk, the fix and an example.
 * Every rule in the catalogue has one.
 */
export interface Explanation {
  /** The risk the rule guards against: what goes wrong when a workload breaks it. */
  why: string;
  /** How to make a workload pass, naming the fields to set or remove. */
  fix: string;
  /**
   * YAML that passes the rule, one or more documents. A document with a `kind` is a whole object
   * (a NetworkPolicy, a Role, an MCPWardenException...); one without a kind whose `spec.template`
   * is set is a fragment of a Deployment, merged into it as `kubectl patch` merges (lists of named
   * items by name). The tests judge every such example and check that the rule passes.
   */
  example: string;
}

export interface Rule {
  id: string;
  /** One line: what the rule requires. */
  title: string;
  /** The rule needs registry facts (`evidence`); offline runs skip it and say so. */
  needsRegistry?: boolean;
  explain: Explanation;
  check(ctx: RuleContext): Finding[];
}

/**
 * An {@link Explanation.example} written indented beside the rule: the common indentation and the
 * leading and trailing blank lines are removed. Raw, so `\.` in a regular expression stays as written.
 */
export function yamlExample(strings: TemplateStringsArray, ...values: unknown[]): string {
  const lines = String.raw(strings, ...values)
    .replace(/^\s*\n/, "")
    .replace(/\n\s*$/, "")
    .split("\n");
  const indents = lines.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length);
  const indent = Math.min(...indents);
  return lines.map((l) => l.slice(indent)).join("\n");
}
