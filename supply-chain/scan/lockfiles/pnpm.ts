import { LineCounter, isMap, isScalar, parseDocument } from "yaml";
import { compileSchema } from "../../../policies/schema-validator.ts";
import type { Lockfile } from "../types.ts";
import { Collector, SEVERITY, at, invalid } from "./common.ts";

type Deps = Record<string, string>;
interface Importer {
  dependencies?: Record<string, { version: string }>;
  devDependencies?: Record<string, { version: string }>;
  optionalDependencies?: Record<string, { version: string }>;
}
interface PnpmPackage {
  version?: string;
  dev?: boolean;
  resolution: {
    integrity?: string;
    tarball?: string;
    type?: string;
    repo?: string;
    commit?: string;
  };
  dependencies?: Deps;
  optionalDependencies?: Deps;
}
interface PnpmLock extends Importer {
  lockfileVersion: string;
  importers?: Record<string, Importer>;
  packages?: Record<string, PnpmPackage>;
  snapshots?: Record<string, { dependencies?: Deps; optionalDependencies?: Deps } | null>;
}

const deps = { type: "object", additionalProperties: { type: "string" } } as const;
const importerDeps = {
  type: "object",
  additionalProperties: {
    type: "object",
    required: ["version"],
    properties: { version: { type: "string" } },
  },
} as const;
const importer = {
  type: "object",
  properties: {
    dependencies: importerDeps,
    devDependencies: importerDeps,
    optionalDependencies: importerDeps,
  },
} as const;
const pnpmSchema = compileSchema<PnpmLock>({
  type: "object",
  required: ["lockfileVersion"],
  properties: {
    // pnpm 8 writes '6.0', pnpm 9 and 10 write '9.0'.
    lockfileVersion: { type: "string", pattern: "^(6|9)\\.[0-9]+$" },
    ...importer.properties,
    importers: { type: "object", additionalProperties: importer },
    packages: {
      type: "object",
      additionalProperties: {
        type: "object",
        required: ["resolution"],
        properties: {
          version: { type: "string" },
          dev: { type: "boolean" },
          resolution: {
            type: "object",
            properties: {
              integrity: { type: "string" },
              tarball: { type: "string" },
              type: { type: "string" },
              repo: { type: "string" },
              commit: { type: "string" },
            },
          },
          dependencies: deps,
          optionalDependencies: deps,
        },
      },
    },
    snapshots: {
      type: "object",
      additionalProperties: {
        type: ["object", "null"],
        properties: { dependencies: deps, optionalDependencies: deps },
      },
    },
  },
});

/** `/@scope/name@1.0.0(peer@2)` → name and `1.0.0(peer@2)`; the leading `/` is pnpm 8's. */
function splitKey(key: string): { name: string; version: string } {
  const k = key.startsWith("/") ? key.slice(1) : key;
  const at = k.indexOf("@", 1);
  return at === -1 ? { name: k, version: "" } : { name: k.slice(0, at), version: k.slice(at + 1) };
}

