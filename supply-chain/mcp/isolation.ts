import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findExecutable } from "./find-executable.ts";

/**
 * How a server under evaluation is kept apart from this process. It runs as this process's user,
 * which could read this process's and its ancestors' initial environment in `/proc/<pid>/environ`
 * (a GitHub Action's inputs and tokens live there). So on Linux, where util-linux `unshare` can do
 * it, the server starts in user, PID and mount namespaces of its own with a fresh `/proc`: no
 * process outside the namespace is visible to it. Inside, it runs as an ordinary user without
 * capabilities, so it cannot unmount that `/proc`. It also gets a fresh, empty HOME rather than
 * this process's, unless its environment sets one. Files elsewhere stay readable as before (the
 * filesystem is shared): this is a best effort against the environment of the runner, not a
 * sandbox.
 */

/**
 * `auto`: namespaces when this machine allows them (see {@link namespaceSupport}), otherwise
 * without; `required`: fail when it does not; `off`: neither namespaces nor a fresh HOME.
 */
export type Isolation = "auto" | "required" | "off";

/** How the server under evaluation was kept apart from this process. */
export interface IsolationReport {
  /** It ran in user, PID and mount namespaces of its own, with a `/proc` of its own. */
  namespaces: boolean;
  /** Why it did not, when it did not. */
  reason?: string;
  /** `fresh`: an empty directory, removed afterwards; `manifest`: the one its env sets; `runner`: this process's. */
  home: "fresh" | "manifest" | "runner";
}

/** A program and its arguments that run `-- <command> <args>` in namespaces of their own. */
export interface NamespaceWrapper {
  command: string;
  args: string[];
}

export type NamespaceSupport =
  ({ available: true } & NamespaceWrapper) | { available: false; reason: string };

/** What isolation a listing gets, or why it must not start at all. */
export type IsolationPlan =
  { report: IsolationReport; wrapper?: NamespaceWrapper } | { refused: string };

const PROBE_TIMEOUT_MS = 3000;
/** The user a server runs as inside its namespace when this process runs as root. */
const NOBODY = 65534;

let probed: Promise<NamespaceSupport> | undefined;

/**
 * Whether servers can run in namespaces of their own here: Linux, `unshare` on PATH with
 * `--map-user`/`--map-group` (util-linux 2.36 or later), and user namespaces allowed. Tried once
 * per process by running `unshare … true`; the answer is kept.
 */
export function namespaceSupport(): Promise<NamespaceSupport> {
  probed ??= probeNamespaces();
  return probed;
}

/** The isolation `mode` asks for, given whether the server's env sets its own HOME. */
export async function planIsolation(mode: Isolation, ownHome: boolean): Promise<IsolationPlan> {
  if (mode === "off")
    return {
      report: {
        namespaces: false,
        reason: "isolation is off",
        home: ownHome ? "manifest" : "runner",
      },
    };
  const support = await namespaceSupport();
  const home = ownHome ? "manifest" : "fresh";
  if (support.available)
    return {
      report: { namespaces: true, home },
      wrapper: { command: support.command, args: support.args },
    };
  if (mode === "required") return { refused: support.reason };
  return { report: { namespaces: false, reason: support.reason, home } };
}

/** The environment a server under evaluation starts with: PATH and HOME, then its own. */
export function serverEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ["PATH", "HOME"]) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * Runs `use` with the HOME the report asks for: a fresh empty directory, removed afterwards, for
 * `fresh`; none (the caller's choice stands) otherwise.
 */
export async function withServerHome<T>(
  home: IsolationReport["home"],
  use: (freshHome: string | undefined) => Promise<T>,
): Promise<T> {
  if (home !== "fresh") return use(undefined);
  const dir = mkdtempSync(join(tmpdir(), "mcp-warden-home-"));
  try {
    return await use(dir);
  } finally {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // A server that made its HOME unremovable leaves that temp dir behind.
    }
  }
}

async function probeNamespaces(): Promise<NamespaceSupport> {
  if (process.platform !== "linux") {
    return { available: false, reason: `namespaces are Linux-only (this is ${process.platform})` };
  }
  const path = process.env.PATH;
  const command = path === undefined ? undefined : findExecutable("unshare", path);
  if (command === undefined) {
    return { available: false, reason: "util-linux `unshare` was not found on PATH" };
  }
  // As root inside, the server would hold every capability of its namespaces and could unmount
  // its /proc; as another user it holds none once it is executed.
  const root = process.getuid?.() === 0;
  const uid = root ? NOBODY : (process.getuid?.() ?? NOBODY);
  const gid = root ? NOBODY : (process.getgid?.() ?? NOBODY);
  const args = [
    "--user",
    `--map-user=${uid}`,
    `--map-group=${gid}`,
    "--pid",
    "--fork",
    "--mount-proc",
    "--kill-child",
  ];
  return new Promise((done) => {
    execFile(
      command,
      [...args, "--", "true"],
      { env: { PATH: path ?? "" }, timeout: PROBE_TIMEOUT_MS, killSignal: "SIGKILL" },
      (error, _stdout, stderr) => {
        if (error === null) {
          done({ available: true, command, args });
          return;
        }
        const said = stderr.trim().split("\n").slice(-1)[0] ?? "";
        const why =
          error.killed === true
            ? `did not finish within ${PROBE_TIMEOUT_MS} ms`
            : said !== ""
              ? said
              : error.message;
        done({
          available: false,
          reason: `\`${command} ${args.join(" ")} -- true\` failed: ${why}`,
        });
      },
    );
  });
}
