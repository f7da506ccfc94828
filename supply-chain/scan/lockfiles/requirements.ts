import type { FieldProblem } from "../../../policies/errors.ts";
import type { Lockfile } from "../types.ts";
import { Collector, SEVERITY, invalid, pep503 } from "./common.ts";

interface LogicalLine {
  line: number;
  text: string;
}

/** Joins `\` continuations and drops comments (` #` to the end, as pip does), keeping first lines. */
function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  const physical = text.split(/\r?\n/);
  for (let i = 0; i < physical.length; i++) {
    const start = i + 1;
    let joined = physical[i] ?? "";
    while (joined.endsWith("\\") && i + 1 < physical.length)
      joined = joined.slice(0, -1) + " " + (physical[++i] ?? "");
    if (joined.endsWith("\\")) joined = joined.slice(0, -1);
    const stripped = joined.replace(/(^|\s)#.*$/, "").trim();
    if (stripped !== "") out.push({ line: start, text: stripped });
  }
  return out;
}

const NAME = "[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?";
const REQUIREMENT = new RegExp(
  `^(${NAME})\\s*(?:\\[\\s*(?:${NAME}(?:\\s*,\\s*${NAME})*)?\\s*\\])?\\s*([^;@]*?)\\s*(?:;(.*))?$`,
);
const URL_REQUIREMENT = new RegExp(
  `^(${NAME})\\s*(?:\\[[^\\]]*\\])?\\s*@\\s*(\\S+)\\s*(?:;(.*))?$`,
);
const SPECIFIER = /^(~=|===|==|!=|<=|>=|<|>)\s*([A-Za-z0-9_.*+!-]+)$/;
/** Options pip accepts on a line of their own; they name no package. */
const FILE_OPTIONS =
  /^(-i|--index-url|--extra-index-url|--no-index|-f|--find-links|--trusted-host|--no-binary|--only-binary|--prefer-binary|--pre|--use-feature|--require-hashes|-r|--requirement|-c|--constraint)(\s|=|$)/;
const EDITABLE = /^(-e|--editable)(\s+|=)(.+)$/;
/** A VCS reference pinned to a full commit, the only immutable one. */
const COMMIT = /@[0-9a-f]{40}(#|$)/;

/** Splits `name==1 --hash=sha256:a --hash sha256:b` into the requirement and its hashes. */
function splitOptions(text: string): { requirement: string; hashes: string[]; rest: string } {
  const m = /\s--[a-z]/.exec(text);
  if (m === null) return { requirement: text, hashes: [], rest: "" };
  const options = text.slice(m.index).trim();
  const hashes = [...options.matchAll(/--hash(?:=|\s+)(\S+)/g)].map((h) => h[1] ?? "");
  const rest = options.replace(/--hash(?:=|\s+)\S+/g, "").trim();
  return { requirement: text.slice(0, m.index).trim(), hashes, rest };
}

/**
 * requirements.txt (and requirements-*.txt): what pip installs is pinned only by `==`; hashes by
 * `--hash`, and once one requirement has one, pip demands them on every requirement.
 */
export function parseRequirements(file: string, text: string): Lockfile {
  const out = new Collector(file);
  const problems: FieldProblem[] = [];
  const unhashed: { line: number; name: string }[] = [];
  let hashMode = false;
  let requirements = 0;
  for (const { line, text: entry } of logicalLines(text)) {
    const bad = (message: string): void => {
      problems.push({ path: `${file}:${line}`, message });
    };
    if (FILE_OPTIONS.test(entry)) {
      if (entry.startsWith("--require-hashes")) hashMode = true;
      continue;
    }
    const editable = EDITABLE.exec(entry);
    if (editable !== null) {
      const target = (editable[3] ?? "").trim();
      // An editable local folder is the project's own source.
      if (!/^[a-z+]+:\/\//i.test(target)) continue;
      const name = pep503(/#egg=([^&\s]+)/.exec(target)?.[1] ?? target);
      out.finding(SEVERITY.unpinned, `${name} is installed editable from ${target}`, line, name);
      continue;
    }
    if (entry.startsWith("-")) {
      bad(`unknown option ${entry.split(/[\s=]/)[0] ?? entry}`);
      continue;
    }
    const { requirement, hashes, rest } = splitOptions(entry);
    if (rest !== "" && !/^(--config-settings|--global-option|--install-option)\b/.test(rest)) {
      bad(`unknown option ${rest.split(/[\s=]/)[0] ?? rest}`);
      continue;
    }
    requirements++;
    if (hashes.length > 0) hashMode = true;

    // A URL or path: `name @ https://…`, `git+https://…#egg=name`, `./pkg.whl`.
    const url = URL_REQUIREMENT.exec(requirement);
    if (url !== null || /^[a-z+]+:\/\/|^\.{0,2}\//i.test(requirement)) {
      const target = url?.[2] ?? requirement;
      const name = pep503(url?.[1] ?? /#egg=([^&\s]+)/.exec(target)?.[1] ?? target);
      const vcs = /^(git|hg|svn|bzr)\+/.test(target);
      const severity = vcs && !COMMIT.test(target) ? SEVERITY.unpinned : SEVERITY.outsideRegistry;
      out.finding(
        severity,
        `${name} is installed from ${target}, not a pinned index version`,
        line,
        name,
      );
      if (hashes.length === 0) unhashed.push({ line, name });
      continue;
    }
    const m = REQUIREMENT.exec(requirement);
    if (m === null) {
      bad(`not a requirement: ${JSON.stringify(requirement)}`);
      continue;
    }
    const name = pep503(m[1] ?? "");
    const specifiers = (m[2] ?? "").replace(/^\((.*)\)$/, "$1").trim();
    const parsed =
      specifiers === "" ? [] : specifiers.split(",").map((s) => SPECIFIER.exec(s.trim()));
    if (parsed.some((s) => s === null)) {
      bad(`not a version specifier: ${JSON.stringify(specifiers)}`);
      continue;
    }
    if (hashes.length === 0) unhashed.push({ line, name });
    const only = parsed.length === 1 ? parsed[0] : undefined;
    const version = only?.[2];
    if (
      only &&
      version !== undefined &&
      (only[1] === "===" || (only[1] === "==" && !version.includes("*")))
    ) {
      out.add({ ecosystem: "PyPI", name, version, line, integrity: hashes[0] });
    } else {
      const what = specifiers === "" ? "has no version" : `is not pinned with == (${specifiers})`;
      out.finding(SEVERITY.unpinned, `${name} ${what}`, line, name);
    }
  }
  if (problems.length > 0) throw invalid(file, "not a pip requirements file", problems);

  if (hashMode) {
    for (const { line, name } of unhashed)
      out.finding(
        SEVERITY.noIntegrity,
        `${name} has no --hash, which pip requires once any requirement has one`,
        line,
        name,
      );
  } else if (requirements > 0) {
    out.finding(
      SEVERITY.noIntegrity,
      "no requirement has a --hash: pip installs whatever the index serves",
    );
  }
  return { file, format: "requirements", packages: out.packages, pinning: out.pinning };
}
