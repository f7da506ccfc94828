/**
 * What an image has installed, as trivy and syft report it, from the kept files of its merged
 * filesystem: npm packages (every `node_modules/**\/package.json`, nested and hoisted), Python
 * distributions (dist-info METADATA, egg-info), Go modules (each binary's build info), and OS
 * packages (dpkg status, apk installed). Each package keeps the file and the layer it came from.
 * npm, PyPI and Go packages have the shape lockfile readers produce, and `scannablePackages` gives
 * Debian and Alpine packages that shape under OSV's per-release ecosystem, so the same
 * vulnerability sources scan them.
 */
import { PackageURL } from "packageurl-js";
import { isRecord } from "../../policies/guards.ts";
import type { RegistryClient } from "../registry/client.ts";
import { pep503Name } from "../scan/osv/versions.ts";
import type { Ecosystem, LockedPackage, OsEcosystem } from "../scan/types.ts";
import { readImageFiles } from "./filesystem.ts";
import type { FileBounds, KeptFile, SkippedFile } from "./filesystem.ts";
import type { GoModule } from "./go-buildinfo.ts";
import type { ImageBounds, PulledImage, WalkHooks, WalkStats } from "./pull.ts";

/** OSV ecosystem names of what an image can hold. */
export type InventoryEcosystem = Ecosystem | "Debian" | "Alpine";

export interface InstalledPackage {
  ecosystem: InventoryEcosystem;
  /** As the ecosystem spells it: npm scope included, PyPI per PEP 503, Go module path, OS binary package. */
  name: string;
  /** Go: with its `v`. */
  version: string;
  purl: string;
  /** The file it was read from, absolute in the image (`/app/node_modules/x/package.json`). */
  file: string;
  /** The digest of the layer that file came from. */
  layer: string;
  /** An OS package's source package, which is what OS advisories name. */
  source?: { name: string; version: string };
}

/** A package.json outside node_modules beside a node_modules directory: the application itself. */
export interface Application {
  name?: string;
  version?: string;
  file: string;
  layer: string;
}

export interface ImageInventory {
  /** The image manifest's digest. */
  image: string;
  /** `ID` and `VERSION_ID` of the image's os-release, when it has one. */
  os?: { id: string; versionId?: string };
  packages: InstalledPackage[];
  applications: Application[];
  /** Files that were not read (over a bound) or could not be parsed. */
  skipped: SkippedFile[];
  stats: WalkStats;
}

/**
 * OSV's ecosystem for the image's distribution release: `Debian:12` for Debian 12 (os-release
 * `ID=debian`, `VERSION_ID="12"`), `Alpine:v3.20` for Alpine 3.20.x. Undefined for other
 * distributions, and for releases without a version (Debian testing and unstable).
 */
export function osvEcosystemOf(os: ImageInventory["os"]): OsEcosystem | undefined {
  if (os?.versionId === undefined) return undefined;
  if (os.id === "debian" && /^\d+$/.test(os.versionId)) return `Debian:${os.versionId}`;
  const alpine = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(os.versionId);
  if (os.id === "alpine" && alpine !== null) return `Alpine:v${alpine[1]}.${alpine[2]}`;
  return undefined;
}

/**
 * The packages the OSV matcher can judge, as lockfile packages: npm, PyPI and Go packages as they
 * are, and the OS packages of a Debian or Alpine release under OSV's ecosystem for that release
 * (`osvEcosystemOf`), named and versioned by their source package (Debian's `Source:`, Alpine's
 * origin), which is what OSV's Debian and Alpine advisories name. The purl stays the binary
 * package's.
 */
export function scannablePackages(
  packages: readonly InstalledPackage[],
  os?: ImageInventory["os"],
): (LockedPackage & { layer?: string })[] {
  const release = osvEcosystemOf(os);
  const out: (LockedPackage & { layer?: string })[] = [];
  for (const p of packages) {
    if (p.ecosystem === "npm" || p.ecosystem === "PyPI" || p.ecosystem === "Go")
      out.push({ ...p, ecosystem: p.ecosystem });
    else if (release !== undefined && release.startsWith(`${p.ecosystem}:`))
      out.push({
        ecosystem: release,
        name: p.source?.name ?? p.name,
        version: p.source?.version ?? p.version,
        file: p.file,
        purl: p.purl,
        layer: p.layer,
      });
  }
  return out;
}

/** Pulls nothing itself: streams `image`'s layers and inventories what they install. */
export async function readInventory(
  client: RegistryClient,
  image: PulledImage,
  opts: Partial<ImageBounds & FileBounds> & WalkHooks = {},
): Promise<ImageInventory> {
  const { files, skipped, stats } = await readImageFiles(client, image, opts);
  return { image: image.digest, ...inventoryOf(files, skipped), stats };
}

