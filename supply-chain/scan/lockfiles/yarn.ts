import yarnLockfile from "@yarnpkg/lockfile";
import { parseSyml } from "@yarnpkg/parsers";
import { compileSchema } from "../../../policies/schema-validator.ts";
import { errorMessage, type FieldProblem } from "../../../policies/errors.ts";
import type { Lockfile } from "../types.ts";
import { Collector, SEVERITY, at, invalid } from "./common.ts";

/** Entry headers (`"a@^1", a@^1.2:`) of a yarn lockfile: each descriptor with its line. */
function headerLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let line = 0;
  for (const raw of text.split("\n")) {
    line++;
    if (raw === "" || raw.startsWith(" ") || raw.startsWith("#") || !raw.trimEnd().endsWith(":"))
      continue;
    for (const d of splitDescriptors(raw.trimEnd().slice(0, -1))) if (!out.has(d)) out.set(d, line);
  }
  return out;
}

/** Yarn 1 quotes each descriptor, yarn 2+ the whole list. */
function splitDescriptors(header: string): string[] {
  return header
    .trim()
    .replace(/^"([^"]*)"$/, "$1")
    .split(/,\s*/)
    .map((d) => d.trim().replace(/^"(.*)"$/, "$1"));
}

/** `name@range` → name and range; the name of a scoped package starts with `@`. */
function splitDescriptor(d: string): { name: string; range: string } {
  const i = d.indexOf("@", 1);
  return i === -1 ? { name: d, range: "" } : { name: d.slice(0, i), range: d.slice(i + 1) };
}

function problemsAt(file: string, error: unknown): FieldProblem[] {
  const message = errorMessage(error);
  const line = /(?:line )?(\d+):\d+/.exec(message)?.[1] ?? /line (\d+)/i.exec(message)?.[1];
  return [{ path: line === undefined ? file : `${file}:${line}`, message }];
}

const isRegistryTarball = (url: string): boolean =>
  /^https?:\/\/[^/]+\/.*\/-\/[^/#]+\.tgz(#.*)?$/.test(url);

interface ClassicEntry {
  version: string;
  resolved?: string;
  integrity?: string;
}
const classicSchema = compileSchema<Record<string, ClassicEntry>>({
  type: "object",
  additionalProperties: {
    type: "object",
    required: ["version"],
    properties: {
      version: { type: "string" },
      resolved: { type: "string" },
      integrity: { type: "string" },
    },
  },
});

/**
 * Where @yarnpkg/lockfile's tokenizer would run past the end of `text`: a string without its
 * closing quote, or a comment without a line end. It then appends to a string until V8 gives up
 * (seconds and about a gigabyte for a truncated file), so such text never reaches it. Walks the
 * tokens as it does; stops, claiming nothing, at a character it would refuse anyway.
 */
function runawayToken(text: string): { line: number; message: string } | undefined {
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n" || c === "\r") {
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      line++;
    } else if (c === "#") {
      const end = text.indexOf("\n", i);
      if (end === -1) return { line, message: "a comment does not end the line" };
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      while (
        j < text.length &&
        !(text[j] === '"' && !(text[j - 1] === "\\" && text[j - 2] !== "\\"))
      )
        j++;
      if (j >= text.length) return { line, message: "a string has no closing quote" };
      for (let k = i; k < j; k++) if (text[k] === "\n") line++;
      i = j + 1;
    } else if (text.startsWith("true", i) || text.startsWith("false", i)) {
      i += text.startsWith("true", i) ? 4 : 5;
    } else if (/[a-zA-Z/-]/.test(c)) {
      while (i < text.length && !":, \n\r".includes(text[i]!)) i++;
    } else if (c === " " || c === ":" || c === "," || /[0-9]/.test(c)) {
      i++;
    } else {
      return undefined;
    }
  }
  return undefined;
}

