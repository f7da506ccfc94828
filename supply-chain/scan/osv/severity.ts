import cvssCalculator from "ae-cvss-calculator";
import type {
  SeverityLevel,
  VulnerabilityFinding,
} from "../../../policies/evaluation/predicate.ts";
import type { OsvAffected, OsvRecord, OsvSeverity } from "./record-types.ts";

// ae-cvss-calculator is CommonJS; Node's ESM interop hands us module.exports as the default.
const { Cvss3P0, Cvss3P1, Cvss4P0 } = cvssCalculator;

export type Severity = VulnerabilityFinding["severity"];

/**
 * CVSS qualitative rating scale (v3.1 §5, v4.0 §6): 9.0+ critical, 7.0+ high, 4.0+ medium,
 * 0.1+ low. The scale calls 0.0 "none"; our levels have no "none", and an advisory that applies
 * is never nothing, so 0.0 counts as low (the least severe level, above "we were not told").
 */
export function levelOfScore(score: number): SeverityLevel {
  if (score >= 9) return "critical";
  if (score >= 7) return "high";
  if (score >= 4) return "medium";
  return "low";
}

const VECTOR_PREFIXES = ["CVSS:4.0/", "CVSS:3.1/", "CVSS:3.0/"] as const;

// Scoring a vector costs far more than matching a version, and advisories share few vectors.
const scores = new Map<string, number | undefined>();

/** Base score of a complete CVSS v3.0, v3.1 or v4.0 vector; undefined when it cannot be read. */
export function cvssBaseScore(vector: string): number | undefined {
  if (scores.has(vector)) return scores.get(vector);
  const score = scoreOf(vector);
  if (scores.size < 100_000) scores.set(vector, score);
  return score;
}

function scoreOf(vector: string): number | undefined {
  try {
    const parsed = vector.startsWith("CVSS:4.0/")
      ? new Cvss4P0(vector)
      : vector.startsWith("CVSS:3.1/")
        ? new Cvss3P1(vector)
        : vector.startsWith("CVSS:3.0/")
          ? new Cvss3P0(vector)
          : undefined;
    // An incomplete vector scores 0 rather than failing; it is not a score anyone stated.
    if (parsed === undefined || !parsed.isBaseFullyDefined()) return undefined;
    const score = parsed.calculateScores().base;
    return typeof score === "number" && score >= 0 && score <= 10 ? score : undefined;
  } catch {
    // The calculator throws on unknown metrics or values: treat as no vector, keep scanning.
    return undefined;
  }
}

// Newest CVSS version first: v4.0 describes the advisory better than v3.x when both are given.
function vectorRank(s: OsvSeverity): number {
  if (s.type !== "CVSS_V3" && s.type !== "CVSS_V4") return -1;
  const i = VECTOR_PREFIXES.findIndex((p) => s.score.startsWith(p));
  return i < 0 ? -1 : VECTOR_PREFIXES.length - i;
}

// GitHub's advisories state CRITICAL, HIGH, MODERATE or LOW in database_specific.severity.
function levelOfWord(value: unknown): SeverityLevel | undefined {
  if (typeof value !== "string") return undefined;
  switch (value.toUpperCase()) {
    case "CRITICAL":
      return "critical";
    case "HIGH":
      return "high";
    case "MODERATE":
    case "MEDIUM":
      return "medium";
    case "LOW":
      return "low";
    default:
      return undefined;
  }
}

/**
 * The severity of an advisory for the affected entries that matched: the highest-version CVSS
 * vector that can be scored (record-level or per affected entry), else the database's own word
 * (`database_specific.severity`, GHSA style), else `unknown`.
 */
export function severityOf(record: OsvRecord, affected: readonly OsvAffected[]): Severity {
  const vectors = [...(record.severity ?? []), ...affected.flatMap((a) => a.severity ?? [])]
    .map((s) => ({ s, rank: vectorRank(s) }))
    .filter(({ rank }) => rank > 0)
    .sort((a, b) => b.rank - a.rank);
  for (const { s } of vectors) {
    const score = cvssBaseScore(s.score);
    if (score !== undefined)
      return { level: levelOfScore(score), cvss: { vector: s.score, score } };
  }
  const word = [
    record.database_specific?.severity,
    ...affected.flatMap((a) => [a.database_specific?.severity, a.ecosystem_specific?.severity]),
  ]
    .map(levelOfWord)
    .find((level) => level !== undefined);
  return { level: word ?? "unknown" };
}
