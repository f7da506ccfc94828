/**
 * The Action reaches L3 only on an image that runs: `run(inputs)` on a real runnable image in the
 * real registry (Debian 12's glibc unpacked with `dpkg -x`, the real Node binary, the published
 * filesystem server from npm) inventories the image, lists its tools by running its own
 * entrypoint (runc or unshare), signs it and attaches the evaluation, which `mcp-warden verify`
 * admits under the default policy's `minTrustLevel: L3`. The same release with an image that holds
 * only the package files (no runtime, nothing to run) is listed from the package and stays at L2,
 * and says why.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse, stringify } from "yaml";
import { readInputs, type InputName } from "../../action/inputs.ts";
import { run, type OutputName } from "../../action/run.ts";
import { parsePredicate, type EvaluationPredicate } from "../../policies/evaluation/predicate.ts";
import { chooseImageRuntime } from "../../supply-chain/mcp/image-runtime.ts";
import { RegistryClient } from "../../supply-chain/registry/client.ts";
import { runCli, ROOT } from "../support/cli.ts";
import { installNpmServer, NPM_SERVERS } from "../support/mcp-servers.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../support/registry-server.ts";
import {
  pushPackageImage,
  pushServerImage,
  serverImagesUnavailable,
  type ServerImage,
} from "../support/server-images.ts";

const FIXTURES = join(ROOT, "test", "fixtures");
const VERSION = NPM_SERVERS.filesystem.version;
const COMMIT = "8f3c2a1b9d4e5f60718293a4b5c6d7e8f9012345";
const WORKFLOW_REF = `acme/server-filesystem/.github/workflows/release.yml@refs/tags/v${VERSION}`;
const actionYml = parse(await readFile(join(ROOT, "action.yml"), "utf8")) as {
  inputs: Record<string, { default?: string }>;
};
const unavailable =
  SKIP_NO_REGISTRY ||
  (await serverImagesUnavailable()) ||
  ((await chooseImageRuntime()).runtime === undefined && "no container runtime works here");

interface Released {
  failure?: string;
  outputs: Partial<Record<OutputName, string>>;
  predicate: EvaluationPredicate;
  summary: string;
}

describe(
  "the Action's trust level rests on the image it signs",
  { skip: unavailable, timeout: 600_000 },
  () => {
    let registry: RegistryServer;
    let dir: string;
    let osv: string;
    let defaultPolicyWithKey: string;
    let runnable: ServerImage;
    let packageOnly: ServerImage;
    const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const client = new RegistryClient();

    before(async () => {
      registry = await startRegistry();
      dir = await mkdtemp(join(tmpdir(), "mcp-warden-action-l3-"));
      osv = join(dir, "osv");
      for (const eco of ["npm", "Debian"])
        await cp(join(FIXTURES, "osv", eco), join(osv, eco), { recursive: true });
      // The default policy as shipped (minTrustLevel L3), trusting the release key.
      const policy = parse(await readFile(join(ROOT, "policies", "default.yaml"), "utf8")) as {
        spec: { images: { trustedSigners: unknown[]; evaluation: { minTrustLevel: string } } };
      };
      assert.equal(policy.spec.images.evaluation.minTrustLevel, "L3");
      policy.spec.images.trustedSigners = [
        { key: { publicKey: key.publicKey.export({ type: "spki", format: "pem" }).toString() } },
      ];
      defaultPolicyWithKey = join(dir, "policy.yaml");
      await writeFile(defaultPolicyWithKey, stringify(policy));

      const repo = `${registry.host}/acme/server-filesystem`;
      // Both images hold the same install of the server; only one can run it.
      runnable = await pushServerImage(client, repo, VERSION, {
        npm: NPM_SERVERS.filesystem,
        args: ["/tmp"],
      });
      packageOnly = await pushPackageImage(client, repo, `${VERSION}-files`, {
        npm: NPM_SERVERS.filesystem,
      });
    });

    after(async () => {
      await registry?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** The release workspace: server.json (declared tools, permissions, stdio) and its lockfile. */
    async function workspace(name: string): Promise<string> {
      const ws = join(dir, name);
      await mkdir(join(ws, "data"), { recursive: true });
      const manifest = JSON.parse(
        await readFile(join(FIXTURES, "mcp", "server-filesystem.server.json"), "utf8"),
      ) as {
        version: string;
        packages: { version: string; registryType: string; identifier: string }[];
        _meta: Record<string, unknown>;
      };
      manifest.version = VERSION;
      for (const p of manifest.packages) p.version = VERSION;
      const oci = manifest.packages.find((p) => p.registryType === "oci");
      if (oci) oci.identifier = `${registry.host}/acme/server-filesystem`;
      manifest._meta["dev.mcp-warden/tools"] = JSON.parse(
        await readFile(join(FIXTURES, "mcp", `server-filesystem@${VERSION}.tools.json`), "utf8"),
      ) as unknown;
      // The package-run fallback, used only when the image cannot be run.
      manifest._meta["dev.mcp-warden/stdio"] = {
        command: process.execPath,
        args: [await installNpmServer(NPM_SERVERS.filesystem), join(ws, "data")],
      };
      await writeFile(join(ws, "server.json"), JSON.stringify(manifest, null, 2));
      await copyFile(
        join(FIXTURES, "lockfiles", `npm-filesystem-${VERSION}`, "package-lock.json"),
        join(ws, "package-lock.json"),
      );
      return ws;
    }

    /** `run(inputs)` as the entry file calls it, in a GitHub workflow run that names itself. */
    async function release(image: ServerImage, name: string): Promise<Released> {
      const ws = await workspace(name);
      const given: Partial<Record<InputName, string>> = {
        image: image.ref,
        signing: "key",
        key: key.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        "vulnerability-db": osv,
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
          ref: `refs/tags/v${VERSION}`,
          workflow: WORKFLOW_REF,
          runId: "4242",
          runAttempt: 1,
        },
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
      const predicate = parsePredicate(
        JSON.parse(await readFile(outputs.evaluation ?? "", "utf8")),
      );
      return { ...(failure === undefined ? {} : { failure }), outputs, predicate, summary };
    }

    function verify(image: ServerImage, extra: string[] = []) {
      const pinned = `${registry.host}/acme/server-filesystem@${image.digest}`;
      return runCli(["verify", pinned, "--policy", defaultPolicyWithKey, ...extra]);
    }

    test("a runnable image is evaluated from itself and reaches L3, which the default policy admits", async () => {
      const r = await release(runnable, "runnable");
      const { predicate } = r;
      assert.equal(r.failure, undefined);
      assert.equal(r.outputs.digest, runnable.digest);
      assert.equal(predicate.verdict, "pass", JSON.stringify(predicate.controls, null, 1));
      assert.equal(predicate.trustLevel, "L3", JSON.stringify(predicate.trustLevelCappedBy));
      assert.equal(r.outputs["trust-level"], "L3");
      // Nothing caps L3; only L4's own requirements (the signature proving the workflow) remain.
      const capped = predicate.trustLevelCappedBy ?? [];
      assert.deepEqual(
        capped.filter((c) => !c.startsWith("L4")),
        [],
        capped.join("\n"),
      );
      assert.ok(capped.length > 0, "L4 needs keyless signing, so the level is capped there");
      const evidence = (id: string) => predicate.controls.find((c) => c.id === id)?.evidence;
      assert.deepEqual(evidence("CD-01"), ["manifest", "image-run"]);
      assert.ok(evidence("SC-04")?.includes("image-inventory"), JSON.stringify(evidence("SC-04")));
      assert.ok(evidence("SC-05")?.includes("image-inventory"), JSON.stringify(evidence("SC-05")));
      for (const id of ["SC-04", "SC-05", "CD-01", "AI-03", "PR-01", "PR-02", "CD-02"])
        assert.equal(predicate.controls.find((c) => c.id === id)?.status, "pass", id);
      assert.ok(predicate.tools.some((t) => t.name === "read_file"));
      assert.doesNotMatch(r.summary, /L3 needs/);
      assert.match(r.outputs.signature ?? "", /^sha256:[a-f0-9]{64}$/);
      assert.match(r.outputs.attestation ?? "", /^sha256:[a-f0-9]{64}$/);

      // The webhook's verification under the default policy, and with image evidence required.
      const v = await verify(runnable);
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.match(v.stdout, /evaluation verified: verdict pass, trust level L3/);
      const strict = parse(await readFile(defaultPolicyWithKey, "utf8")) as {
        spec: { images: { evaluation: Record<string, unknown> } };
      };
      strict.spec.images.evaluation.requireImageEvidence = true;
      const strictFile = join(dir, "policy-image-evidence.yaml");
      await writeFile(strictFile, stringify(strict));
      const pinned = `${registry.host}/acme/server-filesystem@${runnable.digest}`;
      const withEvidence = await runCli(["verify", pinned, "--policy", strictFile]);
      assert.equal(withEvidence.code, 0, withEvidence.stdout + withEvidence.stderr);
    });

    test("the same release in an image with nothing to run stays at L2, says why, and the default policy denies it", async () => {
      const r = await release(packageOnly, "package-only");
      const { predicate } = r;
      assert.equal(r.failure, undefined, "min-trust-level L2 is met");
      assert.equal(predicate.verdict, "pass", JSON.stringify(predicate.controls, null, 1));
      assert.equal(predicate.trustLevel, "L2");
      assert.deepEqual(predicate.controls.find((c) => c.id === "CD-01")?.evidence, [
        "manifest",
        "package-run",
      ]);
      // The inventory was read: SC-04 and SC-05 pass on the image; only the run is missing.
      assert.equal(predicate.controls.find((c) => c.id === "SC-05")?.status, "pass");
      assert.ok(
        (predicate.trustLevelCappedBy ?? []).some((c) =>
          c.startsWith(
            "L3 needs the tools listed by running the image itself (CD-01 evidence image-run): they were listed by running the published package",
          ),
        ),
        JSON.stringify(predicate.trustLevelCappedBy),
      );
      assert.match(r.summary, /L3 needs the tools listed by running the image itself/);
      const v = await verify(packageOnly);
      assert.equal(v.code, 1, v.stdout + v.stderr);
      assert.match(v.stdout, /trust level L2 is below the required L3/);
    });
  },
);
