import { compileSchema } from "../../../policies/schema-validator.ts";
import type { Lockfile } from "../types.ts";
import { Collector, SEVERITY, at, invalid, pep503, tomlTableLines } from "./common.ts";
import { parseToml } from "./toml.ts";

type DepList = { name: string }[];
interface UvPackage {
  name: string;
  version?: string;
  source: Record<string, string>;
  sdist?: { hash?: string };
  wheels?: { hash?: string }[];
  dependencies?: DepList;
  "optional-dependencies"?: Record<string, DepList>;
  "dev-dependencies"?: Record<string, DepList>;
}
interface UvLock {
  version: 1;
  package?: UvPackage[];
}

const depList = {
  type: "array",
  items: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
} as const;
const hashed = { type: "object", properties: { hash: { type: "string" } } } as const;
const uvSchema = compileSchema<UvLock>({
  type: "object",
  required: ["version"],
  properties: {
    version: { const: 1 },
    package: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "source"],
        properties: {
          name: { type: "string" },
          version: { type: "string" },
          source: { type: "object", additionalProperties: { type: "string" } },
          sdist: hashed,
          wheels: { type: "array", items: hashed },
          dependencies: depList,
          "optional-dependencies": { type: "object", additionalProperties: depList },
          "dev-dependencies": { type: "object", additionalProperties: depList },
        },
      },
    },
  },
});

// The project's own source: workspace members and local folders.
const OWN_SOURCES = ["editable", "virtual", "directory"];

/** uv.lock (lock format version 1). */
export function parseUvLock(file: string, text: string): Lockfile {
  const data = parseToml(file, text);
  const problems = uvSchema.problems(data, "");
  if (problems.length > 0 || !uvSchema.is(data))
    throw invalid(
      file,
      "not a uv lockfile (version 1)",
      problems.map((p) => ({ path: at(file, p.path), message: p.message })),
    );
  const packages = data.package ?? [];
  const lines = tomlTableLines(text, "package");
  const isOwn = (p: UvPackage): boolean => OWN_SOURCES.some((s) => s in p.source);

  // The members' dependencies are direct; dev only if reached from dev groups alone.
  const byName = new Map<string, UvPackage[]>();
  for (const p of packages) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const prodRoots: string[] = [];
  const devRoots: string[] = [];
  for (const p of packages.filter(isOwn)) {
    prodRoots.push(...(p.dependencies ?? []).map((d) => d.name));
    for (const l of Object.values(p["optional-dependencies"] ?? {}))
      prodRoots.push(...l.map((d) => d.name));
    for (const l of Object.values(p["dev-dependencies"] ?? {}))
      devRoots.push(...l.map((d) => d.name));
  }
  const reach = (roots: string[]): Set<string> => {
    const seen = new Set<string>();
    const todo = [...roots];
    for (let n = todo.pop(); n !== undefined; n = todo.pop()) {
      if (seen.has(n)) continue;
      seen.add(n);
      for (const p of byName.get(n) ?? []) {
        todo.push(...(p.dependencies ?? []).map((d) => d.name));
        for (const l of Object.values(p["optional-dependencies"] ?? {}))
          todo.push(...l.map((d) => d.name));
      }
    }
    return seen;
  };
  const prod = reach(prodRoots);
  const dev = reach(devRoots);
  const direct = new Set([...prodRoots, ...devRoots]);

  const out = new Collector(file);
  packages.forEach((p, i) => {
    if (isOwn(p)) return;
    const line = lines[i];
    const name = pep503(p.name);
    if (p.version === undefined) {
      out.finding(SEVERITY.unpinned, `${name} has no locked version`, line, name);
      return;
    }
    const hashes = [p.sdist?.hash, ...(p.wheels ?? []).map((w) => w.hash)].filter(
      (h) => h !== undefined,
    );
    out.add({
      ecosystem: "PyPI",
      name,
      version: p.version,
      line,
      integrity: hashes[0],
      direct: direct.has(p.name),
      dev: dev.has(p.name) && !prod.has(p.name),
    });
    const id = `${name}==${p.version}`;
    if ("git" in p.source)
      out.finding(
        SEVERITY.outsideRegistry,
        `${id} is installed from git (${p.source.git})`,
        line,
        name,
      );
    else if ("path" in p.source)
      out.finding(
        SEVERITY.local,
        `${id} is installed from a local file (${p.source.path})`,
        line,
        name,
      );
    else if ("url" in p.source)
      out.finding(
        SEVERITY.outsideRegistry,
        `${id} is installed from a URL outside an index (${p.source.url})`,
        line,
        name,
      );
    else if (hashes.length === 0)
      out.finding(SEVERITY.noIntegrity, `${id} has no hashes`, line, name);
  });
  return { file, format: "uv-lock", packages: out.packages, pinning: out.pinning };
}
