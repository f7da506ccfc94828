import type { FieldProblem } from "../../../policies/errors.ts";
import { fieldPath } from "../../../policies/field-path.ts";
import type { OsvEvent, OsvRecord } from "./record-types.ts";
import { orderFor, packageKey } from "./versions.ts";

/**
 * The checks of an OSV record that need no schema validator, so that the worker threads reading an
 * offline database load no ajv (it would double their start-up). `isValidOsvRecord` is a quick
 * yes for the common case, a record record.ts's schema accepts; on a no, `parseOsvRecord` asks the
 * schema, which describes every problem. It is never more lenient than the schema: a record it
 * accepts, the schema (and `rangeProblems`) accept too.
 */

export const EVENT_KINDS = ["introduced", "fixed", "last_affected", "limit"] as const;
export type OsvEventKind = (typeof EVENT_KINDS)[number];

/** The single key of a schema-valid event. */
export function eventOf(event: OsvEvent): { kind: OsvEventKind; version: string } {
  for (const kind of EVENT_KINDS) {
    const version = event[kind];
    if (version !== undefined) return { kind, version };
  }
  // Unreachable for validated records: the schema requires exactly one known key.
  throw new TypeError("OSV event without a key");
}

// `introduced: "0"` means "from the first version"; `limit: "*"` means "no limit". Neither is a
// version of any order.
function isSentinel(kind: OsvEventKind, version: string): boolean {
  return (kind === "introduced" && version === "0") || (kind === "limit" && version === "*");
}

/** What the schema cannot express: an `introduced` in every range, versions its order can read. */
export function rangeProblems(record: OsvRecord): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const [i, affected] of (record.affected ?? []).entries()) {
    const ecosystem = affected.package?.ecosystem ?? "";
    for (const [j, range] of (affected.ranges ?? []).entries()) {
      const at = fieldPath("", "affected", i, "ranges", j);
      if (range.type === "GIT" && range.repo === undefined)
        problems.push({ path: fieldPath(at, "repo"), message: "is required for a GIT range" });
      if (!range.events.some((e) => e.introduced !== undefined))
        problems.push({
          path: fieldPath(at, "events"),
          message: 'needs an introduced event (use "0" for every version before the others)',
        });
      // Versions must be readable in the range's order, or the range cannot be evaluated; SEMVER
      // ranges are SemVer in every ecosystem, ECOSYSTEM ranges follow the ecosystem when known.
      const order = orderFor(range.type, ecosystem);
      if (order === undefined) continue;
      for (const [k, event] of range.events.entries()) {
        const { kind, version } = eventOf(event);
        if (isSentinel(kind, version) || order.normalize(version) !== undefined) continue;
        problems.push({
          path: fieldPath(at, "events", k, kind),
          message: `${JSON.stringify(version)} is not a ${order.name} version`,
        });
      }
    }
  }
  return problems;
}

type Json = Record<string, unknown>;

// What ajv's `type: "object"` accepts.
function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const optional = (value: unknown, check: (value: unknown) => boolean): boolean =>
  value === undefined || check(value);
const isString = (value: unknown): value is string => typeof value === "string";
const isNonEmpty = (value: unknown): boolean => typeof value === "string" && value !== "";
const isStrings = (value: unknown): boolean => Array.isArray(value) && value.every(isString);
// The schema's `time` pattern, compiled as ajv compiles patterns (with the u flag).
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/u;
const isTime = (value: unknown): boolean => typeof value === "string" && TIME.test(value);

const SEVERITY_TYPES = new Set<unknown>(["CVSS_V2", "CVSS_V3", "CVSS_V4", "Ubuntu"]);
const isSeverities = (value: unknown): boolean =>
  Array.isArray(value) &&
  value.every(
    (s: unknown) => isObject(s) && SEVERITY_TYPES.has(s.type) && typeof s.score === "string",
  );

const RANGE_TYPES = new Set<unknown>(["SEMVER", "ECOSYSTEM", "GIT"]);
const EVENT_KEYS = new Set<string>(EVENT_KINDS);

function isEvent(event: unknown): boolean {
  if (!isObject(event)) return false;
  let count = 0;
  for (const key in event) {
    if (!Object.hasOwn(event, key)) continue;
    if (++count > 1 || !EVENT_KEYS.has(key) || !isNonEmpty(event[key])) return false;
  }
  return count === 1;
}