/** The inventory of a merged filesystem's kept files (pure). */
export function inventoryOf(
  files: readonly KeptFile[],
  skipped: readonly SkippedFile[] = [],
): Omit<ImageInventory, "image" | "stats"> {
  const out: Omit<ImageInventory, "image" | "stats"> = {
    packages: [],
    applications: [],
    skipped: [...skipped],
  };
  const osRelease = files.find((f) => f.kind === "os-release" && f.path === "etc/os-release");
  const os = (osRelease ?? files.find((f) => f.kind === "os-release"))?.bytes;
  if (os !== undefined) {
    const fields = osReleaseFields(text(os));
    if (fields.ID !== undefined) {
      out.os = { id: fields.ID };
      if (fields.VERSION_ID !== undefined) out.os.versionId = fields.VERSION_ID;
    }
  }
  const distro = out.os?.versionId === undefined ? undefined : `${out.os.id}-${out.os.versionId}`;
  const unreadable = (f: KeptFile, reason: string): void => {
    out.skipped.push({ path: f.path, layer: f.layer, reason });
  };
  for (const f of files) {
    try {
      addPackages(f, out, distro);
    } catch (err) {
      // packageurl-js refuses names a purl cannot carry: report the file rather than fail.
      unreadable(f, err instanceof Error ? err.message : String(err));
    }
  }
  // A package.json beside a node_modules that holds packages is the application's own.
  const npmFiles = out.packages.filter((p) => p.ecosystem === "npm").map((p) => p.file);
  for (const f of files.filter((x) => x.kind === "package-json")) {
    const dir = f.path.includes("/") ? `/${f.path.slice(0, f.path.lastIndexOf("/"))}` : "";
    if (!npmFiles.some((p) => p.startsWith(`${dir}/node_modules/`))) continue;
    const app: Application = { file: `/${f.path}`, layer: f.layer };
    const json = parseJson(f.bytes ?? new Uint8Array(0));
    if (isRecord(json)) {
      if (typeof json.name === "string") app.name = json.name;
      if (typeof json.version === "string") app.version = json.version;
    }
    out.applications.push(app);
  }
  return out;
}

function addPackages(
  f: KeptFile,
  out: Omit<ImageInventory, "image" | "stats">,
  distro: string | undefined,
): void {
  const unreadable = (reason: string): void => {
    out.skipped.push({ path: f.path, layer: f.layer, reason });
  };
  const at = { file: `/${f.path}`, layer: f.layer };
  const bytes = f.bytes ?? new Uint8Array(0);
  switch (f.kind) {
    case "npm-package": {
      const pkg = npmPackage(bytes, f.path);
      if (pkg === undefined) unreadable("not a package.json with a name and version");
      else out.packages.push({ ecosystem: "npm", ...pkg, purl: purl("npm", pkg), ...at });
      break;
    }
    case "python-metadata": {
      const pkg = pythonPackage(text(bytes));
      if (pkg === undefined) unreadable("no Name and Version in the metadata");
      else out.packages.push({ ecosystem: "PyPI", ...pkg, purl: purl("pypi", pkg), ...at });
      break;
    }
    case "dpkg-status":
      for (const p of dpkgPackages(text(bytes)))
        out.packages.push({
          ecosystem: "Debian",
          ...p,
          purl: osPurl("deb", out.os?.id ?? "debian", p, distro),
          ...at,
        });
      break;
    case "apk-installed":
      for (const p of apkPackages(text(bytes)))
        out.packages.push({
          ecosystem: "Alpine",
          ...p,
          purl: osPurl("apk", out.os?.id ?? "alpine", p, distro),
          ...at,
        });
      break;
    case "go-binary":
      if (f.go !== undefined)
        for (const m of goModules(f.go.goVersion, f.go.main, f.go.deps))
          out.packages.push({ ecosystem: "Go", ...m, purl: purl("golang", m), ...at });
      break;
    case "package-json":
    case "os-release":
      break;
  }
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(text(bytes));
  } catch {
    return undefined;
  }
}

function npmPackage(
  bytes: Uint8Array,
  path: string,
): { name: string; version: string } | undefined {
  const json = parseJson(bytes);
  if (!isRecord(json) || typeof json.version !== "string" || json.version === "") return undefined;
  // An alias (`npm:pkg@x`) is installed under the alias's folder; the manifest names the package.
  if (typeof json.name === "string" && json.name !== "")
    return { name: json.name, version: json.version };
  const parts = path.split("/");
  const nm = parts.lastIndexOf("node_modules");
  return { name: parts.slice(nm + 1, -1).join("/"), version: json.version };
}

