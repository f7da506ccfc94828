import type { Location, Log, Result, ReportingDescriptor } from "sarif";
import pkg from "../package.json" with { type: "json" };
import { CATALOGUE } from "../policies/workload/catalogue.ts";
import type { DecidedFinding } from "../policies/workload/engine.ts";
import type { SourceDocument } from "./documents.ts";
import type { CheckReport, WorkloadResult } from "./report.ts";

const LEVEL: Record<DecidedFinding["action"], Result.level> = {
  enforce: "error",
  warn: "warning",
  audit: "note",
};

/** A relative path as a URI reference (forward slashes, percent-encoded); stdin has none. */
function artifactUri(source: string): string | undefined {
  if (source === "<stdin>") return undefined;
  return encodeURI(source.replaceAll("\\", "/").replace(/^\.\//, ""));
}

/** A file under the directory mcp-warden ran in; an object in a cluster is named as it is. */
function artifactLocation(uri: string, doc: SourceDocument): { uri: string; uriBaseId?: string } {
  return doc.live ? { uri } : { uri, uriBaseId: "SRCROOT" };
}

/** The binding and role behind a finding, each at its file and line when it was among the inputs. */
function relatedLocations(report: CheckReport, f: DecidedFinding): Location[] {
  return (f.related ?? []).map((rel, id) => {
    const doc = report.documentOf(rel);
    const uri = doc ? artifactUri(doc.source) : undefined;
    const pos = doc?.locate(rel.path);
    const name = [rel.kind, rel.namespace, rel.name].filter((p) => p !== undefined).join("/");
    return {
      id,
      ...(doc && uri
        ? {
            physicalLocation: {
              artifactLocation: artifactLocation(uri, doc),
              ...(pos ? { region: { startLine: pos.line, startColumn: pos.column } } : {}),
            },
          }
        : {}),
      logicalLocations: [{ fullyQualifiedName: `${name}/${rel.path}`, kind: "member" }],
      message: {
        text: `${rel.kind} ${rel.namespace ? `${rel.namespace}/` : ""}${rel.name} ${rel.path}`,
      },
    };
  });
}

function result(
  report: CheckReport,
  r: WorkloadResult,
  f: DecidedFinding,
  ruleIndex: number,
): Result {
  const related = relatedLocations(report, f);
  const uri = artifactUri(r.document.source);
  const pos = r.document.locate(f.path);
  const subject = `${r.kind}/${r.namespace}/${r.name}`;
  return {
    ruleId: f.rule,
    ruleIndex,
    level: LEVEL[f.action],
    message: { text: `${subject}: ${f.message}` },
    locations: [
      {
        ...(uri
          ? {
              physicalLocation: {
                artifactLocation: artifactLocation(uri, r.document),
                ...(pos ? { region: { startLine: pos.line, startColumn: pos.column } } : {}),
              },
            }
          : {}),
        logicalLocations: [{ fullyQualifiedName: `${subject}/${f.path}`, kind: "member" }],
      },
    ],
    ...(related.length > 0 ? { relatedLocations: related } : {}),
    // RBAC findings share the ServiceAccount's path; what grants the right tells them apart.
    partialFingerprints: {
      "mcpWardenFinding/v1": [
        `${subject}|${f.rule}|${f.path}`,
        ...(f.related ?? []).map(
          (rel) => `${rel.kind}/${rel.namespace ?? ""}/${rel.name}/${rel.path}`,
        ),
      ].join("|"),
    },
    ...(f.exemptedBy
      ? {
          suppressions: [
            { kind: "external", status: "accepted", justification: `exception ${f.exemptedBy}` },
          ],
        }
      : {}),
  };
}

/** SARIF 2.1.0 for code-scanning tools: one result per finding, pointing at file and line. */
export function formatSarif(report: CheckReport): string {
  const rules: ReportingDescriptor[] = CATALOGUE.map((r) => ({
    id: r.id,
    name: r.id.replace(/[/-](\w)/g, (_, c: string) => c.toUpperCase()),
    shortDescription: { text: r.title },
  }));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const log: Log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: { name: "mcp-warden", version: pkg.version, rules },
        },
        originalUriBaseIds: {
          SRCROOT: { description: { text: "The directory mcp-warden ran in." } },
        },
        results: report.results.flatMap((r) =>
          r.decision.findings.map((f) => result(report, r, f, index.get(f.rule) ?? -1)),
        ),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
