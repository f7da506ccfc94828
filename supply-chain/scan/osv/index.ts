import { PackageURL } from "packageurl-js";
import type { VulnerabilityFinding } from "../../../policies/evaluation/predicate.ts";
import type { LockedPackage, VulnerabilityMatch } from "../types.ts";
import { judgeAffected } from "./match.ts";
import type { OsvAffected, OsvRecord } from "./record.ts";
import { severityOf, type Severity } from "./severity.ts";
import { packageKeyName } from "./versions.ts";

/** One advisory's entries for one package. */
interface IndexEntry {
  record: OsvRecord;
  affected: OsvAffected[];
}

/** Advisories by package (ecosystem + name as matched), built once and matched many times. */
export interface OsvIndex {
  /** Records indexed: withdrawn ones and older copies of the same id are not. */
  readonly size: number;
  readonly byPackage: ReadonlyMap<string, readonly IndexEntry[]>;
}

function packageKey(ecosystem: string, name: string): string {
  return `${ecosystem}\u0000${packageKeyName(ecosystem, name)}`;
}

/**
 * Indexes records by the packages they affect. Withdrawn records are left out; of two records with
 * one id (a database holding a record twice), the later `modified` wins.
 */
export function buildIndex(records: readonly OsvRecord[]): OsvIndex {
  const latest = new Map<string, OsvRecord>();
  for (const record of records) {
    const seen = latest.get(record.id);
    // RFC 3339 UTC times with the same precision compare as strings; Date.parse covers the rest.
    if (seen === undefined || Date.parse(record.modified) > Date.parse(seen.modified))
      latest.set(record.id, record);
  }
  const byPackage = new Map<string, IndexEntry[]>();
  let size = 0;
  for (const record of latest.values()) {
    if (record.withdrawn !== undefined) continue;
    size++;
    const perPackage = new Map<string, IndexEntry>();
    for (const affected of record.affected ?? []) {
      if (affected.package === undefined) continue;
      const key = packageKey(affected.package.ecosystem, affected.package.name);
      const entry = perPackage.get(key);
      if (entry !== undefined) {
        entry.affected.push(affected);
        continue;
      }
      const created = { record, affected: [affected] };
      perPackage.set(key, created);
      const list = byPackage.get(key);
      if (list === undefined) byPackage.set(key, [created]);
      else list.push(created);
    }
  }
  return { size, byPackage };
}

function purlOf(pkg: LockedPackage): string | undefined {
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

const severities = new WeakMap<IndexEntry, Severity>();

function findingOf(
  entry: IndexEntry,
  pkg: LockedPackage,
  purl: string | undefined,
  fixedVersion: string | undefined,
): VulnerabilityFinding {
  let severity = severities.get(entry);
  if (severity === undefined) {
    severity = severityOf(entry.record, entry.affected);
    severities.set(entry, severity);
  }
  const { record } = entry;
  return {
    id: record.id,
    aliases: [...(record.aliases ?? [])],
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
      const { affected, fixedVersion } = judgeAffected(entry.affected, pkg.ecosystem, pkg.version);
      if (!affected) continue;
      if (purl === null) purl = purlOf(pkg);
      found.push({ package: pkg, finding: findingOf(entry, pkg, purl, fixedVersion) });
    }
    found.sort((a, b) => (a.finding.id < b.finding.id ? -1 : a.finding.id > b.finding.id ? 1 : 0));
    matches.push(...found);
  }
  return matches;
}
