import type { SeverityLevel, VulnerabilityFinding } from "../../policies/evaluation/predicate.ts";

/** OSV ecosystems the lockfile parsers produce. */
export type Ecosystem = "npm" | "PyPI" | "Go";

/** OSV's ecosystems of distributions, one per release: `Debian:12`, `Alpine:v3.20`. */
export type OsEcosystem = `Debian:${string}` | `Alpine:v${string}`;

export type LockfileFormat =
  | "package-lock"
  | "pnpm-lock"
  | "yarn-classic"
  | "yarn-berry"
  | "uv-lock"
  | "poetry-lock"
  | "requirements"
  | "go-mod"
  | "go-sum";

/** One package version installed by a lockfile. */
export interface LockedPackage {
  /** An OS ecosystem only for packages read from an image's package database. */
  ecosystem: Ecosystem | OsEcosystem;
  /** Name as the ecosystem spells it (npm scope included, PyPI name normalised per PEP 503). */
  name: string;
  /** The installed version as the lockfile gives it (Go: with its `v`). */
  version: string;
  /** The lockfile, as the caller named it. */
  file: string;
  /** 1-based line of the package's entry in the lockfile, when known (for SARIF). */
  line?: number;
  /** Integrity hash the lockfile records (`sha512-…`, `sha256:…`, `h1:…`), when it records one. */
  integrity?: string;
  /** A dependency the project names itself, not a transitive one (when the lockfile tells). */
  direct?: boolean;
  /** Only needed for development (when the lockfile tells). */
  dev?: boolean;
  /** The package's purl, when its reader knows it better than the name and version tell. */
  purl?: string;
}

/** A version that is not pinned exactly or not protected by an integrity hash (control SC-03). */
export interface PinningFinding {
  message: string;
  severity: SeverityLevel;
  file: string;
  line?: number;
  /** The package concerned, when there is one. */
  package?: string;
}

export interface Lockfile {
  file: string;
  format: LockfileFormat;
  packages: LockedPackage[];
  pinning: PinningFinding[];
}

/** One advisory matching one locked package; `finding.ignored` is never set here. */
export interface VulnerabilityMatch {
  package: LockedPackage;
  finding: VulnerabilityFinding;
}

/** Where advisories come from: the OSV API, or an offline OSV database. */
export interface VulnerabilitySource {
  /** Names the source for reports, e.g. `osv API (https://api.osv.dev)` or `offline OSV database osv.zip (51,234 records)`. */
  readonly description: string;
  /**
   * The ecosystems the source holds advisories for; absent when it answers for every ecosystem
   * (an API). A lockfile of an ecosystem the source does not cover cannot be judged clean.
   */
  readonly ecosystems?: ReadonlySet<string>;
  /** An offline database: how many records it holds per ecosystem (`npm`, `Debian:12`). */
  readonly coverage?: ReadonlyMap<string, number>;
  /** An offline database: the newest `modified` of its records (how fresh it is). */
  readonly newestModified?: string;
  /** Every advisory affecting each package. Rejects with a ScanError (`VULNERABILITY_SOURCE_FAILED`, `OSV_RECORD_INVALID`) naming what failed. */
  matches(
    packages: readonly LockedPackage[],
    opts?: { signal?: AbortSignal },
  ): Promise<VulnerabilityMatch[]>;
}
