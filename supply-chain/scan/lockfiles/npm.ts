import { compileSchema } from "../../../policies/schema-validator.ts";
import { fieldPath } from "../../../policies/field-path.ts";
import { errorMessage, type FieldProblem } from "../../../policies/errors.ts";
import type { Lockfile } from "../types.ts";
import { isRecord } from "../../../policies/guards.ts";
import { Collector, LineIndex, at, invalid } from "./common.ts";

interface NpmEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  inBundle?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

interface PackageLock {
  lockfileVersion: 2 | 3;
  packages: Record<string, NpmEntry>;
}

const depMap = { type: "object", additionalProperties: { type: "string" } } as const;
const packageLockSchema = compileSchema<PackageLock>({
  type: "object",
  required: ["lockfileVersion", "packages"],
  properties: {
    lockfileVersion: { enum: [2, 3] },
    packages: {
      type: "object",
      additionalProperties: {
        type: "object",
        properties: {
          name: { type: "string" },
          version: { type: "string" },
          resolved: { type: "string" },
          integrity: { type: "string" },
          link: { type: "boolean" },
          dev: { type: "boolean" },
          inBundle: { type: "boolean" },
          dependencies: depMap,
          devDependencies: depMap,
          optionalDependencies: depMap,
          peerDependencies: depMap,
        },
      },
    },
  },
});

const NODE_MODULES = "node_modules/";

/** Offsets of every `"key": {` that starts a line, in order (npm writes one key per line). */
function objectKeyOffsets(text: string): { key: string; offset: number }[] {
  const out: { key: string; offset: number }[] = [];
  const re = /^[ \t]*("(?:[^"\\\n]|\\.)*")[ \t]*:[ \t]*\{/gm;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const raw = m[1];
    if (raw === undefined) continue;
    // Keys are JSON strings; only those with escapes need the full parser.
    out.push({
      key: raw.includes("\\") ? String(JSON.parse(raw)) : raw.slice(1, -1),
      offset: m.index,
    });
  }
  return out;
}

function dependencyNames(entry: NpmEntry): Set<string> {
  return new Set([
    ...Object.keys(entry.dependencies ?? {}),
    ...Object.keys(entry.devDependencies ?? {}),
    ...Object.keys(entry.optionalDependencies ?? {}),
    ...Object.keys(entry.peerDependencies ?? {}),
  ]);
}

/** A registry tarball (`…/name/-/name-1.0.0.tgz`), the only source a name and version identify. */
function isRegistryTarball(resolved: string): boolean {
  return /^https?:\/\/[^/]+\/.*\/-\/[^/]+\.tgz$/.test(resolved);
}

/** package-lock.json and npm-shrinkwrap.json, lockfileVersion 2 and 3 (npm 7 and later). */
export function parsePackageLock(file: string, text: string): Lockfile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const message = errorMessage(e);
    const pos = /position (\d+)/.exec(message)?.[1];
    const where = pos === undefined ? file : `${file}:${new LineIndex(text).lineOf(Number(pos))}`;
    throw invalid(file, "not valid JSON", [{ path: where, message }]);
  }
  if (isRecord(doc) && typeof doc.lockfileVersion === "number" && doc.lockfileVersion < 2)
    throw invalid(file, `lockfileVersion ${doc.lockfileVersion} is not supported`, [
      {
        path: at(file, "lockfileVersion"),
        message: "must be 2 or 3: regenerate the lockfile with npm 7 or later",
      },
    ]);
  const problems = packageLockSchema.problems(doc, "");
  if (problems.length > 0 || !packageLockSchema.is(doc))
    throw invalid(
      file,
      "not a package-lock (lockfileVersion 2 or 3)",
      problems.map((p) => ({ path: at(file, p.path), message: p.message })),
    );

  const entries = Object.entries(doc.packages);
  const missing: FieldProblem[] = [];
  for (const [key, entry] of entries)
    if (key.includes(NODE_MODULES) && entry.link !== true && entry.version === undefined)
      missing.push({
        path: at(file, fieldPath("", "packages", key, "version")),
        message: "is required",
      });
  if (missing.length > 0) throw invalid(file, "packages without a version", missing);

  // Direct dependencies are those the root and the workspace folders (entries outside
  // node_modules) declare, installed right under them or hoisted to the root.
  const declared = new Map<string, Set<string>>();
  const anyWorkspace = new Set<string>();
  for (const [key, entry] of entries) {
    if (key.includes(NODE_MODULES)) continue;
    const names = dependencyNames(entry);
    declared.set(key, names);
    for (const n of names) anyWorkspace.add(n);
  }

  const offsets = objectKeyOffsets(text);
  const lines = new LineIndex(text);
  let cursor = 0;
  const lineOf = (key: string): number | undefined => {
    for (let i = cursor; i < offsets.length; i++) {
      const o = offsets[i];
      if (o !== undefined && o.key === key) {
        cursor = i + 1;
        return lines.lineOf(o.offset);
      }
    }
    return undefined;
  };

  const out = new Collector(file);
  for (const [key, entry] of entries) {
    const line = lineOf(key);
    const cut = key.lastIndexOf(NODE_MODULES);
    // The root, workspace folders and `file:` folders are the project's own source; links point
    // at them and carry no version of their own.
    if (cut === -1 || entry.link === true || entry.version === undefined) continue;
    const installedAs = key.slice(cut + NODE_MODULES.length);
    const name = entry.name ?? installedAs;
    const parent = key.slice(0, cut).replace(/\/$/, "");
    const direct = (parent === "" ? anyWorkspace : declared.get(parent))?.has(installedAs) ?? false;
    out.add({
      ecosystem: "npm",
      name,
      version: entry.version,
      line,
      integrity: entry.integrity,
      direct,
      dev: entry.dev === true,
    });
    // Bundled packages come inside their parent's tarball, covered by its integrity.
    if (entry.inBundle === true) continue;
    const id = `${name}@${entry.version}`;
    out.npmSource(
      entry,
      { id, name, line },
      { isRegistry: isRegistryTarball, isGit: /^git\+|^git:|^github:/ },
    );
  }
  return { file, format: "package-lock", packages: out.packages, pinning: out.pinning };
}