function isRange(range: unknown): boolean {
  return (
    isObject(range) &&
    RANGE_TYPES.has(range.type) &&
    optional(range.repo, isString) &&
    optional(range.database_specific, isObject) &&
    Array.isArray(range.events) &&
    range.events.length > 0 &&
    range.events.every(isEvent)
  );
}

function isPackage(value: unknown): boolean {
  return (
    isObject(value) &&
    isNonEmpty(value.ecosystem) &&
    isNonEmpty(value.name) &&
    optional(value.purl, isString)
  );
}

function isAffected(affected: unknown): boolean {
  return (
    isObject(affected) &&
    optional(affected.package, isPackage) &&
    optional(affected.severity, isSeverities) &&
    optional(affected.versions, isStrings) &&
    optional(affected.ecosystem_specific, isObject) &&
    optional(affected.database_specific, isObject) &&
    optional(affected.ranges, (r) => Array.isArray(r) && r.every(isRange))
  );
}

/** Whether record.ts's schema accepts `value` (a quick yes; a no may still be accepted there). */
function hasOsvShape(value: unknown): value is OsvRecord {
  return (
    isObject(value) &&
    isNonEmpty(value.id) &&
    isTime(value.modified) &&
    optional(value.schema_version, isString) &&
    optional(value.published, isTime) &&
    optional(value.withdrawn, isTime) &&
    optional(value.aliases, isStrings) &&
    optional(value.related, isStrings) &&
    optional(value.upstream, isStrings) &&
    optional(value.summary, isString) &&
    optional(value.details, isString) &&
    optional(value.severity, isSeverities) &&
    optional(value.database_specific, isObject) &&
    optional(value.affected, (a) => Array.isArray(a) && a.every(isAffected))
  );
}

/** `rangeProblems(record).length === 0`, without building any field path. */
function rangesAreSound(record: OsvRecord): boolean {
  for (const affected of record.affected ?? []) {
    if (affected.ranges === undefined) continue;
    const ecosystem = affected.package?.ecosystem ?? "";
    for (const range of affected.ranges) {
      if (range.type === "GIT" && range.repo === undefined) return false;
      let introduced = false;
      const order = orderFor(range.type, ecosystem);
      for (const event of range.events) {
        const { kind, version } = eventOf(event);
        if (kind === "introduced") introduced = true;
        if (
          order !== undefined &&
          !isSentinel(kind, version) &&
          order.normalize(version) === undefined
        )
          return false;
      }
      if (!introduced) return false;
    }
  }
  return true;
}

/**
 * A quick yes for a valid OSV record: the schema's shape and no `rangeProblems`. A no says nothing
 * more: `parseOsvRecord` then tells whether, and why, the record is invalid.
 */
export function isValidOsvRecord(value: unknown): value is OsvRecord {
  return hasOsvShape(value) && rangesAreSound(value);
}

/** The index keys (`packageKey`) of the packages a record's `affected` entries name, each once. */
export function packageKeysOf(record: OsvRecord): string[] {
  const keys: string[] = [];
  for (const affected of record.affected ?? []) {
    if (affected.package === undefined) continue;
    const key = packageKey(affected.package.ecosystem, affected.package.name);
    if (!keys.includes(key)) keys.push(key);
  }
  return keys;
}

type WithSeverity = { severity?: unknown } | undefined;

// Of `database_specific` and `ecosystem_specific`, scanning reads only a `severity` word.
function severityOnly(value: WithSeverity): Record<string, unknown> | undefined {
  return value?.severity === undefined ? undefined : { severity: value.severity };
}

/**
 * The fields of a record a scan reads (matching, severity, the finding), for an index to keep
 * instead of the whole record: no details, references, credits, timestamps.
 */
export function slimOsvRecord(record: OsvRecord): OsvRecord {
  return {
    id: record.id,
    modified: record.modified,
    aliases: record.aliases,
    upstream: record.upstream,
    summary: record.summary,
    severity: record.severity,
    database_specific: severityOnly(record.database_specific),
    affected: record.affected?.map((a) => ({
      package: a.package,
      severity: a.severity,
      ranges: a.ranges,
      versions: a.versions,
      ecosystem_specific: severityOnly(a.ecosystem_specific),
      database_specific: severityOnly(a.database_specific),
    })),
  };
}
