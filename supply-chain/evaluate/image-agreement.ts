import { fieldPath } from "../../policies/field-path.ts";
import type { ControlFinding } from "../../policies/evaluation/predicate.ts";
import type { ServerManifest, ServerPackage } from "../../policies/evaluation/server-manifest.ts";
import { parseImageReference } from "../../policies/workload/image-reference.ts";
import type { ImageInventory } from "../image/inventory.ts";
import { pep440Order, pep503Name, semverOrder, type VersionOrder } from "../scan/osv/versions.ts";
import type { Ecosystem, Lockfile } from "../scan/types.ts";

/**
 * Whether the manifest and the lockfiles describe the image they are evaluated with (SC-05,
 * SC-06). A manifest that names one version while the image holds another would have the
 * evaluation vouch for code it never judged: mcp-remote 0.1.16 declared, 0.1.15 (CVE-2025-6514)
 * installed.
 */

export interface ExaminedImage {
  reference: string;
  inventory: ImageInventory;
}

type Outcome = { findings: ControlFinding[]; notes?: string } | { skipped: string };

/** One installed copy of a package: its version and the file in the image it was read from. */
interface Copy {
  /** As the image spells it. */
  name: string;
  version: string;
  file: string;
}

const ECOSYSTEM_OF: Record<string, Ecosystem> = { npm: "npm", pypi: "PyPI" };
const ORDER_OF: Record<Ecosystem, VersionOrder> = {
  npm: semverOrder,
  PyPI: pep440Order,
  Go: semverOrder,
};
// At most this many findings per control: a lockfile of another project differs everywhere.
const MAX_FINDINGS = 25;

function keyName(ecosystem: Ecosystem, name: string): string {
  return ecosystem === "PyPI" ? pep503Name(name) : name;
}

/** Equal as the ecosystem orders versions (`1.0` is `1.0.0` for PyPI); else as written. */
function sameVersion(ecosystem: Ecosystem, a: string, b: string): boolean {
  const order = ORDER_OF[ecosystem];
  const x = order.normalize(a);
  const y = order.normalize(b);
  return x !== undefined && y !== undefined ? order.compare(x, y) === 0 : a.trim() === b.trim();
}

/** Every copy of `name` the image holds: installed packages and, for npm, the application itself. */
function copiesOf(inventory: ImageInventory, ecosystem: Ecosystem, name: string): Copy[] {
  const key = keyName(ecosystem, name);
  const copies = inventory.packages
    .filter((p) => p.ecosystem === ecosystem && keyName(ecosystem, p.name) === key)
    .map((p) => ({ name: p.name, version: p.version, file: p.file }));
  if (ecosystem === "npm")
    for (const app of inventory.applications)
      if (app.name === name && app.version !== undefined)
        copies.push({ name, version: app.version, file: app.file });
  return copies;
}

function held(copies: readonly Copy[]): string {
  return copies.map((c) => `${c.name} ${c.version} (${c.file})`).join(", ");
}

function packageFinding(
  pkg: ServerPackage,
  i: number,
  manifestFile: string,
  image: ExaminedImage,
): { finding?: ControlFinding; note: string } {
  const at = (field: string) => `${manifestFile}#${fieldPath("", "packages", i, field)}`;
  const declared = `${pkg.identifier}${pkg.version === undefined ? "" : ` ${pkg.version}`}`;
  if (pkg.registryType === "oci") return ociFinding(pkg, at, image);
  const ecosystem = ECOSYSTEM_OF[pkg.registryType];
  if (ecosystem === undefined) return { note: `${pkg.registryType} ${declared} not compared` };
  const copies = copiesOf(image.inventory, ecosystem, pkg.identifier);
  if (copies.length === 0)
    return {
      note: `${declared}: absent`,
      finding: {
        message: `the manifest declares ${pkg.registryType} package ${declared} (packages[${i}]), but the image ${image.reference} holds no ${pkg.identifier}`,
        severity: "high",
        location: at("identifier"),
      },
    };
  const version = pkg.version;
  if (version === undefined)
    return {
      note: `${pkg.identifier}: no version declared; the image holds ${held(copies)}`,
    };
  const match = copies.find((c) => sameVersion(ecosystem, c.version, version));
  if (match !== undefined) return { note: `${declared} at ${match.file}` };
  return {
    note: `${declared}: the image holds another version`,
    finding: {
      message: `the manifest declares ${pkg.registryType} package ${declared} (packages[${i}]), but the image holds ${held(copies)}`,
      severity: "high",
      location: at("version"),
    },
  };
}

