import { parseDocument } from "yaml";
import { InputError } from "../errors.ts";
import { compileSchema } from "../schema-validator.ts";
import type { VulnerabilityFinding } from "./predicate.ts";

/**
 * The release's ignore file: vulnerabilities waived on purpose, each with a reason and an expiry,
 * so a waiver cannot silently outlive the judgement behind it.
 *
 * ```yaml
 * ignore:
 *   - id: GHSA-w48q-cv73-mx4w      # an OSV id or any alias (CVE-2025-66414)
 *     package: "@modelcontextprotocol/sdk"   # optional: only for this package
 *     reason: the server only listens on stdio; DNS rebinding does not apply
 *     expires: 2026-03-31           # a date (end of that day, UTC) or an RFC 3339 date-time
 * ```
 */
export interface IgnoreEntry {
  id: string;
  package?: string;
  reason: string;
  /** RFC 3339 date-time, normalised: a bare date means the end of that day, UTC. */
  expires: string;
}

interface IgnoreFileShape {
  ignore: { id: string; package?: string; reason: string; expires: string }[];
}

const DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
const validator = compileSchema<IgnoreFileShape>({
  type: "object",
  additionalProperties: false,
  required: ["ignore"],
  properties: {
    ignore: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id", "reason", "expires"],
        properties: {
          id: { type: "string", minLength: 1 },
          package: { type: "string", minLength: 1 },
          reason: { type: "string", minLength: 1, pattern: "\\S" },
          expires: {
            type: "string",
            anyOf: [{ pattern: DATE }, { format: "date-time" }],
          },
        },
      },
    },
  },
});

function normaliseExpiry(value: string): string | undefined {
  const iso = new RegExp(DATE).test(value) ? `${value}T23:59:59Z` : value;
  const time = Date.parse(iso);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/**
 * Parses an ignore file (YAML or JSON). Every bad entry is reported at once, by path.
 * @throws InputError INPUT_INVALID naming `file`
 */
export function parseIgnoreFile(text: string, file: string): IgnoreEntry[] {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InputError("INPUT_INVALID", `${file}: not valid YAML or JSON`, {
      problems: doc.errors.map((e) => ({
        path: `${file}:${e.linePos?.[0].line ?? 1}`,
        message: e.message.split("\n")[0] ?? e.message,
      })),
    });
  }
  const value: unknown = doc.toJS();
  const problems = validator.problems(value ?? {}, "");
  if (problems.length > 0 || !validator.is(value)) {
    throw new InputError("INPUT_INVALID", `${file}: not a valid ignore file`, {
      problems: problems.map((p) => ({
        path: p.path,
        message:
          p.path.endsWith(".expires") && p.message !== "is required"
            ? "must be a date (2026-03-31) or an RFC 3339 date-time"
            : p.message,
      })),
    });
  }
  const bad: { path: string; message: string }[] = [];
  const entries = value.ignore.map((e, i) => {
    const expires = normaliseExpiry(e.expires);
    if (expires === undefined)
      bad.push({ path: `ignore[${i}].expires`, message: "is not a real date" });
    return { ...e, expires: expires ?? e.expires };
  });
  if (bad.length > 0)
    throw new InputError("INPUT_INVALID", `${file}: not a valid ignore file`, { problems: bad });
  return entries;
}

export interface IgnoreOutcome {
  /** Every finding; those a live entry waives carry `ignored`. */
  findings: VulnerabilityFinding[];
  /** Entries past their expiry that would have matched a finding: they no longer waive it. */
  expired: { entry: IgnoreEntry; finding: VulnerabilityFinding }[];
  /** Entries that matched no finding (stale entries worth removing). */
  unused: IgnoreEntry[];
}

function matches(entry: IgnoreEntry, finding: VulnerabilityFinding): boolean {
  if (entry.package !== undefined && entry.package !== finding.package.name) return false;
  return entry.id === finding.id || finding.aliases.includes(entry.id);
}

/** Applies the ignore entries at `now`; an expired entry stops waiving and is reported. */
export function applyIgnores(
  findings: readonly VulnerabilityFinding[],
  entries: readonly IgnoreEntry[],
  now: Date,
): IgnoreOutcome {
  const used = new Set<IgnoreEntry>();
  const expired: IgnoreOutcome["expired"] = [];
  const out = findings.map((finding) => {
    const matching = entries.filter((e) => matches(e, finding));
    matching.forEach((e) => used.add(e));
    const live = matching.find((e) => Date.parse(e.expires) > now.getTime());
    if (live === undefined) for (const e of matching) expired.push({ entry: e, finding });
    return live === undefined
      ? finding
      : { ...finding, ignored: { reason: live.reason, expires: live.expires } };
  });
  return { findings: out, expired, unused: entries.filter((e) => !used.has(e)) };
}
