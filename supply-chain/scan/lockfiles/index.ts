import { basename } from "node:path";
import { errorMessage, WardenError } from "../../../policies/errors.ts";
import { ScanError } from "../errors.ts";
import type { Lockfile, LockfileFormat } from "../types.ts";
import { invalid } from "./common.ts";
import { parseGoModule, parseGoSum } from "./go.ts";
import { parsePackageLock } from "./npm.ts";
import { parsePnpmLock } from "./pnpm.ts";
import { parsePoetryLock } from "./poetry.ts";
import { parseRequirements } from "./requirements.ts";
import { parseUvLock } from "./uv.ts";
import { parseYarnBerry, parseYarnClassic } from "./yarn.ts";

export { parseGoModule } from "./go.ts";

/** Basenames recognised as lockfiles; `requirements-dev.txt` and the like count as requirements.txt. */
export const LOCKFILE_NAMES: readonly string[] = [
  "package-lock.json",
  "npm-shrinkwrap.json",
  "pnpm-lock.yaml",
  "yarn.lock",
  "uv.lock",
  "poetry.lock",
  "requirements.txt",
  "go.mod",
  "go.sum",
];

const BY_NAME: Readonly<Record<string, LockfileFormat>> = {
  "package-lock.json": "package-lock",
  "npm-shrinkwrap.json": "package-lock",
  "pnpm-lock.yaml": "pnpm-lock",
  "uv.lock": "uv-lock",
  "poetry.lock": "poetry-lock",
  "go.mod": "go-mod",
  "go.sum": "go-sum",
};

/** The format of a lockfile from its basename; yarn's two formats from the content. */
export function lockfileFormatOf(file: string, text: string): LockfileFormat | undefined {
  const name = basename(file.replaceAll("\\", "/"));
  if (Object.hasOwn(BY_NAME, name)) return BY_NAME[name];
  if (/^requirements.*\.txt$/.test(name)) return "requirements";
  if (name !== "yarn.lock") return undefined;
  // Yarn 2+ always writes `__metadata`; yarn 1 a `# yarn lockfile v1` header and quoted values.
  if (/^__metadata:/m.test(text)) return "yarn-berry";
  if (/^# yarn lockfile v1\s*$/m.test(text) || /^ {2}version "/m.test(text)) return "yarn-classic";
  return undefined;
}

const PARSERS: Record<LockfileFormat, (file: string, text: string) => Lockfile> = {
  "package-lock": parsePackageLock,
  "pnpm-lock": parsePnpmLock,
  "yarn-classic": parseYarnClassic,
  "yarn-berry": parseYarnBerry,
  "uv-lock": parseUvLock,
  "poetry-lock": parsePoetryLock,
  requirements: parseRequirements,
  "go-mod": (file, text) => parseGoModule(file, text, undefined),
  "go-sum": parseGoSum,
};

/**
 * The packages a lockfile installs and its pinning findings (control SC-03). Pure: `file` names
 * the lockfile in results and errors and picks the format. Throws `ScanError`
 * `LOCKFILE_INVALID` for anything it cannot read. A go.mod read alone has no go.sum to check
 * against; use `parseGoModule` to give it one.
 */
export function parseLockfile(file: string, text: string): Lockfile {
  const format = lockfileFormatOf(file, text);
  if (format === undefined)
    throw invalid(file, "not a known lockfile", [
      {
        path: file,
        message:
          basename(file) === "yarn.lock"
            ? "neither a yarn 1 lockfile (# yarn lockfile v1) nor a yarn 2+ one (__metadata)"
            : `the name must be one of ${LOCKFILE_NAMES.join(", ")} (or requirements*.txt)`,
      },
    ]);
  try {
    return PARSERS[format](file, text);
  } catch (e) {
    if (e instanceof WardenError) throw e;
    // A shape no guard foresaw: still the caller's bad input, never a bare TypeError.
    const message = errorMessage(e);
    throw new ScanError("LOCKFILE_INVALID", `${file}: cannot be read (${message})`, {
      problems: [{ path: file, message }],
      cause: e,
    });
  }
}
