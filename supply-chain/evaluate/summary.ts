import type { SeverityLevel } from "../../policies/evaluation/predicate.ts";
import type { ReleaseEvaluation } from "./release.ts";

/** What was signed and attached, for the summary. */
export interface SigningRecord {
  image: string;
  description: string;
  signature: string;
  attestation: string;
  /** The SBOM attestation, when the image's inventory was attached too. */
  sbom?: string;
}

const SEVERITIES: readonly SeverityLevel[] = ["critical", "high", "medium", "low", "unknown"];

/**
 * Data in Markdown (tool names, descriptions quoted in findings, advisory summaries, a server's
 * stderr) is text, never markup: HTML is escaped, Markdown punctuation backslash-escaped, and line
 * breaks (CR, LF and the Unicode ones) cannot end a table row.
 */
function cell(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_{}[\]()#+!|~]/g, (c) => `\\${c}`)
    .replace(/[\r\n\u0085\u2028\u2029]+/g, " ");
}

/** A digest or hash shown as code: only hex and `sha256:` ever reach it. */
function code(text: string): string {
  return /^[a-z0-9:@/._-]+$/i.test(text) ? `\`${text}\`` : cell(text);
}

/** A table cell: text (escaped) or `{ code }` (a digest, shown as code). */
type Cell = string | { code: string };

function table(header: string[], rows: Cell[][]): string {
  const show = (c: Cell) => (typeof c === "string" ? cell(c) : code(c.code));
  return [
    `| ${header.map(cell).join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(show).join(" | ")} |`),
  ].join("\n");
}

/**
 * The job summary (GitHub-flavoured Markdown): verdict and level first, then findings by severity,
 * controls, vulnerabilities, tool pins (and those of prompts, resource templates and instructions)
 * and what was signed.
 */
export function releaseSummary(
  evaluation: ReleaseEvaluation,
  opts: {
    image: string;
    minTrustLevel: string;
    failOnSeverity: string;
    signed?: SigningRecord;
    /** Signing or attaching failed: the evaluation was not attached. */
    signingError?: string;
  },
): string {
  const p = evaluation.predicate;
  const verdict = p.verdict === "pass" ? "✅ pass" : "❌ fail";
  const out: string[] = [
    `## mcp-warden: ${cell(p.server.name)} ${cell(p.server.version)}`,
    "",
    table(
      ["verdict", "trust level", "minimum", "image"],
      [[verdict, p.trustLevel, opts.minTrustLevel, { code: opts.image }]],
    ),
    "",
    // Why the level is not higher, right under it.
    ...(p.trustLevelCappedBy ?? []).map((r) => `- ${cell(r)}`),
    ...(p.trustLevelCappedBy ? [""] : []),
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
  const waived = p.controls.flatMap((c) =>
    (c.waived ?? []).map((w) => [
      c.id,
      w.finding.message,
      w.finding.location ?? "",
      `${w.reason} (until ${w.expires})`,
    ]),
  );
  if (waived.length > 0)
    out.push(
      "",
      "### Waived findings",
      "",
      table(["control", "finding", "where", "waived"], waived),
    );
  if (p.tools.length > 0) {
    out.push(
      "",
      "### Tool pins",
      "",
      table(
        ["tool", "sha256"],
        p.tools.map((t) => [t.name, { code: t.sha256 }]),
      ),
    );
  }
  const otherPins: Cell[][] = [
    ...(p.prompts ?? []).map((x): Cell[] => ["prompt", x.name, { code: x.sha256 }]),
    ...(p.resourceTemplates ?? []).map((x): Cell[] => [
      "resource template",
      x.name,
      { code: x.sha256 },
    ]),
    ...(p.instructions ? [["instructions", "", { code: p.instructions.sha256 }] as Cell[]] : []),
  ];
  if (otherPins.length > 0)
    out.push(
      "",
      "### Prompt, resource template and instructions pins",
      "",
      table(["kind", "name", "sha256"], otherPins),
    );
  out.push("", "### Signed", "");
  if (opts.signingError !== undefined) {
    out.push(`❌ Signing failed; nothing was attached: ${cell(opts.signingError)}`);
  } else if (opts.signed === undefined) {
    out.push("Nothing was signed (`signing: none`).");
  } else {
    out.push(
      table(
        ["what", "digest"],
        [
          ["image", { code: opts.signed.image }],
          ["signature", { code: opts.signed.signature }],
          ["evaluation attestation", { code: opts.signed.attestation }],
          ...(opts.signed.sbom
            ? [["SBOM attestation (CycloneDX)", { code: opts.signed.sbom }]]
            : []),
        ],
      ),
      "",
      `Signed ${cell(opts.signed.description)}.`,
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
