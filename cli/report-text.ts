import type { DecidedFinding } from "../policies/workload/engine.ts";
import type { CheckReport, WorkloadResult } from "./report.ts";

const LABEL: Record<DecidedFinding["action"], string> = {
  enforce: "DENY ",
  warn: "WARN ",
  audit: "AUDIT",
};

function findingLines(f: DecidedFinding): string[] {
  const label = f.exemptedBy ? "EXEMPT" : LABEL[f.action];
  const by = f.exemptedBy ? `  (exception ${f.exemptedBy})` : "";
  return [`    ${label} ${f.rule}  ${f.path}${by}`, `           ${f.message}`];
}

function block(r: WorkloadResult): string[] {
  const mark = r.decision.allowed ? "PASS" : "FAIL";
  const where = r.document.live ? r.document.source : `${r.document.source}:${r.document.line}`;
  return [
    `${mark} ${r.kind} ${r.namespace}/${r.name}  (${where})`,
    ...r.decision.findings.flatMap(findingLines),
  ];
}

/** One block per workload, then a summary line; readable at a glance in a terminal or CI log. */
export function formatText(report: CheckReport): string {
  const lines = report.results.flatMap((r) => [...block(r), ""]);
  const denied = report.results.filter((r) => !r.decision.allowed).length;
  const count = (action: DecidedFinding["action"]) =>
    report.results
      .flatMap((r) => r.decision.findings)
      .filter((f) => f.action === action && !f.exemptedBy).length;
  const n = report.results.length;
  lines.push(
    `${n} workload${n === 1 ? "" : "s"}: ${n - denied} allowed, ${denied} denied` +
      ` (${count("enforce")} denying, ${count("warn")} warning, ${count("audit")} audit findings; policy ${report.policy.name})`,
  );
  if (n === 0) lines.push("no workloads found in the inputs");
  return `${lines.join("\n")}\n`;
}
