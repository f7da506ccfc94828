import type { FieldProblem } from "../../../policies/errors.ts";
import type { SeverityLevel } from "../../../policies/evaluation/predicate.ts";
import { ScanError } from "../errors.ts";
import type { LockedPackage, PinningFinding } from "../types.ts";

/**
 * Severities of pinning findings (control SC-03), from the worst:
 * - `high`: the version is not pinned at all (a range, a bare name, a VCS branch): what gets
 *   installed changes without the lockfile changing.
 * - `medium`: pinned, but nothing checks the bytes (no integrity hash, no go.sum line) or they come
 *   from outside a package registry (git, an arbitrary URL), where a name and version do not
 *   identify one content.
 * - `low`: content that is in the repository itself (`file:` tarballs) or that the package
 *   manager deliberately leaves unhashed (platform-conditional yarn packages).
 */
export const SEVERITY = {
  unpinned: "high",
  noIntegrity: "medium",
  outsideRegistry: "medium",
  local: "low",
} as const satisfies Record<string, SeverityLevel>;

/** The error for any lockfile that cannot be read; `problems` name `file:line` or `file:field`. */
export function invalid(file: string, message: string, problems: FieldProblem[]): ScanError {
  return new ScanError("LOCKFILE_INVALID", `${file}: ${message}`, { problems });
}

/** A problem at a field of a structured lockfile, e.g. `package-lock.json:packages["x"].version`. */
export function at(file: string, field: string): string {
  return field === "" ? file : `${file}:${field}`;
}

/** Maps character offsets to 1-based line numbers with one pass over the text. */
export class LineIndex {
  readonly #starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1))
      this.#starts.push(i + 1);
  }

  lineOf(offset: number): number {
    const starts = this.#starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/** Lines of `text` that start a top-level TOML array table `[[name]]`, in order. */
export function tomlTableLines(text: string, name: string): number[] {
  const lines: number[] = [];
  const header = `[[${name}]]`;
  let line = 0;
  for (const raw of text.split("\n")) {
    line++;
    if (raw.trimEnd() === header) lines.push(line);
  }
  return lines;
}

/** PEP 503 normalised project name: lowercase, every run of `-`, `_`, `.` becomes one `-`. */
export function pep503(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/**
 * Collects packages and findings of one file. Identical packages (ecosystem, name, version) are
 * kept once, at the first line: direct if any copy is, dev only if every copy is.
 */
export class Collector {
  readonly packages: LockedPackage[] = [];
  readonly pinning: PinningFinding[] = [];
  readonly #seen = new Map<string, LockedPackage>();
  readonly #file: string;

  constructor(file: string) {
    this.#file = file;
  }

  add(pkg: Omit<LockedPackage, "file">): void {
    const key = `${pkg.ecosystem}\u0000${pkg.name}\u0000${pkg.version}`;
    const first = this.#seen.get(key);
    if (first === undefined) {
      // Optional fields are absent rather than `undefined`: packages are compared and serialised.
      const { ecosystem, name, version, line, integrity, direct, dev } = pkg;
      const kept: LockedPackage = { ecosystem, name, version, file: this.#file };
      if (line !== undefined) kept.line = line;
      if (integrity !== undefined) kept.integrity = integrity;
      if (direct !== undefined) kept.direct = direct;
      if (dev !== undefined) kept.dev = dev;
      this.#seen.set(key, kept);
      this.packages.push(kept);
      return;
    }
    if (pkg.direct === true) first.direct = true;
    if (first.dev === true && pkg.dev === false) first.dev = false;
  }

  /**
   * Where an npm package came from (package-lock and yarn classic record `resolved`): a registry
   * tarball needs an integrity hash; a local file, git or a URL outside a registry is a finding.
   */
  npmSource(
    entry: { resolved?: string; integrity?: string },
    at: { id: string; name: string; line?: number },
    source: { isRegistry: (url: string) => boolean; isGit: RegExp },
  ): void {
    const { resolved } = entry;
    const { id, name, line } = at;
    if (resolved === undefined || source.isRegistry(resolved)) {
      if (entry.integrity === undefined)
        this.finding(SEVERITY.noIntegrity, `${id} has no integrity hash`, line, name);
    } else if (resolved.startsWith("file:")) {
      this.finding(
        SEVERITY.local,
        `${id} is installed from a local file (${resolved})`,
        line,
        name,
      );
    } else if (source.isGit.test(resolved)) {
      this.finding(
        SEVERITY.outsideRegistry,
        `${id} is installed from git (${resolved})`,
        line,
        name,
      );
    } else {
      this.finding(
        SEVERITY.outsideRegistry,
        `${id} is installed from a URL outside a registry (${resolved})`,
        line,
        name,
      );
    }
  }

  finding(severity: SeverityLevel, message: string, line?: number, pkg?: string): void {
    const f: PinningFinding = { message, severity, file: this.#file };
    if (line !== undefined) f.line = line;
    if (pkg !== undefined) f.package = pkg;
    this.pinning.push(f);
  }
}
