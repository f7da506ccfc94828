import { MANAGED_BY } from "../cluster/reports.ts";
import { isRecord } from "../policies/guards.ts";
import type { DecidedFinding } from "../policies/workload/engine.ts";
import type { CheckReport, WorkloadResult } from "./report.ts";

// PolicyReports, as Kyverno's background scans write them and policy dashboards (Policy
// Reporter, ...) read them: wgpolicyk8s.io/v1alpha2 PolicyReport, and the openreports.io/v1alpha1
// Report newer Kyverno writes, which has the same results and summary.

export const REPORT_KINDS = [
  { apiVersion: "wgpolicyk8s.io/v1alpha2", kind: "PolicyReport", plural: "policyreports" },
  { apiVersion: "openreports.io/v1alpha1", kind: "Report", plural: "reports" },
] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** One report per namespace, named so that a second run replaces the first. */
export const REPORT_NAME = "mcp-warden";
export const REPORT_SOURCE = "mcp-warden";

type Status = "pass" | "fail" | "warn" | "error" | "skip";
/** The severities every version of both CRDs accepts (the oldest PolicyReport has no critical or info). */
type Severity = "high" | "medium" | "low";

export interface ReportResult {
  policy: string;
  rule: string;
  result: Status;
  severity?: Severity;
  category: string;
  message: string;
  scored: boolean;
  source: string;
  timestamp: { seconds: number; nanos: number };
  resources: ResourceRef[];
  properties?: Record<string, string>;
}

interface ResourceRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

export interface PolicyReportObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  summary: Record<Status, number>;
  results: ReportResult[];
}

/** Extra results for a namespace (`--rescan`'s vulnerabilities), made by their own module. */
export type ExtraResults = (namespace: string) => ReportResult[];

const SEVERITY: Record<DecidedFinding["action"], Severity> = {
  enforce: "high",
  warn: "medium",
  audit: "low",
};

function resourceOf(r: WorkloadResult): ResourceRef {
  const o = isRecord(r.document.object) ? r.document.object : {};
  const meta = isRecord(o.metadata) ? o.metadata : {};
  return {
    apiVersion: typeof o.apiVersion === "string" ? o.apiVersion : "",
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    ...(typeof meta.uid === "string" ? { uid: meta.uid } : {}),
  };
}

const familyOf = (rule: string) => rule.split("/")[0] ?? rule;

/**
 * Every result of one workload: a `fail`/`warn` per finding (an exempted one is `skip`), a `skip`
 * per rule that needs a registry and did not run, and a `pass` per other rule that ran.
 */
function workloadResults(
  report: CheckReport,
  r: WorkloadResult,
  ranRules: readonly string[],
  timestamp: ReportResult["timestamp"],
): ReportResult[] {
  const base = {
    policy: report.policy.name,
    scored: true,
    source: REPORT_SOURCE,
    timestamp,
    resources: [resourceOf(r)],
  };
  const out: ReportResult[] = [];
  const found = new Set<string>();
  for (const f of r.decision.findings) {
    found.add(f.rule);
    out.push({
      ...base,
      rule: f.rule,
      category: familyOf(f.rule),
      result: f.exemptedBy ? "skip" : f.action === "enforce" ? "fail" : "warn",
      severity: SEVERITY[f.action],
      message: f.message,
      properties: {
        action: f.action,
        path: f.path,
        ...(f.exemptedBy ? { exemptedBy: f.exemptedBy } : {}),
      },
    });
  }
  for (const rule of r.decision.skipped) {
    out.push({
      ...base,
      rule,
      category: familyOf(rule),
      result: "skip",
      message: "needs the image's signed evidence from its registry: run with --verify-images",
    });
  }
  for (const rule of ranRules) {
    if (found.has(rule) || r.decision.skipped.includes(rule)) continue;
    out.push({ ...base, rule, category: familyOf(rule), result: "pass", message: "passed" });
  }
  return out;
}

/**
 * One report of `kind` per namespace: the results of its workloads (and `extra` ones), with a
 * summary counting them. `ranRules` are the rules the policy and `--rules` let run.
 */
export function buildReports(
  report: CheckReport,
  opts: {
    kind: ReportKind;
    namespaces: readonly string[];
    ranRules: readonly string[];
    now: Date;
    extra?: ExtraResults;
  },
): PolicyReportObject[] {
  const timestamp = { seconds: Math.floor(opts.now.getTime() / 1000), nanos: 0 };
  return opts.namespaces.map((namespace) => {
    const results = [
      ...report.results
        .filter((r) => r.namespace === namespace)
        .flatMap((r) => workloadResults(report, r, opts.ranRules, timestamp)),
      ...(opts.extra?.(namespace) ?? []),
    ];
    const summary: Record<Status, number> = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
    for (const x of results) summary[x.result]++;
    return {
      apiVersion: opts.kind.apiVersion,
      kind: opts.kind.kind,
      metadata: {
        name: REPORT_NAME,
        namespace,
        labels: { ...MANAGED_BY },
      },
      summary,
      results,
    };
  });
}
