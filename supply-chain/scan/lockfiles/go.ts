import type { FieldProblem } from "../../../policies/errors.ts";
import type { Lockfile } from "../types.ts";
import { Collector, SEVERITY, invalid } from "./common.ts";

interface Requirement {
  path: string;
  version: string;
  line: number;
  indirect: boolean;
}
interface Replacement {
  path: string;
  /** Replaces only this version when given. */
  version?: string;
  /** A module, or a local folder when `version` is undefined. */
  to: { path: string; version?: string };
}

const TOKEN = /"(?:[^"\\]|\\.)*"|`[^`]*`|\S+/g;
const unquote = (t: string): string =>
  t.startsWith('"') ? String(JSON.parse(t)) : t.replace(/^`|`$/g, "");
const VERSION = /^v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+incompatible)?$/;
/** Verbs of go.mod (go.dev/ref/mod#go-mod-file-grammar). */
const VERBS = new Set([
  "module",
  "go",
  "toolchain",
  "godebug",
  "require",
  "exclude",
  "replace",
  "retract",
  "tool",
  "ignore",
]);

interface GoMod {
  requires: Requirement[];
  replaces: Replacement[];
}

function parseGoMod(file: string, text: string): GoMod {
  const requires: Requirement[] = [];
  const replaces: Replacement[] = [];
  const problems: FieldProblem[] = [];
  let block: string | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const comment = raw.indexOf("//");
    const indirect = comment !== -1 && /^\/\/\s*indirect\b/.test(raw.slice(comment));
    const tokens: string[] = (comment === -1 ? raw : raw.slice(0, comment)).match(TOKEN) ?? [];
    if (tokens.length === 0) return;
    const bad = (message: string): void => {
      problems.push({ path: `${file}:${line}`, message });
    };
    let verb = block;
    let args = tokens;
    if (block === undefined) {
      verb = tokens[0];
      args = tokens.slice(1);
      if (verb === undefined || !VERBS.has(verb))
        return bad(`unknown directive ${JSON.stringify(tokens[0])}`);
      if (args[0] === "(" && args.length === 1) {
        block = verb;
        return;
      }
    } else if (tokens[0] === ")" && tokens.length === 1) {
      block = undefined;
      return;
    }
    if (verb === "require") {
      const [path, version] = args.map(unquote);
      if (
        args.length !== 2 ||
        path === undefined ||
        version === undefined ||
        !VERSION.test(version)
      )
        return bad("require needs a module path and a version");
      requires.push({ path, version, line, indirect });
    } else if (verb === "replace") {
      const arrow = args.indexOf("=>");
      const from = args.slice(0, arrow).map(unquote);
      const to = args.slice(arrow + 1).map(unquote);
      const [fromPath, fromVersion] = from;
      const [toPath, toVersion] = to;
      if (
        arrow === -1 ||
        fromPath === undefined ||
        from.length > 2 ||
        toPath === undefined ||
        to.length > 2
      )
        return bad("replace needs `module [version] => target [version]`");
      replaces.push({
        path: fromPath,
        ...(fromVersion === undefined ? {} : { version: fromVersion }),
        to: toVersion === undefined ? { path: toPath } : { path: toPath, version: toVersion },
      });
    }
  });
  if (block !== undefined)
    problems.push({
      path: `${file}:${text.split("\n").length}`,
      message: `${block} block is not closed`,
    });
  if (problems.length > 0) throw invalid(file, "not a go.mod file", problems);
  return { requires, replaces };
}

interface SumLine {
  path: string;
  version: string;
  hash: string;
  line: number;
}

/** go.sum lines `module version h1:hash`; `version/go.mod` lines hash only the module's go.mod. */
function parseGoSumLines(file: string, text: string): { modules: SumLine[]; goMods: SumLine[] } {
  const modules: SumLine[] = [];
  const goMods: SumLine[] = [];
  const problems: FieldProblem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields.length === 1 && fields[0] === "") return;
    const [path, version, hash] = fields;
    if (
      fields.length !== 3 ||
      path === undefined ||
      version === undefined ||
      hash === undefined ||
      !/^h\d+:/.test(hash)
    ) {
      problems.push({ path: `${file}:${i + 1}`, message: "must be `module version h1:hash`" });
      return;
    }
    const entry = { path, version: version.replace(/\/go\.mod$/, ""), hash, line: i + 1 };
    (version.endsWith("/go.mod") ? goMods : modules).push(entry);
  });
  if (problems.length > 0) throw invalid(file, "not a go.sum file", problems);
  return { modules, goMods };
}

/** go.sum alone: the modules whose content it hashes (those the build downloaded). */
export function parseGoSum(file: string, text: string): Lockfile {
  const out = new Collector(file);
  for (const m of parseGoSumLines(file, text).modules)
    out.add({ ecosystem: "Go", name: m.path, version: m.version, line: m.line, integrity: m.hash });
  return { file, format: "go-sum", packages: out.packages, pinning: [] };
}

/**
 * go.mod with its go.sum: the required modules (after `replace`), each checked for a go.sum hash.
 * Without a go.sum text every required module is reported unhashed.
 */
export function parseGoModule(
  goModFile: string,
  goModText: string,
  goSumText: string | undefined,
): Lockfile {
  const { requires, replaces } = parseGoMod(goModFile, goModText);
  const sumFile = goModFile.replace(/go\.mod$/, "go.sum");
  const sums = goSumText === undefined ? undefined : parseGoSumLines(sumFile, goSumText);
  const moduleHash = new Map<string, string>();
  const hashed = new Set<string>();
  for (const m of sums?.modules ?? []) {
    moduleHash.set(`${m.path}@${m.version}`, m.hash);
    hashed.add(`${m.path}@${m.version}`);
  }
  for (const m of sums?.goMods ?? []) hashed.add(`${m.path}@${m.version}`);

  const out = new Collector(goModFile);
  if (sums === undefined && requires.length > 0)
    out.finding(
      SEVERITY.noIntegrity,
      `no go.sum next to ${goModFile}: no module is checked against a hash`,
    );
  for (const r of requires) {
    const rep =
      replaces.find((x) => x.path === r.path && x.version === r.version) ??
      replaces.find((x) => x.path === r.path && x.version === undefined);
    // A folder replacement builds the project's own source.
    if (rep !== undefined && rep.to.version === undefined) continue;
    const path = rep?.to.path ?? r.path;
    const version = rep?.to.version ?? r.version;
    const key = `${path}@${version}`;
    out.add({
      ecosystem: "Go",
      name: path,
      version,
      line: r.line,
      integrity: moduleHash.get(key),
      direct: !r.indirect,
    });
    // go.mod-only lines suffice for modules the build never downloads; no line at all means Go
    // would fetch and trust whatever the proxy serves.
    if (sums !== undefined && !hashed.has(key))
      out.finding(SEVERITY.noIntegrity, `${key} has no h1: hash in ${sumFile}`, r.line, path);
  }
  return { file: goModFile, format: "go-mod", packages: out.packages, pinning: out.pinning };
}