const withoutPeers = (version: string): string => version.replace(/\(.*$/, "");

/** The snapshot key an importer or a snapshot refers to: `name@version`, or an alias's target. */
function refKey(name: string, version: string): string | undefined {
  if (version.startsWith("link:") || version.startsWith("file:")) return undefined;
  return withoutPeers(version).includes("@") ? version : `${name}@${version}`;
}

/** pnpm-lock.yaml of pnpm 8 (lockfileVersion 6) and pnpm 9 and 10 (lockfileVersion 9). */
export function parsePnpmLock(file: string, text: string): Lockfile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false });
  if (doc.errors.length > 0)
    throw invalid(
      file,
      "not valid YAML",
      doc.errors.map((e) => ({ path: `${file}:${e.linePos?.[0].line ?? 1}`, message: e.message })),
    );
  const data: unknown = doc.toJS();
  const problems = pnpmSchema.problems(data, "");
  if (problems.length > 0 || !pnpmSchema.is(data))
    throw invalid(
      file,
      "not a pnpm lockfile (lockfileVersion 6 or 9)",
      problems.map((p) => ({ path: at(file, p.path), message: p.message })),
    );

  const keyLines = new Map<string, number>();
  const packagesNode = doc.get("packages", true);
  if (isMap(packagesNode))
    for (const item of packagesNode.items)
      if (isScalar(item.key) && item.key.range)
        keyLines.set(String(item.key.value), lineCounter.linePos(item.key.range[0]).line);

  // pnpm 9 records no dev flag: walk the graph from the importers' production and development
  // dependencies. pnpm 8 records `dev` on each package.
  const importers = data.importers ?? { ".": data };
  const prodRoots: string[] = [];
  const devRoots: string[] = [];
  for (const imp of Object.values(importers)) {
    for (const group of [imp.dependencies, imp.optionalDependencies])
      for (const [n, d] of Object.entries(group ?? {})) {
        const k = refKey(n, d.version);
        if (k !== undefined) prodRoots.push(k);
      }
    for (const [n, d] of Object.entries(imp.devDependencies ?? {})) {
      const k = refKey(n, d.version);
      if (k !== undefined) devRoots.push(k);
    }
  }
  const graph = data.snapshots ?? data.packages ?? {};
  const norm = (k: string): string => (k.startsWith("/") ? k.slice(1) : k);
  const nodes = new Map<string, { dependencies?: Deps; optionalDependencies?: Deps } | null>();
  for (const [k, v] of Object.entries(graph)) nodes.set(norm(k), v);
  const reach = (roots: string[]): Set<string> => {
    const seen = new Set<string>();
    const todo = [...roots];
    for (let k = todo.pop(); k !== undefined; k = todo.pop()) {
      if (seen.has(k)) continue;
      seen.add(k);
      const node = nodes.get(k);
      for (const group of [node?.dependencies, node?.optionalDependencies])
        for (const [n, v] of Object.entries(group ?? {})) {
          const child = refKey(n, v);
          if (child !== undefined) todo.push(child);
        }
    }
    return new Set([...seen].map(withoutPeers));
  };
  const prod = reach(prodRoots);
  const dev = reach(devRoots);
  const direct = new Set([...prodRoots, ...devRoots].map(withoutPeers));

  const out = new Collector(file);
  for (const [key, entry] of Object.entries(data.packages ?? {})) {
    const id = withoutPeers(norm(key));
    const split = splitKey(key);
    const version = entry.version ?? withoutPeers(split.version);
    const line = keyLines.get(key);
    const { resolution } = entry;
    // Injected `file:` folders are the project's own source.
    if (resolution.type === "directory") continue;
    out.add({
      ecosystem: "npm",
      name: split.name,
      version,
      line,
      integrity: resolution.integrity,
      direct: direct.has(id),
      dev: entry.dev ?? (dev.has(id) && !prod.has(id)),
    });
    const pkgId = `${split.name}@${version}`;
    if (resolution.type === "git" || resolution.repo !== undefined)
      out.finding(
        SEVERITY.outsideRegistry,
        `${pkgId} is installed from git (${resolution.repo ?? "?"})`,
        line,
        split.name,
      );
    else if (resolution.tarball?.startsWith("file:"))
      out.finding(
        SEVERITY.local,
        `${pkgId} is installed from a local file (${resolution.tarball})`,
        line,
        split.name,
      );
    else if (resolution.tarball !== undefined)
      out.finding(
        SEVERITY.outsideRegistry,
        `${pkgId} is installed from a URL outside a registry (${resolution.tarball})`,
        line,
        split.name,
      );
    else if (resolution.integrity === undefined)
      out.finding(SEVERITY.noIntegrity, `${pkgId} has no integrity hash`, line, split.name);
  }
  return { file, format: "pnpm-lock", packages: out.packages, pinning: out.pinning };
}
