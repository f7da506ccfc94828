/** `mcp-warden verify` and `check --verify-images` as a user runs them, against a real registry. */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { stringify } from "yaml";
import { RegistryClient } from "../../supply-chain/registry/client.ts";
import { keySigner } from "../../supply-chain/sign/key-signer.ts";
import { attestEvaluation, signImage } from "../../supply-chain/sign/sign-image.ts";
import { runCli } from "../support/cli.ts";
import { compliantPodSpec, denyAll } from "../support/policies.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../support/registry-server.ts";
import { pushImage } from "../support/supply-chain.ts";
import { startSigstoreMock, type SigstoreMock } from "../support/sigstore-mock.ts";
import { startTufRepo } from "../support/tuf-repo.ts";
import { keylessSigning } from "../../supply-chain/sign/keyless-signer.ts";
import { validPredicate } from "../support/evaluation.ts";

describe(
  "mcp-warden verify and check --verify-images",
  { skip: SKIP_NO_REGISTRY, timeout: 120_000 },
  () => {
    let registry: RegistryServer;
    let dir: string;
    let policyFile: string;
    let signed: string;
    let unsigned: string;
    let packageOnly: string;
    let imageEvidencePolicy: (require: boolean) => Promise<string>;
    let now: string;

    before(async () => {
      registry = await startRegistry();
      const client = new RegistryClient();
      dir = await mkdtemp(join(tmpdir(), "mcp-warden-cli-verify-"));
      const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const predicate = validPredicate();
      now = new Date(Date.parse(predicate.time) + 3_600_000).toISOString();
      const repo = `${registry.host}/mcp/cli`;
      const a = await pushImage(client, repo, "signed", `cli-signed-${Date.now()}`);
      const b = await pushImage(client, repo, "unsigned", `cli-unsigned-${Date.now()}`);
      signed = `${repo}@${a.manifest.digest}`;
      unsigned = `${repo}@${b.manifest.digest}`;
      await signImage(client, signed, keySigner(key.privateKey), new Date(now));
      await attestEvaluation(client, signed, predicate, keySigner(key.privateKey), new Date(now));
      // An evaluation that examined no image: tools listed by running the package, no inventory.
      const c = await pushImage(client, repo, "package-only", `cli-package-only-${Date.now()}`);
      packageOnly = `${repo}@${c.manifest.digest}`;
      const withoutImage = {
        ...predicate,
        controls: predicate.controls
          .filter((x) => x.id !== "SC-04" && x.id !== "SC-05")
          .map((x) => ({
            ...x,
            evidence: (x.evidence ?? []).map((e) => (e === "image-run" ? "package-run" : e)),
          })),
        trustLevel: "L2" as const,
        // What the evaluator writes when it listed the package, not the image (test/action/image-trust-level.test.ts).
        trustLevelCappedBy: [
          "L3 needs the tools listed by running the image itself (CD-01 evidence image-run): they were listed by running the published package",
        ],
      };
      await signImage(client, packageOnly, keySigner(key.privateKey), new Date(now));
      await attestEvaluation(
        client,
        packageOnly,
        withoutImage,
        keySigner(key.privateKey),
        new Date(now),
      );
      const publicKey = key.publicKey.export({ type: "spki", format: "pem" }).toString();
      imageEvidencePolicy = async (require) => {
        const file = join(dir, `policy-image-evidence-${require}.yaml`);
        await writeFile(
          file,
          stringify({
            apiVersion: "mcp-warden.dev/v1alpha1",
            kind: "MCPWardenPolicy",
            metadata: { name: "image-evidence" },
            spec: {
              images: {
                trustedSigners: [{ key: { publicKey } }],
                evaluation: { minTrustLevel: "L2", maxAge: "720h", requireImageEvidence: require },
              },
            },
          }),
        );
        return file;
      };
      policyFile = join(dir, "policy.yaml");
      await writeFile(
        policyFile,
        stringify({
          apiVersion: "mcp-warden.dev/v1alpha1",
          kind: "MCPWardenPolicy",
          metadata: { name: "signed-only" },
          spec: {
            rules: { "*": "enforce", "credentials/no-secret-env": "warn" },
            images: {
              trustedSigners: [
                {
                  key: {
                    publicKey: key.publicKey.export({ type: "spki", format: "pem" }).toString(),
                  },
                },
              ],
              evaluation: { minTrustLevel: "L3", maxAge: "720h" },
            },
          },
        }),
      );
    });
    after(async () => {
      await registry?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test("verify: a signed and evaluated image passes and says what verified", async () => {
      const r = await runCli(["verify", signed, "--policy", policyFile, "--now", now]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /signature {2}verified, signed by key:sha256:[0-9a-f]{16}/);
      assert.match(r.stdout, /evaluation verified: verdict pass, trust level L3/);
      assert.match(r.stdout, /image evidence: its inventory read, its entrypoint run/);
      assert.match(r.stdout, /^PASS /m);
    });

    test("verify with requireImageEvidence: an evaluation that examined no image does not count", async () => {
      const strict = await imageEvidencePolicy(true);
      const denied = await runCli([
        "verify",
        packageOnly,
        "--policy",
        strict,
        "--now",
        now,
        "--format",
        "json",
      ]);
      assert.equal(denied.code, 1, denied.stdout + denied.stderr);
      const out = JSON.parse(denied.stdout) as {
        allowed: boolean;
        findings: { rule: string; message: string }[];
      };
      assert.equal(out.allowed, false);
      assert.deepEqual(
        out.findings.map((f) => f.rule),
        ["image/evaluated"],
      );
      assert.match(
        out.findings[0]?.message ?? "",
        /the policy requires image evidence \(requireImageEvidence\), and it read no image inventory \(no image-inventory evidence\) and did not list the tools by running the image \(no image-run evidence\)/,
      );
      // The evaluation that read the image and ran it passes the same policy.
      const examined = await runCli(["verify", signed, "--policy", strict, "--now", now]);
      assert.equal(examined.code, 0, examined.stdout + examined.stderr);
      // Without the requirement, the package-only evaluation counts at its own level (L2).
      const lenient = await imageEvidencePolicy(false);
      const admitted = await runCli(["verify", packageOnly, "--policy", lenient, "--now", now]);
      assert.equal(admitted.code, 0, admitted.stdout + admitted.stderr);
      assert.match(admitted.stdout, /evaluation verified: verdict pass, trust level L2/);
      assert.match(admitted.stdout, /image evidence: none \(the image itself was not examined\)/);
    });

    test("verify: an unsigned image fails and says why", async () => {
      const r = await runCli([
        "verify",
        unsigned,
        "--policy",
        policyFile,
        "--now",
        now,
        "--format",
        "json",
      ]);
      assert.equal(r.code, 1);
      const out = JSON.parse(r.stdout) as { allowed: boolean; findings: { rule: string }[] };
      assert.equal(out.allowed, false);
      assert.deepEqual(out.findings.map((f) => f.rule).sort(), ["image/evaluated", "image/signed"]);
    });

    test("verify: a registry that is not there fails with the lookup error", async () => {
      const r = await runCli([
        "verify",
        `127.0.0.1:9/mcp/cli@sha256:${"a".repeat(64)}`,
        "--policy",
        policyFile,
        "--registry-timeout",
        "2000",
      ]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /lookup {5}FAILED/);
    });

    test("check --verify-images judges the registry rules; without it they are skipped", async () => {
      const manifest = join(dir, "deploy.yaml");
      const deployment = (name: string, image: string) => {
        const spec = compliantPodSpec();
        (spec.containers as Record<string, unknown>[])[0]!.image = image;
        return {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name, namespace: "team-a" },
          spec: { template: { metadata: { labels: { app: name } }, spec } },
        };
      };
      await writeFile(
        manifest,
        [deployment("good", signed), deployment("bad", unsigned), denyAll("team-a")]
          .map((d) => stringify(d))
          .join("---\n"),
      );
      const offline = await runCli(["check", manifest, "--policy", policyFile, "--now", now]);
      assert.equal(offline.code, 0);
      assert.match(
        offline.stderr,
        /image\/signed, image\/evaluated, rbac\/within-declared, network\/within-declared need a registry and were skipped/,
      );
      const online = await runCli([
        "check",
        manifest,
        "--policy",
        policyFile,
        "--now",
        now,
        "--verify-images",
        "--format",
        "json",
      ]);
      assert.equal(online.code, 1);
      const { results } = JSON.parse(online.stdout) as {
        results: { name: string; allowed: boolean; skipped: string[] }[];
      };
      assert.deepEqual(
        results.map((x) => [x.name, x.allowed, x.skipped.length]),
        [
          ["good", true, 0],
          ["bad", false, 0],
        ],
      );
    });
  },
);

describe(
  "mcp-warden verify with a keyless signer",
  { skip: SKIP_NO_REGISTRY, timeout: 120_000 },
  () => {
    const ISSUER = "https://token.actions.githubusercontent.com";
    const SUBJECT =
      "https://github.com/acme/mcp-crm/.github/workflows/release.yml@refs/tags/v1.4.2";
    let registry: RegistryServer;
    let sigstore: SigstoreMock;
    let dir: string;
    let ref: string;
    let now: string;

    before(async () => {
      [registry, sigstore] = await Promise.all([startRegistry(), startSigstoreMock()]);
      dir = await mkdtemp(join(tmpdir(), "mcp-warden-cli-keyless-"));
      const client = new RegistryClient();
      const predicate = validPredicate();
      now = new Date(Date.parse(predicate.time) + 3_600_000).toISOString();
      const repo = `${registry.host}/mcp/keyless-cli`;
      const pushed = await pushImage(client, repo, "v1", `keyless-cli-${Date.now()}`);
      ref = `${repo}@${pushed.manifest.digest}`;
      const signing = () =>
        keylessSigning({
          fulcioURL: sigstore.url,
          rekorURL: sigstore.url,
          tsaURL: sigstore.url,
          rekorEntryType: "intoto",
          identityToken: () => Promise.resolve(sigstore.token({ iss: ISSUER, sub: SUBJECT })),
        });
      const a = signing();
      await signImage(client, ref, a.signer, new Date(now), a.witnesses);
      const b = signing();
      await attestEvaluation(client, ref, predicate, b.signer, new Date(now), b.witnesses);
      await writeFile(join(dir, "root.json"), JSON.stringify(sigstore.trustedRoot));
    });
    after(async () => {
      await registry?.stop();
      await sigstore?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    async function policy(subjectRegExp: string): Promise<string> {
      const file = join(dir, `policy-${subjectRegExp.length}.yaml`);
      await writeFile(
        file,
        stringify({
          apiVersion: "mcp-warden.dev/v1alpha1",
          kind: "MCPWardenPolicy",
          metadata: { name: "keyless" },
          spec: { images: { trustedSigners: [{ keyless: { issuer: ISSUER, subjectRegExp } }] } },
        }),
      );
      return file;
    }

    test("the trusted root can come through TUF", async () => {
      const tuf = await startTufRepo({ targets: { "trusted_root.json": sigstore.trustedRoot } });
      try {
        const tufFlags = [
          "--tuf-mirror",
          tuf.url,
          "--tuf-root",
          tuf.rootPath,
          "--tuf-cache",
          join(dir, "tuf-cache"),
        ];
        const ok = await runCli([
          "verify",
          ref,
          "--policy",
          await policy("^https://github\\.com/acme/"),
          ...tufFlags,
          "--now",
          now,
        ]);
        assert.equal(ok.code, 0, ok.stdout + ok.stderr);
        assert.ok(tuf.requests.some((r) => r.includes("trusted_root.json")));
        const missingRoot = await runCli(["verify", ref, "--tuf-mirror", tuf.url]);
        assert.equal(missingRoot.code, 2);
        assert.match(missingRoot.stderr, /--tuf-mirror needs --tuf-root/);
      } finally {
        await tuf.stop();
      }
    });

    test("the right workflow identity passes; another repository's fails", async () => {
      const ok = await runCli([
        "verify",
        ref,
        "--policy",
        await policy("^https://github\\.com/acme/"),
        "--trusted-root",
        join(dir, "root.json"),
        "--now",
        now,
      ]);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(
        ok.stdout,
        /signature {2}verified, signed by keyless:https:\/\/token\.actions\.githubusercontent\.com:https:\/\/github\.com\/acme\/mcp-crm/,
      );
      const wrong = await runCli([
        "verify",
        ref,
        "--policy",
        await policy("^https://github\\.com/evil/"),
        "--trusted-root",
        join(dir, "root.json"),
        "--now",
        now,
      ]);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stdout, /does not match any trusted keyless signer/);
    });
  },
);