/** An OCI package names the image itself: the same repository, and the same tag or digest. */
function ociFinding(
  pkg: ServerPackage,
  at: (field: string) => string,
  image: ExaminedImage,
): { finding?: ControlFinding; note: string } {
  const declaredRef =
    pkg.version !== undefined && !/[:@][^/]*$/.test(pkg.identifier)
      ? `${pkg.identifier}:${pkg.version}`
      : pkg.identifier;
  const declared = parseImageReference(declaredRef);
  const examined = parseImageReference(image.reference);
  const problem = (message: string) => ({
    note: `oci ${declaredRef}: differs`,
    finding: { message, severity: "high" as const, location: at("identifier") },
  });
  if (!declared.ok)
    return problem(
      `the manifest's OCI package ${declaredRef} is not an image reference (${declared.error})`,
    );
  if (!examined.ok || declared.value.name !== examined.value.name)
    return problem(
      `the manifest declares OCI image ${declared.value.familiar}, but the image evaluated is ${image.reference}`,
    );
  const digest = declared.value.digest;
  if (digest !== undefined && digest !== image.inventory.image)
    return problem(
      `the manifest declares OCI image ${declared.value.familiar}, but ${image.reference} is ${image.inventory.image}`,
    );
  const tag = declared.value.tag;
  if (
    digest === undefined &&
    tag !== undefined &&
    examined.value.tag !== undefined &&
    tag !== examined.value.tag
  )
    return problem(
      `the manifest declares OCI image ${declared.value.familiar}, but the image evaluated is tagged ${examined.value.tag} (${image.reference})`,
    );
  return {
    note: `oci ${declared.value.familiar} is ${image.reference} (${image.inventory.image})`,
  };
}

/**
 * SC-05: each npm, PyPI and OCI package the manifest declares is what the image holds: an npm or
 * PyPI package at the declared version somewhere in the image, an OCI package naming the image
 * evaluated. Skipped without an image, and when the manifest declares no such package.
 */
export function manifestAgreement(
  manifest: ServerManifest,
  manifestFile: string,
  image: ExaminedImage | undefined,
): Outcome {
  if (image === undefined)
    return {
      skipped:
        "no image was examined (evaluate --image REF): nothing to compare the manifest's packages with",
    };
  const comparable = manifest.packages.filter(
    (p) => p.registryType === "oci" || ECOSYSTEM_OF[p.registryType] !== undefined,
  );
  if (comparable.length === 0)
    return {
      skipped: `the manifest declares no npm, PyPI or OCI package (packages[]) to compare with the image ${image.reference}`,
    };
  const results = manifest.packages.map((p, i) => packageFinding(p, i, manifestFile, image));
  return {
    findings: results.flatMap((r) => (r.finding ? [r.finding] : [])),
    notes: `image ${image.reference} (${image.inventory.image}): ${results.map((r) => r.note).join("; ")}`,
  };
}

/**
 * Where the server's own packages are installed in the image: the `node_modules` tree or the
 * site-packages directory that holds the manifest's package. Packages elsewhere (npm's own in a
 * Node base image, the system's Python) belong to the base, not to the server's lockfile.
 */
function installRoots(
  manifest: ServerManifest,
  inventory: ImageInventory,
): Map<Ecosystem, string[]> {
  const roots = new Map<Ecosystem, string[]>();
  for (const pkg of manifest.packages) {
    const ecosystem = ECOSYSTEM_OF[pkg.registryType];
    if (ecosystem === undefined) continue;
    for (const copy of copiesOf(inventory, ecosystem, pkg.identifier)) {
      // PyPI: `…/site-packages/<name>-<version>.dist-info/METADATA` stands for `…/site-packages/`.
      const root =
        ecosystem === "npm" ? npmRoot(copy.file) : copy.file.replace(/[^/]+\/[^/]+$/, "");
      roots.set(ecosystem, [...new Set([...(roots.get(ecosystem) ?? []), root])]);
    }
  }
  return roots;
}

