/** `mcp-warden generate` as a user runs it: manifests from a server.json, judged by `check`. */
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { runCli, type CliResult } from "../support/cli.ts";
import { crane, tarOf } from "../support/images.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../support/registry-server.ts";
import { findTool, pushImage } from "../support/supply-chain.ts";
import { RegistryClient } from "../../supply-chain/registry/client.ts";
import { staticCredentials } from "../../supply-chain/registry/credentials.ts";

const MANIFEST = "test/fixtures/mcp/server-filesystem.server.json";
const PINNED = `ghcr.io/acme/server-filesystem@sha256:${"3f0c1e6b0a7d2c4e".repeat(4)}`;

interface Report {
  results: {
    kind: string;
    namespace: string;
    name: string;
    allowed: boolean;
    findings: unknown[];
  }[];
}

const dir = await mkdtemp(join(tmpdir(), "mcp-warden-cli-generate-"));
let written = 0;

/** The real `mcp-warden check` (default policy, offline) on generated YAML: the Deployment passes. */
async function assertPassesCheck(yaml: string): Promise<Report> {
  const file = join(dir, `generated-${written++}.yaml`);
  await writeFile(file, yaml);
  const r = await runCli(["check", file, "--format", "json"]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(r.stdout) as Report;
  assert.deepEqual(
    report.results.map((x) => [x.kind, x.name, x.allowed, x.findings]),
    [["Deployment", "server-filesystem", true, []]],
  );
  return report;
}

function kinds(yaml: string): { kind: string; name: string; namespace?: string; image?: string }[] {
  return parseAllDocuments(yaml).map((d) => {
    const o = d.toJS() as {
      kind: string;
      metadata: { name: string; namespace?: string };
      spec?: { template?: { spec: { containers: { image: string }[] } } };
    };
    const image = o.spec?.template?.spec.containers[0]?.image;
    return {
      kind: o.kind,
      name: o.metadata.name,
      ...(o.metadata.namespace === undefined ? {} : { namespace: o.metadata.namespace }),
      ...(image === undefined ? {} : { image }),
    };
  });
}

const generate = (...args: string[]): Promise<CliResult> =>
  runCli(["generate", "--manifest", MANIFEST, ...args]);

test("generate prints the ServiceAccount, Deployment and NetworkPolicy, which pass check", async () => {
  const r = await generate("--image", PINNED, "--namespace", "mcp-servers");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.deepEqual(kinds(r.stdout), [
    { kind: "ServiceAccount", name: "server-filesystem", namespace: "mcp-servers" },
    { kind: "Deployment", name: "server-filesystem", namespace: "mcp-servers", image: PINNED },
    { kind: "NetworkPolicy", name: "server-filesystem", namespace: "mcp-servers" },
  ]);
  const report = await assertPassesCheck(r.stdout);
  assert.equal(report.results[0]!.namespace, "mcp-servers");
});

test("without --namespace the objects carry none", async () => {
  const r = await generate("--image", PINNED);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    kinds(r.stdout).map((o) => o.namespace),
    [undefined, undefined, undefined],
  );
});

test("--out DIR writes the same stream to DIR/NAME.yaml and says so", async () => {
  const out = join(dir, "out", "nested");
  const [printed, r] = await Promise.all([
    generate("--image", PINNED),
    generate("--image", PINNED, "--out", out),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await readdir(out), ["server-filesystem.yaml"]);
  const file = join(out, "server-filesystem.yaml");
  assert.equal(
    r.stdout,
    `wrote ${file} (ServiceAccount, Deployment, NetworkPolicy server-filesystem)\n`,
  );
  const yaml = await readFile(file, "utf8");
  assert.equal(yaml, printed.stdout);
  await assertPassesCheck(yaml);
});

test("a tag is refused without --resolve-digest (exit 2, naming --image)", async () => {
  const r = await generate("--image", "ghcr.io/acme/server-filesystem:1.0");
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /--image: is not pinned by digest/);
  assert.match(r.stderr, /--resolve-digest/);
});

test("usage errors exit 2: --manifest and --image are required", async () => {
  const noImage = await generate();
  assert.equal(noImage.code, 2);
  assert.match(noImage.stderr, /generate needs --image REF/);
  const noManifest = await runCli(["generate", "--image", PINNED]);
  assert.equal(noManifest.code, 2);
  assert.match(noManifest.stderr, /generate needs --manifest FILE/);
});

test("an invalid manifest exits 2, naming the file and every bad field", async () => {
  const file = join(dir, "invalid.server.json");
  await writeFile(file, JSON.stringify({ name: "io.github.acme/weather", version: "1.0.0" }));
  const r = await runCli(["generate", "--manifest", file, "--image", PINNED]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`${file}: not a valid MCP server manifest`));
  assert.match(r.stderr, /\n {2}description: is required/);
});

