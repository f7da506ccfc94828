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
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse, stringify } from "yaml";
import { chooseImageRuntime } from "../../supply-chain/mcp/image-runtime.ts";
import { RegistryClient } from "../../supply-chain/registry/client.ts";
import { runCli, ROOT } from "../support/cli.ts";
import { NPM_SERVERS } from "../support/mcp-servers.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../support/registry-server.ts";
import { osvDatabase, releaseWithAction, RELEASE_VERSION as VERSION } from "../support/release.ts";
import {
  pushPackageImage,
  pushServerImage,
  serverImagesUnavailable,
  type ServerImage,
} from "../support/server-images.ts";

const unavailable =
  SKIP_NO_REGISTRY ||
  (await serverImagesUnavailable()) ||
  ((await chooseImageRuntime()).runtime === undefined && "no container runtime works here");

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
      osv = await osvDatabase(dir);
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

    const release = (image: ServerImage) =>
      releaseWithAction({ dir, image: image.ref, key: key.privateKey, osv });

    function verify(image: ServerImage, extra: string[] = []) {
      const pinned = `${registry.host}/acme/server-filesystem@${image.digest}`;
      return runCli(["verify", pinned, "--policy", defaultPolicyWithKey, ...extra]);
    }

    test("a runnable image is evaluated from itself and reaches L3, which the default policy admits", async () => {
      const r = await release(runnable);
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
      const r = await release(packageOnly);
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
