import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";

/**
 * Published MCP servers, installed once into a cache outside the repository (keyed by package and
 * version) and run over stdio by the live-listing tests. Versions are exact, so the recorded tool
 * lists in `test/fixtures/mcp/` stay comparable.
 */

const run = promisify(execFile);

export interface NpmServer {
  name: string;
  version: string;
  /**
   * Packages installed beside the server. Published servers ship no lockfile, so their caret
   * ranges resolve to today's releases; server-filesystem imports `zod` without declaring it and
   * gets zod 4 hoisted, with which its zod-to-json-schema emits empty input schemas. zod 3, what
   * it was built against, restores the tool list it had when released.
   */
  with: readonly string[];
}

export const NPM_SERVERS = {
  everything: { name: "@modelcontextprotocol/server-everything", version: "2026.8.31", with: [] },
  filesystemOld: {
    name: "@modelcontextprotocol/server-filesystem",
    version: "2025.3.28",
    with: ["zod@3.25.76"],
  },
  filesystem: {
    name: "@modelcontextprotocol/server-filesystem",
    version: "2025.7.1",
    with: ["zod@3.25.76"],
  },
} as const satisfies Record<string, NpmServer>;

export const PYPI_SERVERS = {
  time: { name: "mcp-server-time", version: "2026.10.19", module: "mcp_server_time" },
} as const;

export function cacheRoot(): string {
  const base = process.env.MCP_WARDEN_CACHE ?? join(homedir(), ".cache", "mcp-warden");
  return join(base, "mcp-servers");
}

/** `test/fixtures/mcp/<file name>`: `@scope/server-x@1.2.3` → `server-x@1.2.3`. */
export function fixtureName(name: string, version: string): string {
  return `${name.replace(/^@[^/]+\//, "")}@${version}`;
}

function cacheDir(name: string, version: string): string {
  return join(cacheRoot(), `${name.replace("/", "+")}@${version}`);
}

// Installs into a sibling temporary directory and renames it into place, so an interrupted
// install never leaves a half-filled cache entry behind.
async function installOnce(
  dir: string,
  marker: string,
  install: (tmp: string) => Promise<void>,
): Promise<void> {
  if (existsSync(join(dir, marker))) return;
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await install(tmp);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Installs an npm-published server (without running install scripts) and returns the path of its
 * entry script, to run with `process.execPath`.
 */
export async function installNpmServer(server: NpmServer): Promise<string> {
  const { name, version } = server;
  const dir = cacheDir(name, version);
  const pkgDir = join(dir, "node_modules", ...name.split("/"));
  await installOnce(dir, join("node_modules", ...name.split("/"), "package.json"), async (tmp) => {
    await run(
      "npm",
      [
        "install",
        "--prefix",
        tmp,
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--no-save",
        "--loglevel=error",
        `${name}@${version}`,
        ...server.with,
      ],
      { timeout: 300_000 },
    );
  });
  const manifest: unknown = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  const entry = binEntry(manifest);
  if (entry === undefined) throw new Error(`${name}@${version} declares no bin entry`);
  return join(pkgDir, entry);
}

/**
 * Installs a lockfile fixture's project exactly as its lockfile records it (`npm ci`, no install
 * scripts) and returns the folder holding its `node_modules`.
 */
export async function installNpmLockfile(fixtureDir: string): Promise<string> {
  const dir = cacheDir(`lockfile+${basename(fixtureDir)}`, "ci");
  await installOnce(dir, join("node_modules", ".package-lock.json"), async (tmp) => {
    for (const file of ["package.json", "package-lock.json"])
      copyFileSync(join(fixtureDir, file), join(tmp, file));
    await run(
      "npm",
      ["ci", "--prefix", tmp, "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
      { timeout: 300_000 },
    );
  });
  return dir;
}

function binEntry(manifest: unknown): string | undefined {
  if (typeof manifest !== "object" || manifest === null || !("bin" in manifest)) return undefined;
  const bin = manifest.bin;
  if (typeof bin === "string") return bin;
  if (typeof bin !== "object" || bin === null) return undefined;
  const first: unknown = Object.values(bin)[0];
  return typeof first === "string" ? first : undefined;
}

/**
 * Installs a PyPI-published server into its own virtual environment and returns the venv's python
 * with the module to run (`python -m <module>`). Throws when Python or the packages cannot be
 * installed; callers skip with the message.
 */
export async function installPypiServer(
  name: string,
  version: string,
  module: string,
): Promise<{ python: string; args: string[] }> {
  const dir = cacheDir(`pypi+${name}`, version);
  await installOnce(dir, "installed", async (tmp) => {
    await run("python3", ["-m", "venv", tmp], { timeout: 120_000 });
    await run(
      join(tmp, "bin", "pip"),
      ["install", "--quiet", "--disable-pip-version-check", `${name}==${version}`],
      { timeout: 300_000 },
    );
    await run("touch", [join(tmp, "installed")]);
  });
  // The venv's scripts record the directory they were created in; run the module through the
  // interpreter instead, which works from the renamed directory.
  return { python: join(dir, "bin", "python"), args: ["-m", module] };
}