/** yarn.lock of yarn 1 (`# yarn lockfile v1`). */
export function parseYarnClassic(file: string, text: string): Lockfile {
  const runaway = runawayToken(text);
  if (runaway) {
    const problem = { path: `${file}:${runaway.line}`, message: runaway.message };
    throw invalid(file, "not a yarn 1 lockfile", [problem]);
  }
  let data: unknown;
  try {
    data = yarnLockfile.parse(text).object;
  } catch (e) {
    throw invalid(file, "not a yarn 1 lockfile", problemsAt(file, e));
  }
  const problems = classicSchema.problems(data, "");
  if (problems.length > 0 || !classicSchema.is(data))
    throw invalid(
      file,
      "not a yarn 1 lockfile",
      problems.map((p) => ({ path: at(file, p.path), message: p.message })),
    );
  const lines = headerLines(text);
  const out = new Collector(file);
  const checked = new Set<string>();
  for (const [descriptor, entry] of Object.entries(data)) {
    const { name: installedAs, range } = splitDescriptor(descriptor);
    // Local folders and links are the project's own source.
    if (/^(file|link|portal|workspace):/.test(range) && entry.resolved === undefined) continue;
    // An alias `x@npm:real@^1` installs `real`.
    const name =
      range.startsWith("npm:") && range.includes("@", 5)
        ? splitDescriptor(range.slice(4)).name
        : installedAs;
    const line = lines.get(descriptor);
    out.add({ ecosystem: "npm", name, version: entry.version, line, integrity: entry.integrity });
    const id = `${name}@${entry.version}`;
    // Several descriptors share one entry: check it once.
    if (checked.has(id)) continue;
    checked.add(id);
    out.npmSource(
      entry,
      { id, name, line },
      { isRegistry: isRegistryTarball, isGit: /^git|codeload\.github\.com|\.git(#|$)/ },
    );
  }
  return { file, format: "yarn-classic", packages: out.packages, pinning: out.pinning };
}

interface BerryEntry {
  version: string;
  resolution: string;
  checksum?: string;
  conditions?: string;
  dependencies?: Record<string, string>;
}
const berrySchema = compileSchema<
  { __metadata: { version: string | number } } & Record<string, unknown>
>({
  type: "object",
  required: ["__metadata"],
  properties: {
    __metadata: {
      type: "object",
      required: ["version"],
      properties: { version: { type: ["string", "number"] } },
    },
  },
});
const berryEntrySchema = compileSchema<BerryEntry>({
  type: "object",
  required: ["version", "resolution"],
  properties: {
    version: { type: "string" },
    resolution: { type: "string" },
    checksum: { type: "string" },
    conditions: { type: "string" },
    dependencies: { type: "object", additionalProperties: { type: "string" } },
  },
});

/** yarn.lock of yarn 2 and later (a `__metadata` entry, YAML-like syntax). */
export function parseYarnBerry(file: string, text: string): Lockfile {
  let data: unknown;
  try {
    data = parseSyml(text);
  } catch (e) {
    throw invalid(file, "not a yarn 2+ lockfile", problemsAt(file, e));
  }
  const problems = berrySchema.problems(data, "");
  if (problems.length > 0 || !berrySchema.is(data))
    throw invalid(
      file,
      "not a yarn 2+ lockfile",
      problems.map((p) => ({ path: at(file, p.path), message: p.message })),
    );
  const entries: [string, BerryEntry][] = [];
  const bad: FieldProblem[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (key === "__metadata") continue;
    if (berryEntrySchema.is(value)) entries.push([key, value]);
    else
      bad.push(
        ...berryEntrySchema
          .problems(value, JSON.stringify(key))
          .map((p) => ({ ...p, path: at(file, p.path) })),
      );
  }
  if (bad.length > 0) throw invalid(file, "not a yarn 2+ lockfile", bad);

  // Workspaces list their dependencies by descriptor; those entries are the direct ones.
  const byDescriptor = new Map<string, string>();
  for (const [key, entry] of entries)
    for (const d of splitDescriptors(key)) byDescriptor.set(d, entry.resolution);
  const direct = new Set<string>();
  for (const [, entry] of entries)
    if (splitDescriptor(entry.resolution).range.startsWith("workspace:"))
      for (const [n, range] of Object.entries(entry.dependencies ?? {})) {
        const r = byDescriptor.get(`${n}@${range}`);
        if (r !== undefined) direct.add(r);
      }

  const lines = headerLines(text);
  const out = new Collector(file);
  for (const [key, entry] of entries) {
    const { name, range: source } = splitDescriptor(entry.resolution);
    if (/^(workspace|link|portal):/.test(source)) continue;
    const line = lines.get(splitDescriptors(key)[0] ?? key);
    out.add({
      ecosystem: "npm",
      name,
      version: entry.version,
      line,
      integrity: entry.checksum,
      direct: direct.has(entry.resolution),
    });
    const id = `${name}@${entry.version}`;
    if (source.startsWith("npm:") || source.startsWith("patch:")) {
      // Packages for other platforms are never fetched, so yarn records no checksum for them.
      if (entry.checksum === undefined)
        out.finding(
          entry.conditions === undefined ? SEVERITY.noIntegrity : SEVERITY.local,
          `${id} has no checksum`,
          line,
          name,
        );
    } else if (source.startsWith("file:")) {
      out.finding(SEVERITY.local, `${id} is installed from a local file (${source})`, line, name);
    } else {
      out.finding(
        SEVERITY.outsideRegistry,
        `${id} is installed from outside a registry (${source})`,
        line,
        name,
      );
    }
  }
  return { file, format: "yarn-berry", packages: out.packages, pinning: out.pinning };
}