test("permissions the generator cannot provision exit 2, named where they are in the manifest", async () => {
  const server = JSON.parse(await readFile(MANIFEST, "utf8")) as {
    _meta: Record<string, { filesystem: { path: string; access: string }[] }>;
  };
  server._meta["dev.mcp-warden/permissions"]!.filesystem = [{ path: "/", access: "read-write" }];
  const file = join(dir, "root-writable.server.json");
  await writeFile(file, JSON.stringify(server));
  const r = await runCli(["generate", "--manifest", file, "--image", PINNED]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`${file}: cannot generate Kubernetes manifests`));
  assert.match(
    r.stderr,
    /\n {2}_meta\["dev\.mcp-warden\/permissions"\]\.filesystem\[0\]\.path: cannot be writable/,
  );
});

test("a missing manifest exits 2, naming it", async () => {
  const r = await runCli(["generate", "--manifest", join(dir, "absent.json"), "--image", PINNED]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /absent\.json: cannot read the manifest \(ENOENT\)/);
});

const GATEWAY_IMAGE = `ghcr.io/mcp-warden/mcp-warden:0.1.0@sha256:${"b".repeat(64)}`;

/** The evaluation predicate of the fixture server, recording that its image was run over stdio. */
async function evaluationFile(): Promise<string> {
  const predicate = JSON.parse(
    await readFile("test/fixtures/evaluation/valid-predicate.json", "utf8"),
  ) as Record<string, unknown>;
  predicate.run = {
    transport: "stdio",
    entrypoint: ["/usr/local/bin/node"],
    cmd: ["/app/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js", "/workspace"],
  };
  const file = join(dir, "evaluation.json");
  await writeFile(file, JSON.stringify(predicate));
  return file;
}

test("--gateway-image puts the server behind its gateway; the set passes check under a policy naming that image", async () => {
  const r = await generate(
    "--image",
    PINNED,
    "--namespace",
    "mcp-servers",
    "--gateway-image",
    GATEWAY_IMAGE,
    "--evaluation",
    await evaluationFile(),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    kinds(r.stdout).map((o) => `${o.kind} ${o.name}`),
    [
      "ServiceAccount server-filesystem",
      "Deployment server-filesystem",
      "NetworkPolicy server-filesystem",
      "Service server-filesystem",
      "ServiceAccount server-filesystem-gateway",
      "ClusterRoleBinding mcp-servers-server-filesystem-gateway-auth-delegator",
      "Role mcp-servers-server-filesystem-gateway-access",
      "RoleBinding mcp-servers-server-filesystem-gateway-access",
      "ClusterRole mcp-servers-server-filesystem-gateway-policy",
      "ClusterRoleBinding mcp-servers-server-filesystem-gateway-policy",
      "Deployment server-filesystem-gateway",
      "Service server-filesystem-gateway",
      "NetworkPolicy server-filesystem-gateway",
      "MCPWardenAccess mcp-servers-server-filesystem",
    ],
  );
  assert.match(
    r.stdout,
    /command:\n\s+- \/mcp-warden\/bridge\n\s+args:\n\s+- --port\n\s+- "8080"\n\s+- --\n\s+- \/usr\/local\/bin\/node\n/,
  );
  // The namespace is one the policy selects, as the cluster labels it.
  const file = join(dir, "gateway-set.yaml");
  await writeFile(
    file,
    `${r.stdout}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: mcp-servers\n  labels:\n    mcp-warden.dev/gateway: required\n`,
  );
  const policy = join(dir, "gateway-policy.yaml");
  await writeFile(
    policy,
    [
      "apiVersion: mcp-warden.dev/v1alpha1",
      "kind: MCPWardenPolicy",
      "metadata: { name: gateway }",
      "spec:",
      '  rules: { "*": enforce, "credentials/no-secret-env": warn }',
      "  runtime:",
      `    gateway: { image: "${GATEWAY_IMAGE}" }`,
      '    gatewayRequired: { namespaceSelector: { matchLabels: { "mcp-warden.dev/gateway": required } } }',
      "",
    ].join("\n"),
  );
  const checked = await runCli(["check", file, "--policy", policy, "--format", "json"]);
  assert.equal(checked.code, 0, checked.stdout + checked.stderr);
  const report = JSON.parse(checked.stdout) as Report;
  assert.deepEqual(
    report.results.map((x) => [x.kind, x.name, x.allowed, x.findings]),
    [
      ["Deployment", "server-filesystem", true, []],
      ["Deployment", "server-filesystem-gateway", true, []],
    ],
  );
  // Under the default policy, which names no gateway image, nothing may carry the gateway's label.
  const byDefault = await runCli(["check", file, "--format", "json"]);
  assert.equal(byDefault.code, 1);
  const denied = JSON.parse(byDefault.stdout) as Report;
  assert.deepEqual(
    denied.results.map((x) => [x.name, x.allowed]),
    [
      ["server-filesystem", true],
      ["server-filesystem-gateway", false],
    ],
  );
});

