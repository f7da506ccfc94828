import { parseDocument } from "yaml";
import { InputError } from "../errors.ts";
import { isRecord } from "../guards.ts";
import { compileSchema } from "../schema-validator.ts";
import type {
  ControlFinding,
  ControlResult,
  VulnerabilityFinding,
  WaivedFinding,
} from "./predicate.ts";

/**
 * The release's ignore file: findings waived on purpose, each with a reason and an expiry, so a
 * waiver cannot silently outlive the judgement behind it. An entry waives either a vulnerability
 * (`id`) or a control finding (`control`), never both.
 *
 * ```yaml
 * ignore:
 *   - id: GHSA-w48q-cv73-mx4w      # an OSV id or any alias (CVE-2025-66414)
 *     package: "@modelcontextprotocol/sdk"   # optional: only for this package
 *     reason: the server only listens on stdio; DNS rebinding does not apply
 *     expires: 2026-03-31           # a date (end of that day, UTC) or an RFC 3339 date-time
 *   - control: CD-03                # a control's findings
 *     tool: run_query               # optional: only findings on this tool (or prompt, template)
 *     field: inputSchema.properties.sql.description   # optional: only on this field
 *     sha256: 5d0c…                 # optional, with tool: only while its definition has this pin
 *     reason: the SQL example is quoted on purpose
 *     expires: 2026-03-31
 * ```
 */
export type IgnoreEntry = VulnerabilityIgnore | ControlIgnore;

/** Waives a vulnerability by id or alias. */
export interface VulnerabilityIgnore {
  id: string;
  package?: string;
  reason: string;
  /** RFC 3339 date-time, normalised: a bare date means the end of that day, UTC. */
  expires: string;
}

/** Waives the findings of a control, optionally only those on one tool and one field. */
export interface ControlIgnore {
  control: string;
  tool?: string;
  /** A field path under the tool, e.g. `inputSchema.properties.x.description`. */
  field?: string;
  /**
   * The pin of the tool's (prompt's, template's) definition as it was reviewed (`tools[].sha256`
   * of the predicate): the entry waives only while the definition still hashes to it, so a
   * changed text is judged again instead of riding on an old waiver.
   */
  sha256?: string;
  reason: string;
  /** RFC 3339 date-time, normalised: a bare date means the end of that day, UTC. */
  expires: string;
}

export function isControlIgnore(entry: IgnoreEntry): entry is ControlIgnore {
  return "control" in entry;
}

/** How an entry is named in messages: `CVE-2025-66414`, `CD-03 (tool run_query, field description)`. */
export function describeEntry(entry: IgnoreEntry): string {
  if (!isControlIgnore(entry)) return entry.id;
  const scope = [
    ...(entry.tool === undefined ? [] : [`tool ${entry.tool}`]),
    ...(entry.field === undefined ? [] : [`field ${entry.field}`]),
    ...(entry.sha256 === undefined ? [] : [`sha256 ${entry.sha256.slice(0, 12)}…`]),
  ];
  return `${entry.control}${scope.length > 0 ? ` (${scope.join(", ")})` : ""}`;
}

interface RawEntry {
  id?: string;
  package?: string;
  control?: string;
  tool?: string;
  field?: string;
  sha256?: string;
  reason: string;
  expires: string;
}

