import { accessSync, constants, statSync } from "node:fs";
import { delimiter, resolve } from "node:path";

/**
 * Looks a command up as `execvp`, and so `spawn`, does: on PATH, or as a path from `cwd` when it
 * holds a slash. `error` says what `spawn` would fail with when nothing runnable is found.
 */
export function lookUpExecutable(
  command: string,
  path: string,
  cwd: string,
): { found?: string; error?: "ENOENT" | "EACCES" } {
  const candidates = command.includes("/")
    ? [resolve(cwd, command)]
    : path
        .split(delimiter)
        .filter((dir) => dir !== "")
        .map((dir) => resolve(cwd, dir, command));
  let error: "ENOENT" | "EACCES" = "ENOENT";
  for (const candidate of candidates) {
    const state = executableState(candidate);
    if (state === "yes") return { found: candidate };
    if (state === "not executable") error = "EACCES";
  }
  return { error };
}

/** Where `spawn` would find `command`, if anywhere. */
export function findExecutable(
  command: string,
  path: string,
  cwd = process.cwd(),
): string | undefined {
  return lookUpExecutable(command, path, cwd).found;
}

function executableState(path: string): "yes" | "not executable" | "missing" {
  try {
    if (!statSync(path).isFile()) return "missing";
  } catch {
    return "missing";
  }
  try {
    accessSync(path, constants.X_OK);
    return "yes";
  } catch {
    return "not executable";
  }
}