test("gateway options: --namespace is required, the others need --gateway-image (exit 2)", async () => {
  const noNamespace = await generate("--image", PINNED, "--gateway-image", GATEWAY_IMAGE);
  assert.equal(noNamespace.code, 2);
  assert.match(noNamespace.stderr, /\n {2}--namespace: is required with a gateway/);
  const alone = await generate("--image", PINNED, "--evaluation", "x.json");
  assert.equal(alone.code, 2);
  assert.match(alone.stderr, /--evaluation goes with --gateway-image/);
  const unpinned = await generate(
    "--image",
    PINNED,
    "--namespace",
    "mcp-servers",
    "--gateway-image",
    "ghcr.io/mcp-warden/mcp-warden:0.1.0",
  );
  assert.equal(unpinned.code, 2);
  assert.match(unpinned.stderr, /\n {2}--gateway-image: must be pinned by digest/);
  const badEvaluation = join(dir, "bad-evaluation.json");
  await writeFile(badEvaluation, JSON.stringify({ run: { transport: "http" } }));
  const bad = await generate(
    ...["--image", PINNED, "--namespace", "mcp-servers", "--gateway-image", GATEWAY_IMAGE],
    ...["--evaluation", badEvaluation],
  );
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, new RegExp(`${badEvaluation}: `));
  assert.match(bad.stderr, /run\.transport/);
  for (const flag of ["--registry-cidr", "--policy-name"]) {
    const without = await generate("--image", PINNED, flag, "x");
    assert.equal(without.code, 2);
    assert.match(without.stderr, new RegExp(`${flag} goes with --gateway-image`));
  }
  const badNames = await generate(
    ...["--image", PINNED, "--namespace", "mcp-servers", "--gateway-image", GATEWAY_IMAGE],
    ...["--registry-cidr", "registry.example.com", "--policy-name", "Team_A"],
  );
  assert.equal(badNames.code, 2);
  assert.match(badNames.stderr, /\n {2}--registry-cidr: must be a valid CIDR/);
  assert.match(badNames.stderr, /\n {2}--policy-name: must be a Kubernetes object name/);
});

describe(
  "--resolve-digest against a real registry",
  { skip: SKIP_NO_REGISTRY, timeout: 120_000 },
  () => {
    let registry: RegistryServer;
    before(async () => {
      registry = await startRegistry();
    });
    after(async () => {
      await registry?.stop();
    });

    test("the tag crane pushed is pinned to the digest crane reports", async (t) => {
      const bin = findTool("crane");
      if (bin === undefined) {
        t.skip("crane not built yet (scripts/build-supply-chain-tools.sh)");
        return;
      }
      const repo = `${registry.host}/servers/filesystem`;
      const layer = join(dir, "server.tar");
      await writeFile(layer, await tarOf([{ name: "app/server.js", content: "// server" }]));
      await crane(bin, ["append", "--insecure", "-f", layer, "-t", `${repo}:2025.7.1`]);
      const digest = await crane(bin, ["digest", "--insecure", `${repo}:2025.7.1`]);

      const r = await generate(
        "--image",
        `${repo}:2025.7.1`,
        "--resolve-digest",
        "--insecure-registry",
        registry.host,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(kinds(r.stdout)[1]!.image, `${repo}@${digest}`);
      await assertPassesCheck(r.stdout);
    });

    test("a tag the registry does not have exits 2, naming the image", async () => {
      const image = `${registry.host}/servers/filesystem:no-such-tag`;
      const r = await generate("--image", image, "--resolve-digest");
      assert.equal(r.code, 2);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, new RegExp(`--image ${image.replace(/[.]/g, "\\.")}: `));
    });
  },
);

describe(
  "--resolve-digest with --registry-config against a registry that requires a login",
  { skip: SKIP_NO_REGISTRY, timeout: 120_000 },
  () => {
    let registry: RegistryServer;
    let image: string;
    let digest: string;
    before(async () => {
      registry = await startRegistry({ users: { alice: "correct horse" } });
      const client = new RegistryClient({
        credentials: staticCredentials({
          [registry.host]: { username: "alice", password: "correct horse" },
        }),
      });
      const repo = `${registry.host}/private/filesystem`;
      const pushed = await pushImage(client, repo, "2025.7.1", `generate-${Date.now()}`);
      image = `${repo}:2025.7.1`;
      digest = pushed.manifest.digest;
    });
    after(async () => {
      await registry?.stop();
    });

    test("the Docker config's credentials resolve the tag", async () => {
      const config = join(dir, "docker-config.json");
      const auth = Buffer.from("alice:correct horse").toString("base64");
      await writeFile(config, JSON.stringify({ auths: { [registry.host]: { auth } } }));
      const r = await generate("--image", image, "--resolve-digest", "--registry-config", config);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(kinds(r.stdout)[1]!.image, `${registry.host}/private/filesystem@${digest}`);
    });

    test("without them the registry's refusal is reported, naming the image (exit 2)", async () => {
      const r = await generate("--image", image, "--resolve-digest");
      assert.equal(r.code, 2);
      assert.equal(r.stdout, "");
      assert.ok(r.stderr.startsWith(`mcp-warden: --image ${image}: `), r.stderr);
    });
  },
);
