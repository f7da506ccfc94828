/**
 * The real `helm` (scripts/build-helm.sh) for the chart tests: lint and render
 * deploy/helm/mcp-warden. The same script caches cert-manager's CRDs beside it.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";

const run = promisify(execFile);

export const CHART = new URL("../../deploy/helm/mcp-warden", import.meta.url).pathname;

/**
 * Directory holding `helm` and `cert-manager-crds/`: `$MCP_WARDEN_HELM_BIN`, else the newest
 * `helm-*` directory of the build script's cache. Undefined when helm is not built.
 */
export function helmBinDir(): string | undefined {
  const complete = (dir: string) =>
    existsSync(join(dir, "helm")) && existsSync(join(dir, "cert-manager-crds"));
  const fromEnv = process.env.MCP_WARDEN_HELM_BIN;
  if (fromEnv !== undefined) return complete(fromEnv) ? fromEnv : undefined;
  const cache = process.env.MCP_WARDEN_CACHE ?? join(homedir(), ".cache", "mcp-warden");
  if (!existsSync(cache)) return undefined;
  return readdirSync(cache)
    .filter((d) => d.startsWith("helm-"))
    .sort()
    .reverse()
    .map((d) => join(cache, d))
    .find(complete);
}

/** Message for `{ skip }`; false when helm is there. */
export const SKIP_NO_HELM: string | false =
  helmBinDir() === undefined
    ? "helm chart tests skipped: helm is not built (run scripts/build-helm.sh)"
    : false;

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

let home: string | undefined;

/** Runs helm with the chart's directory as the working directory; never throws on exit status. */
export async function helm(args: readonly string[]): Promise<HelmResult> {
  const dir = helmBinDir();
  if (dir === undefined) throw new Error(String(SKIP_NO_HELM));
  // A home of its own: no user configuration or repositories leak in from the machine.
  home ??= mkdtempSync(join(tmpdir(), "mcp-warden-helm-home-"));
  try {
    const { stdout, stderr } = await run(join(dir, "helm"), [...args], {
      cwd: CHART,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: home,
        HELM_CACHE_HOME: join(home, "cache"),
        HELM_CONFIG_HOME: join(home, "config"),
        HELM_DATA_HOME: join(home, "data"),
      },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== "number") throw e;
    return { code: err.code, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

/** A Kubernetes object as the chart renders it. */
export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** The namespace the tests install into: the kustomize base's. */
export const RELEASE_NAMESPACE = "mcp-warden-system";

/** The Kubernetes version the test cluster runs (test/e2e/support/cluster.ts). */
export const KUBE_VERSION = "v1.34.4";

/**
 * `helm template` of the chart with `--set` values (`key=value`) and any other flags; the
 * rendered YAML and its objects. Throws with helm's message when rendering fails.
 */
export async function renderChart(
  set: readonly string[] = [],
  flags: readonly string[] = [],
): Promise<{ yaml: string; objects: RenderedObject[] }> {
  const r = await helm([
    "template",
    "mcp-warden",
    ".",
    "--namespace",
    RELEASE_NAMESPACE,
    "--kube-version",
    KUBE_VERSION,
    ...set.flatMap((s) => ["--set", s]),
    ...flags,
  ]);
  if (r.code !== 0) throw new Error(`helm template ${set.join(" ")} failed: ${r.stderr}`);
  return { yaml: r.stdout, objects: parseObjects(r.stdout) };
}

/** Every non-empty document of a YAML stream. */
export function parseObjects(yaml: string): RenderedObject[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as RenderedObject | null)
    .filter((o): o is RenderedObject => o !== null);
}
