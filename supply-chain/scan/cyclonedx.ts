import { PackageURL } from "packageurl-js";
import { isRecord } from "../../policies/guards.ts";
import type { LockedPackage, OsEcosystem } from "./types.ts";

/** The in-toto predicate type of a CycloneDX SBOM, as `cosign attest --type cyclonedx` writes it. */
export const CYCLONEDX_PREDICATE = "https://cyclonedx.org/bom";

/** Bounds a hostile SBOM: components nest, and each costs a purl parse. */
const MAX_COMPONENTS = 100_000;

/** OSV's ecosystem of a distribution package from its purl's `distro` qualifier (`debian-12`, `alpine-3.20.3`). */
function osEcosystem(type: string, distro: string | undefined): OsEcosystem | undefined {
  if (distro === undefined) return undefined;
  const debian = /^debian-(\d+)(?:\.\d+)*$/.exec(distro);
  if (type === "deb" && debian) return `Debian:${debian[1]}`;
  const alpine = /^alpine-(\d+)\.(\d+)(?:\.\d+)?$/.exec(distro);
  if (type === "apk" && alpine) return `Alpine:v${alpine[1]}.${alpine[2]}`;
  return undefined;
}

/** A purl as the OSV matcher's package; undefined for types no advisory source here covers. */
export function packageOfPurl(purl: string, file: string): LockedPackage | undefined {
  let p: PackageURL;
  try {
    p = PackageURL.fromString(purl);
  } catch {
    return undefined;
  }
  if (!p.version) return undefined;
  const ns = p.namespace ? `${p.namespace}/` : "";
  switch (p.type) {
    case "npm":
      return { ecosystem: "npm", name: `${ns}${p.name}`, version: p.version, file, purl };
    case "pypi":
      return { ecosystem: "PyPI", name: p.name, version: p.version, file, purl };
    case "golang":
      return { ecosystem: "Go", name: `${ns}${p.name}`, version: p.version, file, purl };
    case "deb":
    case "apk": {
      const ecosystem = osEcosystem(p.type, p.qualifiers?.distro);
      if (!ecosystem) return undefined;
      // OS advisories name the source package; SBOM tools record it as `upstream`.
      const upstream = p.qualifiers?.upstream;
      const [name, version] = upstream ? upstream.split(/@(.*)/s) : [p.name, p.version];
      return { ecosystem, name: name || p.name, version: version || p.version, file, purl };
    }
    default:
      return undefined;
  }
}

/**
 * The packages a CycloneDX SBOM (JSON) lists with a purl, nested components included, as the
 * OSV matcher reads them; `file` names the SBOM in findings.
 */
export function packagesOfCycloneDx(bom: unknown, file: string): LockedPackage[] {
  const out: LockedPackage[] = [];
  const seen = new Set<string>();
  const stack: unknown[] =
    isRecord(bom) && Array.isArray(bom.components) ? [...(bom.components as unknown[])] : [];
  let count = 0;
  while (stack.length > 0 && count++ < MAX_COMPONENTS) {
    const c = stack.pop();
    if (!isRecord(c)) continue;
    if (Array.isArray(c.components)) stack.push(...(c.components as unknown[]));
    if (typeof c.purl !== "string" || seen.has(c.purl)) continue;
    seen.add(c.purl);
    const pkg = packageOfPurl(c.purl, file);
    if (pkg) out.push(pkg);
  }
  return out;
}
