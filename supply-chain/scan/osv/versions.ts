import * as pep440 from "@renovatebot/pep440";
import semver from "semver";
import { compareApkVersions } from "./apk-version.ts";
import { compareDpkgVersions, parseDpkgVersion, type DpkgVersion } from "./dpkg-version.ts";

/**
 * How one kind of version string is ordered. `normalize` returns the canonical form compared by
 * `compare`, or undefined for a string that is not a version of this order.
 */
export interface VersionOrder {
  readonly name: string;
  normalize(version: string): string | undefined;
  compare(a: string, b: string): number;
}

// Go versions carry a `v` (`v1.2.3`, pseudo-versions `v0.0.0-20210101000000-abcdef123456`); OSV's
// SEMVER ranges do not. A pseudo-version is a SemVer prerelease, so SemVer precedence orders it.
function withoutV(version: string): string {
  return version.startsWith("v") ? version.slice(1) : version;
}

// A database repeats its versions (`0`, `1.0.0`, …) across records, and matching compares the same
// few against each other many times: parsing each once saves most of the time of both. Bounded.
const MEMO_LIMIT = 50_000;

/** `fn` remembered for up to MEMO_LIMIT arguments; `null` results are returned as undefined. */
function memo<T extends object | string>(
  fn: (version: string) => T | null,
): (version: string) => T | undefined {
  const known = new Map<string, T | null>();
  return (version) => {
    let result = known.get(version);
    if (result === undefined) {
      result = fn(version);
      if (known.size >= MEMO_LIMIT) known.clear();
      known.set(version, result);
    }
    return result ?? undefined;
  };
}

// Normalized versions only (`semverOrder.normalize` has accepted them), so parsing cannot fail.
const semverOf = memo((version) => new semver.SemVer(version)) as (
  version: string,
) => semver.SemVer;

/**
 * SemVer 2.0 precedence (npm, Go, and every SEMVER range). Prereleases sort below their release
 * (`1.0.0-beta` < `1.0.0`), which is the ordering OSV means; npm's range-satisfaction rule that
 * hides prereleases from ranges does not apply to advisories.
 */
export const semverOrder: VersionOrder = {
  name: "SemVer",
  normalize: memo((version) => semver.valid(withoutV(version))),
  compare(a, b) {
    return semverOf(a).compare(semverOf(b));
  },
};

/** PEP 440 (PyPI): `1.0` == `1.0.0`; dev < pre < release < post. */
export const pep440Order: VersionOrder = {
  name: "PEP 440",
  normalize: memo((version) =>
    pep440.valid(version) === null ? null : version.trim().toLowerCase(),
  ),
  compare(a, b) {
    return pep440.compare(a, b);
  },
};

const dpkgOf = memo((version) => parseDpkgVersion(version) ?? null) as (
  version: string,
) => DpkgVersion;

/** Debian Policy §5.6.12, as `dpkg --compare-versions` orders (OSV's `Debian:<release>`). */
export const dpkgOrder: VersionOrder = {
  name: "Debian",
  normalize: memo((version) => (parseDpkgVersion(version) === undefined ? null : version.trim())),
  compare(a, b) {
    return compareDpkgVersions(dpkgOf(a), dpkgOf(b));
  },
};

/** apk-tools' ordering (OSV's `Alpine:v<release>`). */
export const apkOrder: VersionOrder = {
  name: "Alpine",
  // apk-tools compares versions it would refuse as far as they read, so any word is one.
  normalize: memo((version) => (/^\S+$/.test(version.trim()) ? version.trim() : null)),
  compare: compareApkVersions,
};

/**
 * The ecosystem without its release: `Debian:12` is Debian, `Alpine:v3.20` is Alpine (OSV names
 * a distribution's ecosystem per release).
 */
export function baseEcosystem(ecosystem: string): string {
  const colon = ecosystem.indexOf(":");
  return colon < 0 ? ecosystem : ecosystem.slice(0, colon);
}

/**
 * The order of a range's versions: SEMVER ranges are SemVer whatever the ecosystem; ECOSYSTEM ranges
 * follow the ecosystem; GIT ranges (commits) and ecosystems without a known order have none, so
 * only their exact `versions` lists can match.
 */
export function orderFor(rangeType: string, ecosystem: string): VersionOrder | undefined {
  if (rangeType === "SEMVER") return semverOrder;
  if (rangeType !== "ECOSYSTEM") return undefined;
  switch (baseEcosystem(ecosystem)) {
    case "npm":
    case "Go":
      return semverOrder;
    case "PyPI":
      return pep440Order;
    case "Debian":
      return dpkgOrder;
    case "Alpine":
      return apkOrder;
    default:
      return undefined;
  }
}

/** PEP 503: names compare lowercased with runs of `-`, `_` and `.` as one `-`. */
export function pep503Name(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** The name as advisories and lockfiles are matched: PyPI per PEP 503, others exactly. */
export function packageKeyName(ecosystem: string, name: string): string {
  return ecosystem === "PyPI" ? pep503Name(name) : name;
}

/** The key of a package in an index: ecosystem and name as matched. */
export function packageKey(ecosystem: string, name: string): string {
  return `${ecosystem}\u0000${packageKeyName(ecosystem, name)}`;
}

/** Whether an installed version is one listed in an advisory's exact `versions`. */
export function sameVersion(ecosystem: string, listed: string, installed: string): boolean {
  if (listed === installed) return true;
  switch (baseEcosystem(ecosystem)) {
    case "PyPI": {
      const a = pep440Order.normalize(listed);
      const b = pep440Order.normalize(installed);
      return a !== undefined && b !== undefined && pep440.eq(a, b);
    }
    case "Go":
      return withoutV(listed) === withoutV(installed);
    case "Debian":
    case "Alpine": {
      const order = orderFor("ECOSYSTEM", ecosystem) as VersionOrder;
      const a = order.normalize(listed);
      const b = order.normalize(installed);
      return a !== undefined && b !== undefined && order.compare(a, b) === 0;
    }
    default:
      return false;
  }
}
