/**
 * A release of the published filesystem server evaluated by the Action's own `run(inputs)`, as
 * its entry file calls it in a GitHub workflow run: a workspace with server.json (the tools the
 * release exposes, its permissions, the package to run when the image cannot be) and its
 * lockfile, an offline OSV database, and key signing. What it attaches is what the webhook reads.
 */
import { copyFile, cp, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import type { KeyObject } from "node:crypto";
import { join } from "node:path";
import { parse } from "yaml";
import { readInputs, type InputName } from "../../action/inputs.ts";
import { run, type OutputName } from "../../action/run.ts";
import { parsePredicate, type EvaluationPredicate } from "../../policies/evaluation/predicate.ts";
import { ROOT } from "./cli.ts";
import { installNpmServer, NPM_SERVERS } from "./mcp-servers.ts";

const FIXTURES = join(ROOT, "test", "fixtures");
/** The release evaluated: the filesystem server's version the fixtures record. */
export const RELEASE_VERSION = NPM_SERVERS.filesystem.version;
const COMMIT = "8f3c2a1b9d4e5f60718293a4b5c6d7e8f9012345";

export interface Released {
  failure?: string;
  outputs: Partial<Record<OutputName, string>>;
  predicate: EvaluationPredicate;
  summary: string;
}

/** An offline OSV database in `dir` with the npm and Debian advisories of the fixtures. */
export async function osvDatabase(dir: string): Promise<string> {
  const osv = join(dir, "osv");
  for (const eco of ["npm", "Debian"])
    await cp(join(FIXTURES, "osv", eco), join(osv, eco), { recursive: true });
  return osv;
}

/** The release workspace: server.json naming `repository` as its OCI package, and the lockfile. */
async function workspace(dir: string, repository: string): Promise<string> {
  const ws = await mkdtemp(join(dir, "release-"));
  await mkdir(join(ws, "data"));
  const manifest = JSON.parse(
    await readFile(join(FIXTURES, "mcp", "server-filesystem.server.json"), "utf8"),
  ) as {
    version: string;
    packages: { version: string; registryType: string; identifier: string }[];
    _meta: Record<string, unknown>;
  };
  manifest.version = RELEASE_VERSION;
  for (const p of manifest.packages) p.version = RELEASE_VERSION;
  const oci = manifest.packages.find((p) => p.registryType === "oci");
  if (oci) oci.identifier = repository;
  manifest._meta["dev.mcp-warden/tools"] = JSON.parse(
    await readFile(
      join(FIXTURES, "mcp", `server-filesystem@${RELEASE_VERSION}.tools.json`),
      "utf8",
    ),
  ) as unknown;
  // The package-run fallback, used only when the image cannot be run.
  manifest._meta["dev.mcp-warden/stdio"] = {
    command: process.execPath,
    args: [await installNpmServer(NPM_SERVERS.filesystem), join(ws, "data")],
  };
  await writeFile(join(ws, "server.json"), JSON.stringify(manifest, null, 2));
  await copyFile(
    join(FIXTURES, "lockfiles", `npm-filesystem-${RELEASE_VERSION}`, "package-lock.json"),
    join(ws, "package-lock.json"),
  );
  return ws;
}

/**
 * Runs the Action on `image` (`host/repo:tag`), signing with `key`; `dockerConfigPath` holds the
 * registry's credentials when it asks for them.
 */
export async function releaseWithAction(opts: {
  dir: string;
  image: string;
  key: KeyObject;
  osv: string;
  dockerConfigPath?: string;
}): Promise<Released> {
  const repository = opts.image.replace(/:[^:/]+$/, "");
  const ws = await workspace(opts.dir, repository);
  const actionYml = parse(await readFile(join(ROOT, "action.yml"), "utf8")) as {
    inputs: Record<string, { default?: string }>;
  };
  const given: Partial<Record<InputName, string>> = {
    image: opts.image,
    signing: "key",
    key: opts.key.export({ type: "pkcs8", format: "pem" }).toString(),
    "vulnerability-db": opts.osv,
    "min-trust-level": "L2",
    "tool-timeout": "60",
  };
  const inputs = readInputs((n) => given[n] ?? actionYml.inputs[n]?.default ?? "");
  const outputs: Partial<Record<OutputName, string>> = {};
  let summary = "";
  const { failure } = await run(inputs, {
    now: () => new Date(),
    tempDir: join(ws, "runner-temp"),
    workspace: ws,
    source: {
      repository: "https://github.com/acme/server-filesystem",
      commit: COMMIT,
      ref: `refs/tags/v${RELEASE_VERSION}`,
      workflow: `acme/server-filesystem/.github/workflows/release.yml@refs/tags/v${RELEASE_VERSION}`,
      runId: "4242",
      runAttempt: 1,
    },
    ...(opts.dockerConfigPath ? { dockerConfigPath: opts.dockerConfigPath } : {}),
    oidcAvailable: false,
    idToken: () => Promise.reject(new Error("no OIDC here")),
    evaluator: { name: "mcp-warden", version: "0.1.0" },
    reporter: {
      info: () => {},
      warning: () => {},
      error: () => {},
      setOutput: (n, value) => {
        outputs[n] = value;
      },
      summary: (markdown) => {
        summary += markdown;
        return Promise.resolve();
      },
    },
    env: {},
  });
  const predicate = parsePredicate(JSON.parse(await readFile(outputs.evaluation ?? "", "utf8")));
  return { ...(failure === undefined ? {} : { failure }), outputs, predicate, summary };
}
