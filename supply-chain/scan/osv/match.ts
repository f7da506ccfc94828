import { eventOf, type OsvEventKind } from "./record-shape.ts";
import type { OsvAffected, OsvRange } from "./record-types.ts";
import { orderFor, sameVersion, type VersionOrder } from "./versions.ts";

/**
 * OSV range semantics (https://ossf.github.io/osv-schema/#evaluation), pure: a version is affected
 * when it is listed in `versions`, or when some range contains it. Within a range, events are
 * sorted in the range's order and the last event at or below the version decides: `introduced`
 * opens, `fixed` closes at its version, `last_affected` closes just after its version. `limit`
 * events bound the range from above (`*` is no bound). GIT ranges name commits, not versions.
 */

interface CompiledEvent {
  kind: OsvEventKind;
  /** Normalized in the range's order; empty for `introduced: "0"`. */
  version: string;
  /** As the advisory wrote it (reported as the fixed version). */
  raw: string;
}

interface CompiledRange {
  order: VersionOrder;
  /** Sorted; `introduced: "0"` first. */
  events: CompiledEvent[];
  /** Normalized upper bounds; empty when there are none (or `*`). */
  limits: readonly string[];
}

// At one version, open before closing: `introduced: 1.0` with `fixed: 1.0` affects nothing.
const KIND_RANK: Record<OsvEventKind, number> = {
  introduced: 0,
  last_affected: 1,
  fixed: 2,
  limit: 3,
};

const NO_LIMITS: readonly string[] = [];

/** A range in its order, events normalized and sorted; undefined when the range has no order. */
function compileRange(range: OsvRange, ecosystem: string): CompiledRange | undefined {
  const order = orderFor(range.type, ecosystem);
  if (order === undefined) return undefined;
  const events: CompiledEvent[] = [];
  let limits: string[] | undefined;
  let unbounded = false;
  for (const event of range.events) {
    const { kind, version: raw } = eventOf(event);
    if (kind === "introduced" && raw === "0") {
      events.push({ kind, version: "", raw });
      continue;
    }
    if (kind === "limit" && raw === "*") {
      unbounded = true;
      continue;
    }
    // parseOsvRecord has checked every version readable; this guards hand-built records.
    const version = order.normalize(raw);
    if (version === undefined) continue;
    if (kind === "limit") (limits ??= []).push(version);
    else events.push({ kind, version, raw });
  }
  if (events.length > 1)
    events.sort((a, b) => {
      if (a.version === "" || b.version === "")
        return a.version === b.version ? 0 : a.version === "" ? -1 : 1;
      return order.compare(a.version, b.version) || KIND_RANK[a.kind] - KIND_RANK[b.kind];
    });
  return { order, events, limits: unbounded || limits === undefined ? NO_LIMITS : limits };
}

/** Whether `version` (normalized in the range's order) is in the range. */
function inRange(range: CompiledRange, version: string): boolean {
  const { order } = range;
  if (range.limits.length > 0 && !range.limits.some((l) => order.compare(version, l) < 0))
    return false;
  let affected = false;
  for (const e of range.events) {
    if (e.version === "") {
      affected = true;
      continue;
    }
    const c = order.compare(version, e.version);
    if (c < 0) break; // later events are higher still
    if (e.kind === "introduced") affected = true;
    else if (e.kind === "fixed") affected = false;
    else if (e.kind === "last_affected" && c > 0) affected = false;
  }
  return affected;
}

/** The lowest `fixed` of the range above `version`. */
function fixAbove(range: CompiledRange, version: string): CompiledEvent | undefined {
  return range.events.find(
    (e) => e.kind === "fixed" && range.order.compare(e.version, version) > 0,
  );
}

export interface AffectedVerdict {
  affected: boolean;
  /** The lowest fixed version above the installed one, when the advisory names one. */
  fixedVersion?: string;
}

/** An advisory's `affected` entries for one package, compiled once to be judged many times. */
export interface CompiledAffected {
  versions: readonly string[];
  /** The ranges that have an order (the others cannot contain a version). */
  ranges: readonly CompiledRange[];
}

/** Compiles `affected` entries for `judgeCompiled`. */
export function compileAffected(
  entries: readonly OsvAffected[],
  ecosystem: string,
): CompiledAffected[] {
  return entries.map((entry) => ({
    versions: entry.versions ?? [],
    ranges: (entry.ranges ?? []).flatMap((raw) => compileRange(raw, ecosystem) ?? []),
  }));
}

/**
 * Judges one installed version against the `affected` entries an advisory has for the installed
 * package (matching names is the caller's business).
 * @param ecosystem the OSV ecosystem, which orders ECOSYSTEM ranges and exact `versions`
 */
export function judgeAffected(
  entries: readonly OsvAffected[],
  ecosystem: string,
  installed: string,
): AffectedVerdict {
  return judgeCompiled(compileAffected(entries, ecosystem), ecosystem, installed);
}

/** `judgeAffected` on entries compiled by `compileAffected`. */
export function judgeCompiled(
  entries: readonly CompiledAffected[],
  ecosystem: string,
  installed: string,
): AffectedVerdict {
  let affected = false;
  // The lowest fix of the ranges containing the version, else of the others: a range closed by
  // last_affected has no fix of its own (GHSA: `<= 0.6.2`, fixed on another line).
  const containing = new LowestFix();
  const others = new LowestFix();
  for (const entry of entries) {
    if (entry.versions.some((v) => sameVersion(ecosystem, v, installed))) affected = true;
    for (const range of entry.ranges) {
      const at = range.order.normalize(installed);
      // A version the range's order cannot read is neither in nor out: only `versions` can list it.
      if (at === undefined) continue;
      if (inRange(range, at)) {
        affected = true;
        containing.offer(range, at);
      } else others.offer(range, at);
    }
  }
  if (!affected) return { affected };
  const fix = containing.raw ?? others.raw;
  return fix === undefined ? { affected } : { affected, fixedVersion: fix };
}

/** Of the ranges offered in turn, the lowest fix above the version (in the first fix's order). */
class LowestFix {
  #best: { fix: CompiledEvent; order: VersionOrder } | undefined;

  offer(range: CompiledRange, at: string): void {
    const fix = fixAbove(range, at);
    if (fix === undefined) return;
    const best = this.#best;
    if (
      best === undefined ||
      (best.order === range.order && range.order.compare(fix.version, best.fix.version) < 0)
    )
      this.#best = { fix, order: range.order };
  }

  get raw(): string | undefined {
    return this.#best?.fix.raw;
  }
}
