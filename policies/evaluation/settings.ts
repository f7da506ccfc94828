import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import type { TrustLevel } from "../trust-level.ts";
import type { SeverityThreshold } from "./controls.ts";
import type { IgnoreEntry } from "./ignores.ts";

/** The settings an evaluation applies; their digest is the predicate's `evaluator.policyDigest`. */
export interface EvaluationSettings {
  failOnSeverity: SeverityThreshold;
  minTrustLevel: TrustLevel;
  ignores: readonly IgnoreEntry[];
}

/** `sha256:` of the RFC 8785 canonical JSON of the settings: equal settings, equal digests. */
export function settingsDigest(settings: EvaluationSettings): string {
  const canonical = canonicalize({
    failOnSeverity: settings.failOnSeverity,
    minTrustLevel: settings.minTrustLevel,
    ignores: settings.ignores.map((e) => ({ ...e })),
  });
  if (canonical === undefined) throw new Error("evaluation settings could not be canonicalised");
  return `sha256:${createHash("sha256").update(canonical).digest("hex")}`;
}
