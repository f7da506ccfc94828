import type { CheckReport } from "./report.ts";

/** The JSON report of DESIGN.md "CLI": one result per workload, findings with their actions. */
export function formatJson(report: CheckReport): string {
  const results = report.results.map((r) => ({
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    source: r.document.source,
    ...(r.document.live ? {} : { line: r.document.line }),
    allowed: r.decision.allowed,
    findings: r.decision.findings.map((f) => ({
      rule: f.rule,
      action: f.action,
      message: f.message,
      path: f.path,
      ...(f.related
        ? {
            related: f.related.map((rel) => {
              const doc = report.documentOf(rel);
              return {
                kind: rel.kind,
                ...(rel.namespace !== undefined ? { namespace: rel.namespace } : {}),
                name: rel.name,
                ...(doc?.live ? { source: doc.source } : {}),
                ...(doc && !doc.live
                  ? { source: doc.source, line: doc.locate(rel.path)?.line ?? doc.line }
                  : {}),
                path: rel.path,
              };
            }),
          }
        : {}),
      ...(f.exemptedBy ? { exemptedBy: f.exemptedBy } : {}),
    })),
    skipped: r.decision.skipped,
    exceptionsUsed: r.decision.exceptionsUsed,
  }));
  return `${JSON.stringify({ policy: { name: report.policy.name, source: report.policySource }, results }, null, 2)}\n`;
}
