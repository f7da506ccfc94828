import { PackageURL } from "packageurl-js";
import type { VulnerabilityFinding } from "../../../policies/evaluation/predicate.ts";
import type { LockedPackage, VulnerabilityMatch } from "../types.ts";
import { compileAffected, judgeCompiled, type CompiledAffected } from "./match.ts";
import { packageKeysOf } from "./record-shape.ts";
import type { OsvAffected, OsvRecord } from "./record-types.ts";
import { severityOf, type Severity } from "./severity.ts";
import { packageKey } from "./versions.ts";

/**
 * A record as the index sees it: what deduplicating and keying need, and the record itself on
 * demand. An offline database hands over records it has validated but not kept parsed (a worker
 * thread read them); they are parsed the first time a scanned package needs them.
 */
export interface IndexedRecord {
  readonly id: string;
  readonly modified: string;
  readonly withdrawn: boolean;
  /** `packageKey`s of the packages its `affected` entries name, each once (`packageKeysOf`). */
  readonly keys: readonly string[];
  record(): OsvRecord;
}

/** A parsed record as the index sees it. */
export function indexedRecord(record: OsvRecord): IndexedRecord {
  return {
    id: record.id,
    modified: record.modified,
    withdrawn: record.withdrawn !== undefined,
    keys: packageKeysOf(record),
    record: () => record,
  };
}

interface Resolved {
  record: OsvRecord;
  /** The record's `affected` entries for the entry's package. */
  affected: OsvAffected[];
  /** `affected` compiled, once a package has been judged against it. */
  compiled?: CompiledAffected[];
  /** Once a finding has needed it. */
  severity?: Severity;
}

/** One advisory's entries for one package, resolved the first time a package needs them. */
class IndexEntry {
  readonly #item: IndexedRecord;
  readonly #key: string;
  #resolved: Resolved | undefined;

  constructor(item: IndexedRecord, key: string) {
    this.#item = item;
    this.#key = key;
  }

  resolve(): Resolved {
    if (this.#resolved === undefined) {
      const record = this.#item.record();
      const affected = (record.affected ?? []).filter(
        (a) =>
          a.package !== undefined && packageKey(a.package.ecosystem, a.package.name) === this.#key,
      );
      this.#resolved = { record, affected };
    }
    return this.#resolved;
  }
}

/** Advisories by package (ecosystem + name as matched), built once and matched many times. */
export interface OsvIndex {
  /** Records indexed: withdrawn ones and older copies of the same id are not. */
  readonly size: number;
  readonly byPackage: ReadonlyMap<string, readonly IndexEntry[]>;
}

/**
 * Indexes records by the packages they affect. Withdrawn records are left out; of two records with
 * one id (a database holding a record twice), the later `modified` wins.
 */
export function buildIndex(records: readonly OsvRecord[]): OsvIndex {
  return indexRecords(records.map(indexedRecord));
}

/** `buildIndex` for records seen as `IndexedRecord`s, in the order given. */
export function indexRecords(items: readonly IndexedRecord[]): OsvIndex {
  const latest = new Map<string, IndexedRecord>();
  for (const item of items) {
    const seen = latest.get(item.id);
    // RFC 3339 UTC times with the same precision compare as strings; Date.parse covers the rest.
    if (seen === undefined || Date.parse(item.modified) > Date.parse(seen.modified))
      latest.set(item.id, item);
  }
  const byPackage = new Map<string, IndexEntry[]>();
  let size = 0;
  for (const item of latest.values()) {
    if (item.withdrawn) continue;
    size++;
    for (const key of item.keys) {
      const entry = new IndexEntry(item, key);
      const list = byPackage.get(key);
      if (list === undefined) byPackage.set(key, [entry]);
      else list.push(entry);
    }
  }
  return { size, byPackage };
}

function purlOf(pkg: LockedPackage): string | undefined {
  if (pkg.purl !== undefined) return pkg.purl;
  if (pkg.ecosystem !== "npm" && pkg.ecosystem !== "PyPI" && pkg.ecosystem !== "Go")
    return undefined;
  const type = { npm: "npm", PyPI: "pypi", Go: "golang" }[pkg.ecosystem];
  // npm scopes and Go module paths are the purl namespace; the last segment is the name.
  const cut = pkg.ecosystem === "PyPI" ? -1 : pkg.name.lastIndexOf("/");
  const namespace = cut > 0 ? pkg.name.slice(0, cut) : undefined;
  const name = cut > 0 ? pkg.name.slice(cut + 1) : pkg.name;
  try {
    return new PackageURL(type, namespace, name, pkg.version, undefined, undefined).toString();
  } catch {
    return undefined; // a name purl cannot carry: report the finding without one
  }
}

function findingOf(
  resolved: Resolved,
  pkg: LockedPackage,
  purl: string | undefined,
  fixedVersion: string | undefined,
): VulnerabilityFinding {
  const { record } = resolved;
  const severity = (resolved.severity ??= severityOf(record, resolved.affected));
  return {
    id: record.id,
    // A distribution's record (`DEBIAN-CVE-…`, `ALPINE-CVE-…`) names the CVE it derives from as
    // `upstream`: it is reported with the aliases, so ignore files and reports can name the CVE.
    aliases: [...new Set([...(record.aliases ?? []), ...(record.upstream ?? [])])],
    ...(record.summary === undefined || record.summary === "" ? {} : { summary: record.summary }),
    package: {
      ecosystem: pkg.ecosystem,
      name: pkg.name,
      ...(purl === undefined ? {} : { purl }),
    },
    version: pkg.version,
    severity: { level: severity.level, ...(severity.cvss ? { cvss: { ...severity.cvss } } : {}) },
    ...(fixedVersion === undefined ? {} : { fixedVersion }),
  };
}

/**
 * Every advisory of the index affecting each package, in the order of `packages` and then by
 * advisory id. A package listed twice (two lockfiles) is reported twice, each with its own file.
 */
export function matchPackages(
  index: OsvIndex,
  packages: readonly LockedPackage[],
): VulnerabilityMatch[] {
  const matches: VulnerabilityMatch[] = [];
  for (const pkg of packages) {
    const entries = index.byPackage.get(packageKey(pkg.ecosystem, pkg.name));
    if (entries === undefined) continue;
    const found: VulnerabilityMatch[] = [];
    let purl: string | undefined | null = null;
    for (const entry of entries) {
      const resolved = entry.resolve();
      // Every package of one key has the key's ecosystem, which is all compiling depends on.
      resolved.compiled ??= compileAffected(resolved.affected, pkg.ecosystem);
      const verdict = judgeCompiled(resolved.compiled, pkg.ecosystem, pkg.version);
      if (!verdict.affected) continue;
      if (purl === null) purl = purlOf(pkg);
      const finding = findingOf(resolved, pkg, purl, verdict.fixedVersion);
      found.push({ package: pkg, finding });
    }
    found.sort((a, b) => (a.finding.id < b.finding.id ? -1 : a.finding.id > b.finding.id ? 1 : 0));
    matches.push(...found);
  }
  return matches;
}