/**
 * The npm tree of a package read from `file`: the `node_modules` it sits in (a project's install,
 * dependencies hoisted beside it), or its own folder when installed globally (`…/lib/node_modules/x`,
 * whose siblings are other global tools, npm's own among them). The application's own
 * `package.json` stands for its `node_modules`.
 */
function npmRoot(file: string): string {
  const dir = file.slice(0, file.lastIndexOf("/") + 1);
  const first = file.indexOf("/node_modules/");
  if (first < 0) return `${dir}node_modules/`;
  if (/\/lib\/node_modules\/$/.test(file.slice(0, first + "/node_modules/".length))) return dir;
  return file.slice(0, first + "/node_modules/".length);
}

// What a virtual environment's installer brings, which no lockfile of the server records.
const INSTALLER_PACKAGES = new Set(["pip", "setuptools", "wheel"]);

/**
 * SC-06: the lockfiles agree with the packages installed beside the server in the image, in the
 * server's own ecosystems: each such package is in a lockfile, at a version it records. Lockfile
 * entries the image lacks are not reported (development and other platforms' packages are not
 * installed). Warn-level: the findings do not fail the control.
 */
export function lockfileAgreement(
  manifest: ServerManifest,
  lockfiles: readonly Lockfile[],
  image: ExaminedImage | undefined,
): Outcome {
  if (image === undefined)
    return {
      skipped:
        "no image was examined (evaluate --image REF): nothing to compare the lockfiles with",
    };
  if (lockfiles.length === 0)
    return { skipped: "no lockfile was given or found: nothing to compare with the image" };
  const roots = installRoots(manifest, image.inventory);
  if (roots.size === 0)
    return {
      skipped: `the image ${image.reference} holds no npm or PyPI package the manifest declares, so the server's install in it cannot be told from the base image's`,
    };
  const findings: ControlFinding[] = [];
  let compared = 0;
  for (const [ecosystem, dirs] of roots) {
    const locked = lockfiles.filter((l) => l.packages.some((p) => p.ecosystem === ecosystem));
    if (locked.length === 0) {
      findings.push({
        message: `the image holds the server's ${ecosystem} packages (${dirs.join(", ")}), but no lockfile records ${ecosystem} packages`,
        severity: "medium",
        location: lockfiles[0]?.file ?? "",
      });
      continue;
    }
    const versions = new Map<string, string[]>();
    // Where each package is recorded, for a finding that points at its lockfile entry.
    const entry = new Map<string, string>();
    for (const p of locked.flatMap((l) => l.packages))
      if (p.ecosystem === ecosystem) {
        const key = keyName(ecosystem, p.name);
        versions.set(key, [...(versions.get(key) ?? []), p.version]);
        if (!entry.has(key)) entry.set(key, p.line === undefined ? p.file : `${p.file}:${p.line}`);
      }
    const where = locked.map((l) => l.file).join(", ");
    const installed = image.inventory.packages.filter(
      (p) => p.ecosystem === ecosystem && dirs.some((d) => p.file.startsWith(d)),
    );
    for (const p of installed) {
      const key = keyName(ecosystem, p.name);
      if (ecosystem === "PyPI" && INSTALLER_PACKAGES.has(key) && !versions.has(key)) continue;
      compared++;
      const recorded = versions.get(key);
      if (recorded === undefined)
        findings.push({
          message: `the image holds ${p.name} ${p.version} (${p.file}), which ${where} does not record`,
          severity: "medium",
          location: locked[0]?.file ?? where,
        });
      else if (!recorded.some((v) => sameVersion(ecosystem, v, p.version)))
        findings.push({
          message: `the image holds ${p.name} ${p.version} (${p.file}), ${where} records ${[...new Set(recorded)].join(", ")}`,
          severity: "medium",
          location: entry.get(key) ?? where,
        });
    }
  }
  const shown = findings.slice(0, MAX_FINDINGS);
  if (findings.length > MAX_FINDINGS)
    shown.push({
      message: `and ${findings.length - MAX_FINDINGS} more disagreement(s) between the lockfiles and the image`,
      severity: "medium",
    });
  const summary = `${compared} package(s) installed beside the server in ${image.reference} compared with ${lockfiles.map((l) => l.file).join(", ")}`;
  return {
    findings: shown,
    notes:
      findings.length === 0
        ? `${summary}: they agree`
        : `${summary}: ${findings.length} disagreement(s), a warning (the verdict does not fail; L4 needs none)`,
  };
}
