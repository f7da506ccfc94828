// `check --cluster --rescan`: the images running in a real kube-apiserver, each looked up in a
// real registry for a CycloneDX SBOM attested with real cosign, matched against a local OSV
// database (test/fixtures/osv) — no pull, no re-run.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { KubernetesObjectApi, type KubernetesObject } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { RegistryClient } from "../../supply-chain/registry/client.ts";
import { runCli } from "../support/cli.ts";
import { compliantPodSpec } from "../support/policies.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../support/registry-server.ts";
import { findTool, pushImage } from "../support/supply-chain.ts";
import { k8sBinDir, SKIP_NO_BINARIES, startCluster, type TestCluster } from "./support/cluster.ts";
import { readYaml } from "./support/manifests.ts";

const run = promisify(execFile);
const binDir = k8sBinDir();
const cosign3 = findTool("cosign");
const skip = !binDir
  ? SKIP_NO_BINARIES
  : SKIP_NO_REGISTRY ||
    (cosign3 ? false : "cosign not built; run scripts/build-supply-chain-tools.sh");

const OSV_DB = new URL("../fixtures/osv/", import.meta.url).pathname;

/** A CycloneDX SBOM as release tooling writes it: one vulnerable npm package, one clean. */
const SBOM = {
  bomFormat: "CycloneDX",
  specVersion: "1.5",
  version: 1,
  components: [
    {
      type: "library",
      name: "mcp-remote",
      version: "0.1.10",
      purl: "pkg:npm/mcp-remote@0.1.10",
    },
    {
      type: "library",
      name: "@modelcontextprotocol/sdk",
      version: "1.24.0",
      purl: "pkg:npm/%40modelcontextprotocol/sdk@1.24.0",
    },
  ],
};

interface RescanJson {
  rescan: {
    image: string;
    status: string;
    reason?: string;
    usedBy: { namespace: string; kind: string; name: string }[];
    vulnerabilities: {
      id: string;
      aliases: string[];
      severity: { level: string };
      version: string;
      fixedVersion?: string;
      package: { name: string };
    }[];
  }[];
}