interface IgnoreFileShape {
  ignore: RawEntry[];
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
        required: ["reason", "expires"],
        properties: {
          id: { type: "string", minLength: 1 },
          package: { type: "string", minLength: 1 },
          control: { type: "string", pattern: "^[A-Z]{2,4}-[0-9]{2,3}$" },
          tool: { type: "string", minLength: 1 },
          field: { type: "string", minLength: 1 },
          sha256: { type: "string", pattern: "^[0-9a-f]{64}$" },
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

/** What an entry's keys say it is: a vulnerability or a control waiver, or a problem. */
function kindProblems(e: Record<string, unknown>, i: number): { path: string; message: string }[] {
  const at = `ignore[${i}]`;
  if (e.id !== undefined && e.control !== undefined)
    return [
      {
        path: at,
        message:
          "has both id and control: an entry waives either a vulnerability (id, package) or a control finding (control, tool, field)",
      },
    ];
  if (e.id === undefined && e.control === undefined)
    return [{ path: at, message: "needs id (a vulnerability) or control (a control finding)" }];
  const problems: { path: string; message: string }[] = [];
  if (e.id !== undefined)
    for (const key of ["tool", "field", "sha256"] as const)
      if (e[key] !== undefined)
        problems.push({
          path: `${at}.${key}`,
          message: "only goes with control, not with id",
        });
  if (e.control !== undefined) {
    if (e.package !== undefined)
      problems.push({ path: `${at}.package`, message: "only goes with id, not with control" });
    if (e.sha256 !== undefined && e.tool === undefined)
      problems.push({
        path: `${at}.sha256`,
        message: "needs tool: it is the pin of that tool's (prompt's, template's) definition",
      });
    if (e.control === "SC-02")
      problems.push({
        path: `${at}.control`,
        message: "SC-02's findings are vulnerabilities: waive each by its id",
      });
  }
  return problems;
}

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
  const problems = validator.problems(value ?? {}, "").map((p) => ({
    path: p.path,
    message:
      p.path.endsWith(".expires") && p.message !== "is required"
        ? "must be a date (2026-03-31) or an RFC 3339 date-time"
        : p.message,
  }));
  // What each entry is (id or control) is judged alongside the schema, so every bad field of
  // every entry is reported at once.
  const raw: unknown[] = isRecord(value) && Array.isArray(value.ignore) ? value.ignore : [];
  raw.forEach((e, i) => {
    if (isRecord(e)) problems.push(...kindProblems(e, i));
  });
  if (problems.length > 0 || !validator.is(value)) {
    throw new InputError("INPUT_INVALID", `${file}: not a valid ignore file`, { problems });
  }
  const bad: { path: string; message: string }[] = [];
  const entries = value.ignore.map((e, i): IgnoreEntry => {
    const expires = normaliseExpiry(e.expires);
    if (expires === undefined)
      bad.push({ path: `ignore[${i}].expires`, message: "is not a real date" });
    const common = { reason: e.reason, expires: expires ?? e.expires };
    if (e.control !== undefined)
      return {
        control: e.control,
        ...(e.tool === undefined ? {} : { tool: e.tool }),
        ...(e.field === undefined ? {} : { field: e.field }),
        ...(e.sha256 === undefined ? {} : { sha256: e.sha256 }),
        ...common,
      };
    return {
      id: e.id ?? "",
      ...(e.package === undefined ? {} : { package: e.package }),
      ...common,
    };
  });
  if (bad.length > 0)
    throw new InputError("INPUT_INVALID", `${file}: not a valid ignore file`, { problems: bad });
  return entries;
}

export interface IgnoreOutcome {
  /** Every finding; those a live entry waives carry `ignored`. */
  findings: VulnerabilityFinding[];
  /** Entries past their expiry that would have matched a finding: they no longer waive it. */
  expired: { entry: VulnerabilityIgnore; finding: VulnerabilityFinding }[];
  /** Vulnerability entries that matched no finding (stale entries worth removing). */
  unused: VulnerabilityIgnore[];
}

function matches(entry: VulnerabilityIgnore, finding: VulnerabilityFinding): boolean {
  if (entry.package !== undefined && entry.package !== finding.package.name) return false;
  return entry.id === finding.id || finding.aliases.includes(entry.id);
}

/**
 * Applies the vulnerability entries at `now`; an expired entry stops waiving and is reported.
 * Control entries are applied by `applyControlWaivers`.
 */
export function applyIgnores(
  findings: readonly VulnerabilityFinding[],
  all: readonly IgnoreEntry[],
  now: Date,
): IgnoreOutcome {
  const entries = all.filter((e): e is VulnerabilityIgnore => !isControlIgnore(e));
  const used = new Set<VulnerabilityIgnore>();
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

/** The tool (or prompt, template) and field a control finding is about, when it is about one. */
export interface FindingSubject {
  tool?: string;
  field?: string;
  /** The pin of the tool's (prompt's, template's) definition, when it is known. */
  sha256?: string;
}

export interface ControlWaiverOutcome {
  /** The controls, waived findings moved to `waived` and statuses recomputed. */
  controls: ControlResult[];
  /** Entries past their expiry that would have matched a finding: it is no longer waived. */
  expired: { entry: ControlIgnore; control: string; finding: ControlFinding }[];
  /** Control entries that matched no finding (stale entries worth removing). */
  unused: ControlIgnore[];
  /**
   * Entries with a `sha256` that matched a finding's control, tool and field while the
   * definition no longer hashes to it (or its pin is unknown): the finding is judged again.
   */
  changed: { entry: ControlIgnore; control: string; finding: ControlFinding; sha256?: string }[];
}

function scopeMatches(entry: ControlIgnore, control: string, subject: FindingSubject): boolean {
  if (entry.control !== control) return false;
  if (entry.tool !== undefined && entry.tool !== subject.tool) return false;
  return entry.field === undefined || entry.field === subject.field;
}

const pinMatches = (entry: ControlIgnore, subject: FindingSubject): boolean =>
  entry.sha256 === undefined || entry.sha256 === subject.sha256;

/**
 * Applies the control entries at `now`: a finding a live entry matches (its control, and its tool
 * and field when the entry names them) no longer counts against its control and is recorded in
 * the control's `waived` with the entry's reason and expiry. A control whose findings are all
 * waived passes. SC-02 is judged on vulnerabilities, which `applyIgnores` waives; skipped
 * controls have nothing to waive.
 * @param subjectOf the tool and field a finding is about (from its location, or its own fields)
 */
export function applyControlWaivers(
  controls: readonly ControlResult[],
  all: readonly IgnoreEntry[],
  now: Date,
  subjectOf: (finding: ControlFinding) => FindingSubject,
): ControlWaiverOutcome {
  const entries = all.filter(isControlIgnore);
  const used = new Set<ControlIgnore>();
  const expired: ControlWaiverOutcome["expired"] = [];
  const changed: ControlWaiverOutcome["changed"] = [];
  const out = controls.map((c): ControlResult => {
    if (c.id === "SC-02" || c.status === "skip") return c;
    const kept: ControlFinding[] = [];
    const waived: WaivedFinding[] = [];
    for (const finding of c.findings) {
      const subject = subjectOf(finding);
      const inScope = entries.filter((e) => scopeMatches(e, c.id, subject));
      inScope.forEach((e) => used.add(e));
      for (const e of inScope)
        if (!pinMatches(e, subject))
          changed.push({
            entry: e,
            control: c.id,
            finding,
            ...(subject.sha256 === undefined ? {} : { sha256: subject.sha256 }),
          });
      const matching = inScope.filter((e) => pinMatches(e, subject));
      const live = matching.find((e) => Date.parse(e.expires) > now.getTime());
      if (live === undefined) {
        for (const e of matching) expired.push({ entry: e, control: c.id, finding });
        kept.push(finding);
      } else {
        waived.push({
          finding,
          ...(subject.tool === undefined ? {} : { tool: subject.tool }),
          ...(subject.field === undefined ? {} : { field: subject.field }),
          ...(live.sha256 === undefined ? {} : { sha256: live.sha256 }),
          reason: live.reason,
          expires: live.expires,
        });
      }
    }
    if (waived.length === 0) return c;
    const note = `${waived.length} finding(s) waived by the ignore file`;
    return {
      ...c,
      // A control that passes with findings (SC-06 only warns) keeps passing.
      status: kept.length > 0 ? c.status : "pass",
      findings: kept,
      waived,
      notes: c.notes === undefined ? note : `${c.notes}; ${note}`,
    };
  });
  return { controls: out, expired, changed, unused: entries.filter((e) => !used.has(e)) };
}
