import { compileSchema } from "../../../policies/schema-validator.ts";
import type { Lockfile } from "../types.ts";
import { Collector, SEVERITY, at, invalid, pep503, tomlTableLines } from "./common.ts";
import { parseToml } from "./toml.ts";

type Files = { file?: string; hash?: string }[];
interface PoetryPackage {
  name: string;
  version: string;
  files?: Files;
  groups?: string[];
  category?: string;
  source?: { type?: string; url?: string; reference?: string };
}
interface PoetryLock {
  package?: PoetryPackage[];
  metadata: { "lock-version": string; files?: Record<string, Files> };
}

const files = {
  type: "array",
  items: { type: "object", properties: { file: { type: "string" }, hash: { type: "string" } } },
} as const;
const poetrySchema = compileSchema<PoetryLock>({
  type: "object",
  required: ["metadata"],
  properties: {
    package: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "version"],
        properties: {
          name: { type: "string" },
          version: { type: "string" },
          files,
          groups: { type: "array", items: { type: "string" } },
          category: { type: "string" },
          source: {
            type: "object",
            properties: {
              type: { type: "string" },
              url: { type: "string" },
              reference: { type: "string" },
            },
          },
        },
      },
    },
    metadata: {
      type: "object",
      required: ["lock-version"],
      properties: {
        // Poetry 1.x writes 1.1 and 2.0, Poetry 2 writes 2.1.
        "lock-version": { type: "string", pattern: "^[12]\\.[0-9]+$" },
        files: { type: "object", additionalProperties: files },
      },
    },
  },
});

/** poetry.lock of Poetry 1.x and 2.x. */
export function parsePoetryLock(file: string, text: string): Lockfile {
  const data = parseToml(file, text);
  const problems = poetrySchema.problems(data, "");
  if (problems.length > 0 || !poetrySchema.is(data))
    throw invalid(
      file,
      "not a Poetry lockfile",
      problems.map((p) => ({ path: at(file, p.path), message: p.message })),
    );
  const lines = tomlTableLines(text, "package");
  const out = new Collector(file);
  (data.package ?? []).forEach((p, i) => {
    const source = p.source?.type;
    if (source === "directory") return; // the project's own source
    const line = lines[i];
    const name = pep503(p.name);
    // Lock format 1.1 keeps the hashes in `[metadata.files]`.
    const hashes = (p.files ?? data.metadata.files?.[p.name] ?? []).flatMap((f) =>
      f.hash ? [f.hash] : [],
    );
    // Poetry 2 lists the groups needing a package; Poetry 1 a category.
    const dev =
      p.groups !== undefined
        ? !p.groups.includes("main")
        : p.category !== undefined
          ? p.category === "dev"
          : undefined;
    out.add({ ecosystem: "PyPI", name, version: p.version, line, integrity: hashes[0], dev });
    const id = `${name}==${p.version}`;
    if (source === "git")
      out.finding(
        SEVERITY.outsideRegistry,
        `${id} is installed from git (${p.source?.url ?? "?"})`,
        line,
        name,
      );
    else if (source === "file")
      out.finding(
        SEVERITY.local,
        `${id} is installed from a local file (${p.source?.url ?? "?"})`,
        line,
        name,
      );
    else if (source === "url")
      out.finding(
        SEVERITY.outsideRegistry,
        `${id} is installed from a URL outside an index (${p.source?.url ?? "?"})`,
        line,
        name,
      );
    else if (hashes.length === 0)
      out.finding(SEVERITY.noIntegrity, `${id} has no hashes`, line, name);
  });
  return { file, format: "poetry-lock", packages: out.packages, pinning: out.pinning };
}