/** Name and Version of core metadata (RFC 822 headers, up to the first blank line). */
function pythonPackage(metadata: string): { name: string; version: string } | undefined {
  let name: string | undefined;
  let version: string | undefined;
  for (const line of metadata.split(/\r?\n/)) {
    if (line === "") break;
    const m = /^(Name|Version):\s*(.*?)\s*$/i.exec(line);
    if (m?.[1]?.toLowerCase() === "name") name ??= m[2];
    if (m?.[1]?.toLowerCase() === "version") version ??= m[2];
  }
  if (!name || !version) return undefined;
  return { name: pep503Name(name), version };
}

/** Stanzas of `Field: value` lines (continuations indented), separated by blank lines. */
function stanzas(db: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  let cur = new Map<string, string>();
  let last: string | undefined;
  for (const line of db.split(/\r?\n/)) {
    if (line.trim() === "") {
      if (cur.size > 0) out.push(cur);
      cur = new Map();
      last = undefined;
    } else if (/^\s/.test(line) && last !== undefined) {
      cur.set(last, `${cur.get(last) ?? ""}\n${line.trim()}`);
    } else {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      last = line.slice(0, colon);
      cur.set(last, line.slice(colon + 1).trim());
    }
  }
  if (cur.size > 0) out.push(cur);
  return out;
}

interface OsPackage {
  name: string;
  version: string;
  source?: { name: string; version: string };
  arch?: string;
}

/** Installed packages of a dpkg status file (`Status: install ok installed`). */
function dpkgPackages(db: string): OsPackage[] {
  const out: OsPackage[] = [];
  for (const s of stanzas(db)) {
    const name = s.get("Package");
    const version = s.get("Version");
    const status = (s.get("Status") ?? "install ok installed").split(/\s+/);
    if (!name || !version || status[2] !== "installed") continue;
    const pkg: OsPackage = { name, version };
    // `Source: name` or `Source: name (version)`, when it differs from the binary's.
    const m = /^(\S+)(?:\s+\((\S+)\))?$/.exec(s.get("Source") ?? "");
    pkg.source = { name: m?.[1] ?? name, version: m?.[2] ?? version };
    const arch = s.get("Architecture");
    if (arch) pkg.arch = arch;
    out.push(pkg);
  }
  return out;
}

/** Packages of apk's installed database (`P:` name, `V:` version, `o:` origin, `A:` arch). */
function apkPackages(db: string): OsPackage[] {
  const out: OsPackage[] = [];
  for (const block of db.split(/\r?\n\r?\n/)) {
    const f = new Map<string, string>();
    for (const line of block.split(/\r?\n/))
      if (line.length > 2 && line[1] === ":" && !f.has(line[0] ?? ""))
        f.set(line[0] ?? "", line.slice(2));
    const name = f.get("P");
    const version = f.get("V");
    if (!name || !version) continue;
    const pkg: OsPackage = { name, version, source: { name: f.get("o") || name, version } };
    const arch = f.get("A");
    if (arch) pkg.arch = arch;
    out.push(pkg);
  }
  return out;
}

/** The modules a Go binary was built from, replacements applied; the toolchain as `stdlib`. */
function goModules(
  goVersion: string,
  main: GoModule | undefined,
  deps: readonly GoModule[],
): { name: string; version: string }[] {
  const out: { name: string; version: string }[] = [];
  const add = (m: GoModule): void => {
    const used = m.replace ?? m;
    // `(devel)` is a main module built from a work tree; a local replacement has no version.
    if (used.version === "" || used.version === "(devel)") return;
    out.push({ name: used.path, version: used.version });
  };
  if (main !== undefined) add(main);
  for (const d of deps) add(d);
  const go = /^go(\d+\.\d+(?:\.\d+)?)$/.exec(goVersion);
  if (go?.[1] !== undefined) out.push({ name: "stdlib", version: `v${go[1]}` });
  return out;
}

function purl(type: string, pkg: { name: string; version: string }): string {
  const cut = type === "pypi" ? -1 : pkg.name.lastIndexOf("/");
  const namespace = cut > 0 ? pkg.name.slice(0, cut) : undefined;
  const name = cut > 0 ? pkg.name.slice(cut + 1) : pkg.name;
  return new PackageURL(type, namespace, name, pkg.version, undefined, undefined).toString();
}

function osPurl(type: string, vendor: string, p: OsPackage, distro: string | undefined): string {
  const qualifiers: Record<string, string> = {};
  if (p.arch !== undefined) qualifiers.arch = p.arch;
  if (distro !== undefined) qualifiers.distro = distro;
  return new PackageURL(type, vendor, p.name, p.version, qualifiers, undefined).toString();
}

function osReleaseFields(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of s.split(/\r?\n/)) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined) out[m[1]] = (m[2] ?? "").replace(/^["']|["']$/g, "");
  }
  return out;
}