describe("check --cluster --rescan", { skip, timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let registry: RegistryServer;
  let dir: string;
  let attested: string;
  let unattested: string;
  let policyFile: string;

  const cosign = (args: string[]) =>
    run(cosign3!, args, {
      cwd: dir,
      timeout: 60_000,
      env: { ...process.env, COSIGN_PASSWORD: "", COSIGN_YES: "true" },
    });

  before(async () => {
    [cluster, registry] = await Promise.all([startCluster({ binDir }), startRegistry()]);
    dir = await mkdtemp(join(tmpdir(), "mcp-warden-rescan-"));
    const client = new RegistryClient({ timeoutMs: 5000 });
    const repo = `${registry.host}/mcp/server`;
    const a = await pushImage(client, repo, "v1", `rescan-a-${Date.now()}`);
    const b = await pushImage(client, repo, "v2", `rescan-b-${Date.now()}`);
    attested = `${repo}@${a.manifest.digest}`;
    unattested = `${repo}@${b.manifest.digest}`;
    await cosign(["generate-key-pair", "--output-key-prefix", "cosign"]);
    await writeFile(join(dir, "sbom.json"), JSON.stringify(SBOM));
    await cosign([
      "attest",
      "--key",
      "cosign.key",
      "--type",
      "cyclonedx",
      "--predicate",
      "sbom.json",
      "--tlog-upload=false",
      "--use-signing-config=false",
      "--allow-insecure-registry",
      "--allow-http-registry",
      attested,
    ]);
    // The policy trusts the key that attested; the registry rules are off (no evaluation here).
    const [policy] = readYaml("deploy/policy.yaml") as (KubernetesObject & {
      spec: { rules: Record<string, string>; images: { trustedSigners: unknown[] } };
    })[];
    policy!.spec.images.trustedSigners = [
      { key: { publicKey: await readFile(join(dir, "cosign.pub"), "utf8") } },
    ];
    policy!.spec.rules["image/signed"] = "off";
    policy!.spec.rules["image/evaluated"] = "off";
    policy!.spec.rules["rbac/within-declared"] = "off";
    policy!.spec.rules["network/within-declared"] = "off";
    policyFile = join(dir, "policy.json");
    await writeFile(policyFile, JSON.stringify(policy));

    const objects = KubernetesObjectApi.makeApiClient(cluster.kubeConfig());
    await objects.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a" } });
    for (const [name, image] of [
      ["attested", attested],
      ["unattested", unattested],
      ["by-tag", `${repo}:v1`],
    ] as const) {
      const spec = compliantPodSpec();
      (spec.containers as Record<string, unknown>[])[0]!.image = image;
      await objects.create({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: "team-a", labels: { app: name } },
        spec,
      } as KubernetesObject);
    }
  });

  after(async () => {
    await cluster?.stop();
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const check = (...args: string[]) =>
    runCli([
      "check",
      "--cluster",
      "--kubeconfig",
      cluster.kubeconfigPath,
      "--policy",
      policyFile,
      "--rescan",
      "--vulnerability-db",
      OSV_DB,
      "--insecure-registry",
      registry.host,
      ...args,
    ]);

  test("reports what is vulnerable now from each image's signed SBOM; others are not rescannable", async () => {
    const { stdout, stderr } = await check("--format", "json");
    const { rescan } = JSON.parse(stdout) as RescanJson;
    assert.deepEqual(
      rescan.map((r) => [r.image, r.status, r.usedBy.map((u) => u.name)]),
      [
        [`${registry.host}/mcp/server:v1`, "not-rescannable", ["by-tag"]],
        [attested, "scanned", ["attested"]],
        [unattested, "not-rescannable", ["unattested"]],
      ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
      stderr,
    );
    const scanned = rescan.find((r) => r.image === attested)!;
    assert.deepEqual(
      scanned.vulnerabilities.map((v) => [
        v.id,
        v.package.name,
        v.version,
        v.severity.level,
        v.fixedVersion,
      ]),
      [["GHSA-6xpm-ggf7-wc3p", "mcp-remote", "0.1.10", "critical", "0.1.16"]],
    );
    assert.ok(scanned.vulnerabilities[0]!.aliases.includes("CVE-2025-6514"));
    assert.match(
      rescan.find((r) => r.image === unattested)!.reason!,
      /no CycloneDX SBOM attestation/,
    );
    assert.match(rescan.find((r) => r.image.endsWith(":v1"))!.reason!, /not pinned by digest/);
  });

  test("an SBOM signed by a key the policy does not trust is not read", async () => {
    const other = join(dir, "other.json");
    const policy = JSON.parse(await readFile(policyFile, "utf8")) as {
      spec: { images: { trustedSigners: unknown[] } };
    };
    policy.spec.images.trustedSigners = [];
    await writeFile(other, JSON.stringify(policy));
    const { stdout } = await runCli([
      "check",
      "--cluster",
      "--kubeconfig",
      cluster.kubeconfigPath,
      "--policy",
      other,
      "--rescan",
      "--vulnerability-db",
      OSV_DB,
      "--insecure-registry",
      registry.host,
      "--format",
      "json",
    ]);
    const { rescan } = JSON.parse(stdout) as RescanJson;
    assert.equal(rescan.find((r) => r.image === attested)!.status, "not-rescannable");
  });

  test("text and PolicyReport carry the advisory id and severity", async () => {
    const text = await check();
    assert.match(text.stdout, /VULNERABLE .*@sha256:[0-9a-f]{64} {2}\(team-a\/Pod\/attested;/);
    assert.match(
      text.stdout,
      /GHSA-6xpm-ggf7-wc3p \(CVE-2025-6514\) critical: mcp-remote@0\.1\.10; fixed in 0\.1\.16/,
    );
    assert.match(text.stdout, /NOT RESCANNABLE .*:v1 {2}\(team-a\/Pod\/by-tag\)/);
    const polr = await check("--format", "policyreport");
    const [report] = parseAllDocuments(polr.stdout).map(
      (d) =>
        d.toJS() as {
          results: {
            rule: string;
            result: string;
            severity?: string;
            properties?: Record<string, string>;
            resources: { name: string }[];
          }[];
        },
    );
    const vulns = report!.results.filter((r) => r.rule === "image/vulnerabilities");
    assert.deepEqual(
      vulns.map((r) => [r.resources[0]!.name, r.result, r.severity, r.properties?.advisory]).sort(),
      [
        ["attested", "fail", "high", "GHSA-6xpm-ggf7-wc3p"],
        ["by-tag", "skip", undefined, undefined],
        ["unattested", "skip", undefined, undefined],
      ],
    );
  });
});
