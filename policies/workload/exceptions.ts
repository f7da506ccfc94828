import { EXCEPTION_INVALID, RULE_IDS } from "./catalogue.ts";
import type { Horizon } from "./horizon.ts";
import type { ClusterState } from "./cluster-state.ts";
import { EXCEPTION_ANNOTATION, type Exception } from "./exception-schema.ts";
import { fieldPath } from "../field-path.ts";
import { compileGlob, type Glob } from "../glob.ts";
import { parseRfc3339 } from "../rfc3339.ts";
import type { CompiledPolicy } from "./policy.ts";
import type { Finding } from "./rule.ts";
import type { Workload } from "./workload.ts";

export interface ExceptionGrant {
  exception: Exception;
  rules: readonly Glob[];
}

export interface ExceptionResolution {
  /** Exceptions that hold for this workload. */
  grants: readonly ExceptionGrant[];
  /** One `exception/invalid` finding per requested exception that grants nothing. */
  findings: readonly Finding[];
}

/** An exception's globs, and the rule ids each rule glob covers. */
interface ExceptionGlobs {
  namespaces: readonly Glob[];
  rules: readonly { glob: Glob; covers: readonly string[] }[];
}

// Compiled once per exception object: the cluster state keeps the same objects until it changes,
// so requests reuse them instead of rebuilding regexps each time.
const compiledGlobs = new WeakMap<Exception, ExceptionGlobs>();

function globsOf(ex: Exception): ExceptionGlobs {
  let globs = compiledGlobs.get(ex);
  if (!globs) {
    globs = {
      namespaces: ex.spec.namespaces.map(compileGlob),
      rules: ex.spec.rules.map((source) => {
        const glob = compileGlob(source);
        return { glob, covers: RULE_IDS.filter((r) => glob.matches(r)) };
      }),
    };
    compiledGlobs.set(ex, globs);
  }
  return globs;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function requestedExceptions(workload: Workload): string[] {
  const raw = workload.podMeta.annotations?.[EXCEPTION_ANNOTATION];
  if (raw === undefined) return [];
  return [
    ...new Set(
      raw
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    ),
  ];
}

// Exceptions live in the cluster state and are read on every decision: each expiry is parsed
// once. Bounded, since the texts come from the cluster.
const expiries = new Map<string, number | undefined>();
function expiryOf(text: string): number | undefined {
  if (expiries.has(text)) return expiries.get(text);
  if (expiries.size >= 4096) expiries.clear();
  const parsed = parseRfc3339(text);
  expiries.set(text, parsed);
  return parsed;
}

/** Why this exception does not hold for the workload, or undefined when it does. */
function whyNotGranted(
  ex: Exception,
  workload: Workload,
  policy: CompiledPolicy,
  now: Date,
  horizon?: Horizon,
): string | undefined {
  const id = `${ex.metadata.namespace}/${ex.metadata.name}`;
  if (ex.spec.expires !== undefined) {
    const expires = expiryOf(ex.spec.expires);
    // What cannot be read as a time grants nothing: it must never read as "no expiry".
    if (expires === undefined) {
      return `exception ${id} has expires ${JSON.stringify(ex.spec.expires)}, which is not an RFC 3339 time (2026-01-31T00:00:00Z)`;
    }
    if (expires <= now.getTime()) return `exception ${id} expired at ${ex.spec.expires}`;
    horizon?.bound(expires);
  }
  const globs = globsOf(ex);
  if (!globs.namespaces.some((ns) => ns.matches(workload.namespace))) {
    return `exception ${id} does not cover namespace ${workload.namespace} (it covers ${ex.spec.namespaces.join(", ")})`;
  }
  for (const { glob, covers } of globs.rules) {
    const rule = glob.source;
    const forbidden = covers.filter((r) => !policy.isExemptible(r));
    if (covers.length === 0) return `exception ${id} names ${rule}, which matches no rule`;
    if (forbidden.length > 0) {
      return `exception ${id} names ${rule}, which covers ${forbidden.join(", ")}: the policy does not let exceptions exempt from ${forbidden.length === 1 ? "it" : "them"}`;
    }
  }
  return undefined;
}

/**
 * Resolves the exceptions a workload requests by annotation. An exception is honoured only from
 * the policy's exception namespaces, so creating a workload never lets anyone exempt it.
 */
export function resolveExceptions(
  workload: Workload,
  cluster: ClusterState,
  policy: CompiledPolicy,
  now: Date,
  horizon?: Horizon,
): ExceptionResolution {
  const names = requestedExceptions(workload);
  if (names.length === 0) return { grants: [], findings: [] };
  const path = fieldPath(workload.metaPath, "annotations", EXCEPTION_ANNOTATION);
  const grants: ExceptionGrant[] = [];
  const findings: Finding[] = [];
  const invalid = (message: string) => findings.push({ rule: EXCEPTION_INVALID, message, path });
  const honoured = policy.exceptionNamespaces;

  const stale = cluster.unavailable?.exceptions;
  for (const name of names) {
    if (stale !== undefined) {
      invalid(`cannot verify exception ${name}: ${stale}`);
      continue;
    }
    if (!DNS_SUBDOMAIN.test(name)) {
      invalid(`${JSON.stringify(name)} is not a valid exception name`);
      continue;
    }
    const all = cluster.exceptionsNamed(name);
    const candidates = all.filter((ex) => honoured.includes(ex.metadata.namespace));
    if (candidates.length === 0) {
      const elsewhere = all.map((ex) => ex.metadata.namespace);
      const where =
        honoured.length === 0
          ? "the policy honours exceptions from no namespace"
          : `exceptions are honoured only from ${honoured.join(", ")}`;
      if (elsewhere.includes(workload.namespace)) {
        invalid(
          `exception ${name} is in the workload's own namespace ${workload.namespace} and cannot grant itself: ${where}`,
        );
      } else if (elsewhere.length > 0) {
        invalid(`exception ${name} exists only in ${elsewhere.join(", ")}: ${where}`);
      } else {
        invalid(`exception ${name} does not exist: ${where}`);
      }
      continue;
    }
    const reasons: string[] = [];
    const granted = candidates.find((ex) => {
      const why = whyNotGranted(ex, workload, policy, now, horizon);
      if (why) reasons.push(why);
      return why === undefined;
    });
    if (granted) {
      grants.push({ exception: granted, rules: globsOf(granted).rules.map((r) => r.glob) });
    } else invalid(`${reasons.join("; ")}; it grants nothing`);
  }
  return { grants, findings };
}

/** The first granted exception that exempts this rule, if the policy lets it be exempted. */
export function exemptingException(
  resolution: ExceptionResolution,
  ruleId: string,
  policy: CompiledPolicy,
): Exception | undefined {
  if (!policy.isExemptible(ruleId)) return undefined;
  return resolution.grants.find((g) => g.rules.some((r) => r.matches(ruleId)))?.exception;
}
