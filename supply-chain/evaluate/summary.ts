import type { SeverityLevel } from "../../policies/evaluation/predicate.ts";
import type { ReleaseEvaluation } from "./release.ts";

/** What was signed and attached, for the summary. */
export interface SigningRecord {
  image: string;
  description: string;
  signature: string;
  attestation: string;
}

const SEVERITIES: readonly SeverityLevel[] = ["critical", "high", "medium", "low", "unknown"];

/** Markdown table cells: no pipes or newlines from the data break the table. */
function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

/**
 * The job summary (GitHub-flavoured Markdown): verdict and level first, then findings by severity,
 * controls, vulnerabilities, tool pins and what was signed.
 */
export function releaseSummary(
  evaluation: ReleaseEvaluation,
  opts: { image: string; minTrustLevel: string; signed?: SigningRecord; failOnSeverity: string },
): string {
  const p = evaluation.predicate;
  const verdict = p.verdict === "pass" ? "✅ pass" : "❌ fail";
  const out: string[] = [
    `## mcp-warden: ${cell(p.server.name)} ${cell(p.server.version)}`,
    "",
    table(
      ["verdict", "trust level", "minimum", "image"],
      [[verdict, p.trustLevel, opts.minTrustLevel, `\`${opts.image}\``]],
    ),
    "",
    "### Findings by severity",
    "",
  ];
  const open = p.vulnerabilities.filter((v) => v.ignored === undefined);
  const otherFindings = p.controls.filter((c) => c.id !== "SC-02").flatMap((c) => c.findings);
  out.push(
    table(
      ["", ...SEVERITIES],
      [
        [
          "vulnerabilities",
          ...SEVERITIES.map((s) => String(open.filter((v) => v.severity.level === s).length)),
        ],
        [
          "other findings",
          ...SEVERITIES.map((s) =>
            String(otherFindings.filter((f) => (f.severity ?? "unknown") === s).length),
          ),
        ],
      ],
    ),
    "",
    `Vulnerabilities fail the release from \`${opts.failOnSeverity}\` up; ${p.vulnerabilities.length - open.length} ignored by the ignore file.`,
    "",
    "### Controls",
    "",
    table(
      ["control", "status", "what it checks", "notes"],
      p.controls.map((c) => [
        c.id,
        c.status === "pass" ? "✅ pass" : c.status === "fail" ? "❌ fail" : "⏭️ skip",
        c.title ?? "",
        c.notes ?? (c.findings.length > 0 ? `${c.findings.length} finding(s)` : ""),
      ]),
    ),
  );
  if (p.vulnerabilities.length > 0) {
    out.push(
      "",
      "### Vulnerabilities",
      "",
      table(
        ["advisory", "package", "version", "severity", "fixed in", "where", "ignored"],
        evaluation.vulnerabilities.map(({ vulnerability: v, file, line }) => [
          [v.id, ...v.aliases].join(", "),
          v.package.name,
          v.version,
          v.severity.cvss ? `${v.severity.level} (${v.severity.cvss.score})` : v.severity.level,
          v.fixedVersion ?? "—",
          line === undefined ? file : `${file}:${line}`,
          v.ignored ? `${v.ignored.reason} (until ${v.ignored.expires})` : "",
        ]),
      ),
    );
  }
  const details = p.controls
    .filter((c) => c.id !== "SC-02" && c.findings.length > 0)
    .flatMap((c) => c.findings.map((f) => [c.id, f.severity ?? "", f.message, f.location ?? ""]));
  if (details.length > 0)
    out.push(
      "",
      "### Other findings",
      "",
      table(["control", "severity", "finding", "where"], details),
    );
  if (p.tools.length > 0) {
    out.push(
      "",
      "### Tool pins",
      "",
      table(
        ["tool", "sha256"],
        p.tools.map((t) => [t.name, `\`${t.sha256}\``]),
      ),
    );
  }
  out.push("", "### Signed", "");
  if (opts.signed === undefined) {
    out.push("Nothing was signed (`signing: none`).");
  } else {
    out.push(
      table(
        ["what", "digest"],
        [
          ["image", `\`${opts.signed.image}\``],
          ["signature", `\`${opts.signed.signature}\``],
          ["evaluation attestation", `\`${opts.signed.attestation}\``],
        ],
      ),
      "",
      `Signed ${opts.signed.description}.`,
    );
  }
  if (evaluation.notices.length > 0) {
    out.push(
      "",
      "### Notices",
      "",
      ...evaluation.notices.map((n) => `- **${n.level}**: ${cell(n.message)}`),
    );
  }
  return `${out.join("\n")}\n`;
}
