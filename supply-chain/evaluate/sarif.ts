import type { Log, ReportingDescriptor, Result } from "sarif";
import { meetsThreshold, type SeverityThreshold } from "../../policies/evaluation/controls.ts";
import type { ControlFinding, SeverityLevel } from "../../policies/evaluation/predicate.ts";
import { findingPosition, type FindingPosition, type ReleaseEvaluation } from "./release.ts";

/**
 * SARIF 2.1.0 for a release evaluation, for GitHub code scanning: one result per vulnerability
 * (rule: the advisory, located at the lockfile entry) and per control finding (rule: the control).
 * `security-severity` carries the CVSS score, which code scanning ranks alerts by.
 */

const SCORE_OF_LEVEL: Record<SeverityLevel, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "2.0",
  unknown: "8.0",
};

function locations(at: FindingPosition | undefined): Pick<Result, "locations"> {
  if (at === undefined) return {};
  return {
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: encodeURI(at.file.replaceAll("\\", "/")), uriBaseId: "SRCROOT" },
          ...(at.line === undefined ? {} : { region: { startLine: at.line } }),
        },
      },
    ],
  };
}

function levelOf(severity: SeverityLevel | undefined, threshold: SeverityThreshold): Result.level {
  if (severity === undefined) return "warning";
  return meetsThreshold(severity, threshold) ? "error" : "warning";
}

export function releaseSarif(
  evaluation: ReleaseEvaluation,
  opts: { threshold: SeverityThreshold; version: string; image?: string },
): Log {
  const rules: ReportingDescriptor[] = [];
  const ruleIndex = new Map<string, number>();
  const rule = (descriptor: ReportingDescriptor): number => {
    const known = ruleIndex.get(descriptor.id);
    if (known !== undefined) return known;
    ruleIndex.set(descriptor.id, rules.length);
    rules.push(descriptor);
    return rules.length - 1;
  };
  const results: Result[] = [];

  for (const { vulnerability: v, file, line } of evaluation.vulnerabilities) {
    const index = rule({
      id: v.id,
      shortDescription: { text: v.summary ?? `${v.id} in ${v.package.name}` },
      helpUri: `https://osv.dev/vulnerability/${encodeURIComponent(v.id)}`,
      properties: {
        "security-severity": v.severity.cvss
          ? v.severity.cvss.score.toFixed(1)
          : SCORE_OF_LEVEL[v.severity.level],
        tags: ["security", "vulnerability", v.package.ecosystem],
        aliases: v.aliases,
      },
    });
    const fix = v.fixedVersion ? `; fixed in ${v.fixedVersion}` : "; no fixed version";
    results.push({
      ruleId: v.id,
      ruleIndex: index,
      level: v.ignored ? "note" : levelOf(v.severity.level, opts.threshold),
      message: {
        text: `${v.package.name}@${v.version} is affected by ${[v.id, ...v.aliases].join(" / ")} (${v.severity.level}${fix})`,
      },
      ...locations({ file, ...(line === undefined ? {} : { line }) }),
      partialFingerprints: {
        "mcpWardenVulnerability/v1": `${v.id}|${v.package.ecosystem}|${v.package.name}|${v.version}`,
      },
      ...(v.ignored
        ? {
            suppressions: [
              {
                kind: "external",
                status: "accepted",
                justification: `${v.ignored.reason} (until ${v.ignored.expires})`,
              },
            ],
          }
        : {}),
    });
  }

  for (const control of evaluation.predicate.controls) {
    if (control.id === "SC-02") continue; // vulnerabilities are reported one by one above
    const controlRule = () =>
      rule({
        id: control.id,
        shortDescription: { text: control.title ?? control.id },
        properties: { tags: ["security", "mcp"] },
      });
    control.findings.forEach((f: ControlFinding, i) => {
      const index = controlRule();
      results.push({
        ruleId: control.id,
        ruleIndex: index,
        // SC-06 only warns: its findings never fail anything, whatever their severity.
        level:
          control.status === "fail"
            ? "error"
            : control.id === "SC-06"
              ? "warning"
              : levelOf(f.severity, opts.threshold),
        message: { text: f.message },
        ...locations(findingPosition(f.location, evaluation)),
        partialFingerprints: { "mcpWardenControl/v1": `${control.id}|${f.location ?? ""}|${i}` },
      });
    });
    // Waived findings stay visible, as accepted suppressions.
    (control.waived ?? []).forEach((w, i) => {
      const index = controlRule();
      results.push({
        ruleId: control.id,
        ruleIndex: index,
        level: "note",
        message: { text: w.finding.message },
        ...locations(findingPosition(w.finding.location, evaluation)),
        partialFingerprints: {
          "mcpWardenControl/v1": `${control.id}|${w.finding.location ?? ""}|waived-${i}`,
        },
        suppressions: [
          {
            kind: "external",
            status: "accepted",
            justification: `${w.reason} (until ${w.expires})`,
          },
        ],
      });
    });
  }

  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "mcp-warden",
            version: opts.version,
            informationUri: "https://mcp-warden.dev",
            rules,
          },
        },
        originalUriBaseIds: { SRCROOT: { description: { text: "The repository root" } } },
        results,
        properties: {
          verdict: evaluation.predicate.verdict,
          trustLevel: evaluation.predicate.trustLevel,
          ...(opts.image ? { image: opts.image } : {}),
        },
      },
    ],
  };
}
