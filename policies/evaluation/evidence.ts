import type { ControlResult, EvidenceSource } from "./predicate.ts";

/**
 * The source of each control's evidence (the predicate's `controls[].evidence`). The evaluation is
 * of the image it is attached to, so a reader must be able to tell a judgement of the image itself
 * (its inventory, its own entrypoint run) from one of the package or the lockfiles beside it.
 */

/** What an evaluation actually used, as the caller observed it. */
export interface EvidenceUsed {
  /** How the server's tools were listed: by running the image, or the package; absent when not listed. */
  listing?: "image-run" | "package-run";
}

/**
 * The sources of one control's judgement. A skipped control judged nothing and has none; controls
 * about how the release is signed and built (AI-03, PR-*) rest on the signature and the CI
 * context, which are none of these sources.
 */
export function controlEvidence(c: ControlResult, used: EvidenceUsed): EvidenceSource[] {
  if (c.status === "skip") return [];
  const listed = used.listing === undefined ? [] : [used.listing];
  switch (c.id) {
    case "AI-01":
    case "CD-02":
      return ["manifest"];
    case "CD-01":
    case "CD-03":
    case "CD-05":
      return ["manifest", ...listed];
    case "CD-04":
      return listed.length > 0 ? listed : ["manifest"];
    case "SC-02":
    case "SC-03":
      return ["lockfile"];
    case "SC-04":
      return ["image-inventory"];
    case "SC-05":
      return ["manifest", "image-inventory"];
    case "SC-06":
      return ["lockfile", "image-inventory"];
    default:
      return [];
  }
}

/** True when `sources` appears among the evidence of some control. */
function used(controls: readonly ControlResult[], source: EvidenceSource): boolean {
  return controls.some((c) => c.evidence?.includes(source) === true);
}

/**
 * Whether the evaluation examined the image itself: its inventory was read and its tools were
 * listed by running it. Predicates written before evidence was recorded have none, so they never
 * count as image evidence.
 */
export function imageEvidenceOf(controls: readonly ControlResult[]): {
  inventory: boolean;
  run: boolean;
} {
  return { inventory: used(controls, "image-inventory"), run: used(controls, "image-run") };
}
