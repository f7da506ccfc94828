import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { main } from "../../cli/main.ts";
import { crane, tarOf } from "../support/images.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../support/registry-server.ts";
import { findTool } from "../support/supply-chain.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI in this process, as bin/mcp-warden.js runs it. */
async function run(argv: string[], stdin = ""): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await main({
    argv,
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    debug: false,
    inCluster: false,
    kubeconfig: undefined,
    waitForShutdown: () => new Promise(() => undefined),
  });
  return { code, stdout, stderr };
}

interface FixJson {
  decisions: { file: string; document: number; path: string; what: string; rules: string[] }[];
  remaining: unknown[];
  files: { file: string; changed: boolean; content?: string; output?: string }[];
}

const digest = (c: string) => `sha256:${c.repeat(64)}`;

function deployment(image: string, extra = ""): string {
  return `# weather, as published
apiVersion: apps/v1
kind: Deployment
metadata: { name: weather, namespace: mcp }
spec:
  selector: { matchLabels: { app: weather } }
  template:
    metadata: { labels: { app: weather }${extra} }
    spec:
      containers:
        - name: server
          image: ${image} # the release
`;
}

/** A workload that passes check as it is: nothing to fix, nothing to decide. */
const COMPLIANT = `apiVersion: v1
kind: Pod
metadata: { name: ok, namespace: mcp, labels: { app: ok } }
spec:
  automountServiceAccountToken: false
  securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
  containers:
    - name: c
      image: r.example/ok@${digest("d")}
      resources: { limits: { cpu: 100m, memory: 64Mi } }
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: { drop: [ALL] }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: ok, namespace: mcp }
spec:
  podSelector: { matchLabels: { app: ok } }
  policyTypes: [Ingress, Egress]
`;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcp-warden-fix-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("one input: the fixed YAML on stdout, the decisions on stderr, exit 1", async () => {
  const path = join(dir, "one.yaml");
  await writeFile(path, deployment("ghcr.io/acme/weather:1.2"));
  const r = await run(["fix", path]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^# weather, as published\n/);
  assert.match(r.stdout, /image: ghcr.io\/acme\/weather:1.2 # the release\n/);
  assert.match(r.stdout, /readOnlyRootFilesystem: true/);
  assert.match(r.stdout, /\n---\n# NetworkPolicy added by mcp-warden fix/);
  assert.match(
    r.stderr,
    new RegExp(
      `DECIDE ${path} document 1 spec\\.template\\.spec\\.containers\\[0\\]\\.image: .*--resolve-digests`,
    ),
  );
  assert.match(r.stderr, /DECIDE .* document 2 spec\.egress: DNS only/);
  assert.match(r.stderr, /0 findings left unfixed\n$/);
  // The input is not touched.
  assert.equal(await readFile(path, "utf8"), deployment("ghcr.io/acme/weather:1.2"));
});

test("--format json: decisions with file, document, path and what; the content of the file", async () => {
  const path = join(dir, "json.yaml");
  await writeFile(path, deployment("ghcr.io/acme/weather:1.2"));
  const r = await run(["fix", path, "--format", "json"]);
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout) as FixJson;
  assert.deepEqual(out.remaining, []);
  assert.deepEqual(
    out.decisions.map((d) => [d.file, d.document, d.path, d.rules]),
    [
      [path, 1, "spec.template.spec.containers[0].image", ["image/digest-pinned"]],
      [path, 1, "spec.template.spec.containers[0].resources", []],
      [path, 1, "spec.template.spec.securityContext.runAsUser", []],
      [path, 2, "spec.egress", []],
    ],
  );
  assert.equal(out.files.length, 1);
  assert.equal(out.files[0]?.changed, true);
  assert.equal(
    (parse(out.files[0]?.content?.split("\n---\n")[0] ?? "") as { kind: string }).kind,
    "Deployment",
  );
});

test("an input that passes check is left byte for byte, with exit 0", async () => {
  const path = join(dir, "ok.yaml");
  await writeFile(path, COMPLIANT);
  const r = await run(["fix", path]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, COMPLIANT);
  assert.match(r.stderr, /^0 decisions for a person, 0 findings left unfixed\n$/);
});

test("a file written with CRLF line breaks keeps them in the documents fix rewrites and adds", async () => {
  const path = join(dir, "crlf.yaml");
  const text = `${deployment("ghcr.io/acme/weather:1.2")}---\n${COMPLIANT}`.replace(/\n/g, "\r\n");
  await writeFile(path, text);
  const r = await run(["fix", path]);
  assert.equal(r.code, 1, r.stderr);
  assert.doesNotMatch(r.stdout, /(?<!\r)\n/);
  // The untouched documents are as written; the rewritten one is fixed, its comments kept.
  assert.ok(r.stdout.includes(COMPLIANT.replace(/\n/g, "\r\n")));
  assert.match(r.stdout, /^# weather, as published\r\n/);
  assert.match(r.stdout, /readOnlyRootFilesystem: true\r\n/);
  assert.match(r.stdout, /\r\nkind: NetworkPolicy\r\n/);
});

test("octal file modes are written back as octal, as kubectl reads them", async () => {
  const input = new URL("../fixtures/fix/octal-modes.yaml", import.meta.url).pathname;
  const r = await run(["fix", input]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /defaultMode: 0400\n/);
  assert.match(r.stdout, /mode: 0440\n/);
  assert.match(r.stdout, /defaultMode: 0644\n/);
  // The document was rewritten: the fixes are there beside the modes.
  assert.match(r.stdout, /readOnlyRootFilesystem: true\n/);
});

test("workloads of the same name get NetworkPolicies of different names", async () => {
  const input = new URL("../fixtures/fix/same-name-workloads.yaml", import.meta.url).pathname;
  const r = await run(["fix", input]);
  assert.equal(r.code, 1, r.stderr);
  const policies = r.stdout
    .split(/^---$/m)
    .map((d) => parse(d) as { kind?: string; metadata: { name: string } } | null)
    .filter((o) => o?.kind === "NetworkPolicy");
  assert.deepEqual(
    policies.map((p) => p?.metadata.name),
    ["search-default-deny", "search-default-deny-2"],
  );
});

test("a JSON file fix adds YAML to starts with a comment, so kubectl reads it as YAML", async () => {
  const url = new URL("../fixtures/fix/hardened-deployment.json", import.meta.url);
  const r = await run(["fix", url.pathname]);
  assert.equal(r.code, 1, r.stderr);
  const [first, ...rest] = r.stdout.split("\n");
  // Without it, kubectl takes the file for a JSON stream and fails at the `---`.
  assert.match(first ?? "", /^# /);
  const body = rest.join("\n");
  assert.ok(body.startsWith(readFileSync(url, "utf8")), "the JSON as it was");
  assert.match(body, /\n---\n[^]*kind: NetworkPolicy\n/);
  // The output is read back as it will be applied: the Deployment and the NetworkPolicy.
  const path = join(dir, "hardened.json");
  await writeFile(path, r.stdout);
  const again = await run(["fix", path]);
  assert.equal(again.stdout, r.stdout);
  // A JSON file that stays JSON gets no comment.
  const list = await run([
    "fix",
    new URL("../fixtures/fix/list-lowercase-all.json", import.meta.url).pathname,
  ]);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(
    (JSON.parse(list.stdout) as { items: { spec: { containers?: unknown[] } }[] }).items[0]?.spec
      .containers,
    [
      {
        name: "c",
        image: `r/c@${digest("f")}`,
        resources: { limits: { cpu: "100m", memory: "64Mi" } },
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        },
      },
    ],
  );
});

test("a byte order mark the file starts with is written back, changed or not", async () => {
  for (const [name, text, code] of [
    ["bom-ok.yaml", COMPLIANT, 0],
    ["bom-fixed.yaml", deployment("ghcr.io/acme/weather:1.2"), 1],
  ] as const) {
    const path = join(dir, name);
    await writeFile(path, `\uFEFF${text}`);
    const out = join(dir, "bom-out");
    const r = await run(["fix", path, "--out", out]);
    assert.equal(r.code, code, r.stderr);
    const written = await readFile(join(out, name));
    assert.deepEqual([...written.subarray(0, 3)], [0xef, 0xbb, 0xbf], name);
    // The rest as check reads it: unchanged byte for byte, or fixed.
    if (code === 0) assert.equal(written.toString("utf8"), `\uFEFF${text}`);
    else assert.match(written.toString("utf8"), /^\uFEFF# weather, as published\n/);
  }
});

test("--out DIR writes every file under DIR as it lies under the input directory", async () => {
  const input = join(dir, "tree");
  await mkdir(join(input, "team"), { recursive: true });
  await writeFile(join(input, "team", "a.yaml"), deployment("r.example/a:1"));
  await writeFile(join(input, "ok.yaml"), COMPLIANT);
  const out = join(dir, "out");
  const r = await run(["fix", input, "--out", out]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, "");
  const fixed = await readFile(join(out, "team", "a.yaml"), "utf8");
  assert.match(fixed, /allowPrivilegeEscalation: false/);
  assert.equal(await readFile(join(out, "ok.yaml"), "utf8"), COMPLIANT);
  assert.equal(await readFile(join(input, "team", "a.yaml"), "utf8"), deployment("r.example/a:1"));
  // The output fixed again: nothing changes.
  const again = await run(["fix", join(out, "team", "a.yaml")]);
  assert.equal(again.stdout, fixed);
});

test("--in-place rewrites the inputs; check then fails only on what was listed", async () => {
  const path = join(dir, "in-place.yaml");
  await writeFile(path, deployment(`r.example/a:1@${digest("a")}`));
  const r = await run(["fix", path, "--in-place"]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`wrote  ${path}`));
  const checked = await run(["check", path]);
  // Placeholders and the NetworkPolicy's open questions do not fail check: they are decisions.
  assert.equal(checked.code, 0, checked.stdout);
});

test("--exceptions apply as in check: an exempted rule is not fixed", async () => {
  const exceptions = join(dir, "exceptions.yaml");
  await writeFile(
    exceptions,
    `apiVersion: mcp-warden.dev/v1alpha1
kind: MCPWardenException
metadata: { name: sized-later, namespace: mcp-warden-system }
spec:
  rules: ["sandbox/resource-limits"]
  namespaces: ["mcp"]
  reason: sized after the load test
  expires: "2099-01-01T00:00:00Z"
`,
  );
  const path = join(dir, "exempt.yaml");
  await writeFile(
    path,
    deployment("r.example/a:1", ", annotations: { mcp-warden.dev/exception: sized-later }"),
  );
  const r = await run(["fix", path, "--exceptions", exceptions, "--format", "json"]);
  const out = JSON.parse(r.stdout) as FixJson;
  assert.doesNotMatch(out.files[0]?.content ?? "", /resources:/);
  assert.ok(!out.decisions.some((d) => d.path.endsWith(".resources")));
});

test("items of a List and a CronJob's pod template are fixed where they are written", async () => {
  const path = join(dir, "list.yaml");
  await writeFile(
    path,
    `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ServiceAccount
    metadata: { name: sa, namespace: mcp }
  - apiVersion: batch/v1
    kind: CronJob
    metadata: { name: nightly, namespace: mcp }
    spec:
      schedule: "0 3 * * *"
      jobTemplate:
        spec:
          template:
            metadata: { labels: { app: nightly } }
            spec:
              restartPolicy: Never
              containers:
                - { name: job, image: "r.example/job@${digest("e")}" }
`,
  );
  const r = await run(["fix", path, "--format", "json"]);
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout) as FixJson;
  assert.deepEqual(out.remaining, []);
  const list = parse(out.files[0]?.content?.split("\n---\n")[0] ?? "") as {
    items: { kind: string; spec?: { jobTemplate: { spec: { template: { spec: unknown } } } } }[];
  };
  assert.equal(list.items[0]?.kind, "ServiceAccount");
  const pod = list.items[1]?.spec?.jobTemplate.spec.template.spec as {
    automountServiceAccountToken?: boolean;
  };
  assert.equal(pod.automountServiceAccountToken, false);
  // Paths are in the document, for fixes and marked choices alike.
  assert.ok(out.decisions.every((d) => d.document !== 1 || d.path.startsWith("items[1].")));
  assert.ok(
    out.decisions.some(
      (d) => d.path === "items[1].spec.jobTemplate.spec.template.spec.containers[0].resources",
    ),
  );
});

test("bad input: a YAML syntax error names the file and line, exit 2, nothing written", async () => {
  const path = join(dir, "broken.yaml");
  await writeFile(path, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n");
  const out = join(dir, "broken-out");
  const r = await run(["fix", path, "--out", out]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, new RegExp(`${path} document 1 \\(line \\d+\\)`));
  await assert.rejects(readFile(join(out, "broken.yaml")));
});

test("usage errors exit 2: several files without --out, --out with --in-place, stdin in place", async () => {
  const a = join(dir, "u1.yaml");
  const b = join(dir, "u2.yaml");
  await writeFile(a, COMPLIANT);
  await writeFile(b, COMPLIANT);
  const several = await run(["fix", a, b]);
  assert.equal(several.code, 2);
  assert.match(
    several.stderr,
    /2 input files: write the corrected copies with --out DIR or --in-place/,
  );
  const both = await run(["fix", a, "--out", dir, "--in-place"]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--out and --in-place exclude each other/);
  const stdin = await run(["fix", "-", "--in-place"], COMPLIANT);
  assert.equal(stdin.code, 2);
  assert.equal((await run(["fix", "-"], COMPLIANT)).stdout, COMPLIANT);
});

describe("--resolve-digests against a registry", { skip: SKIP_NO_REGISTRY }, () => {
  let registry: RegistryServer;
  before(async () => {
    registry = await startRegistry();
  });
  after(async () => {
    await registry.stop();
  });

  test("a tag pushed with crane is pinned to the digest crane reports; a missing one is a decision", async (t) => {
    const bin = findTool("crane");
    if (bin === undefined) {
      t.skip("crane not built yet (scripts/build-supply-chain-tools.sh)");
      return;
    }
    const layer = join(dir, "layer.tar");
    await writeFile(layer, await tarOf([{ name: "server.js", content: "console.log(1)" }]));
    const image = `${registry.host}/acme/weather:1.2`;
    await crane(bin, ["append", "--insecure", "-f", layer, "-t", image]);
    const pushed = await crane(bin, ["digest", "--insecure", image]);

    const path = join(dir, "pin.yaml");
    const missing = `${registry.host}/acme/weather:9.9`;
    await writeFile(
      path,
      deployment(image).replace(
        "      containers:",
        `      initContainers:\n        - { name: init, image: "${missing}" }\n      containers:`,
      ),
    );
    const r = await run([
      "fix",
      path,
      "--resolve-digests",
      "--insecure-registry",
      registry.host,
      "--format",
      "json",
    ]);
    const out = JSON.parse(r.stdout) as FixJson;
    const content = out.files[0]?.content ?? "";
    assert.match(content, new RegExp(`image: ${image}@${pushed} # the release\\n`));
    const open = out.decisions.filter((d) => d.rules.includes("image/digest-pinned"));
    assert.deepEqual(
      open.map((d) => d.path),
      ["spec.template.spec.initContainers[0].image"],
    );
    assert.match(open[0]?.what ?? "", new RegExp(`${missing} could not be pinned: `));
  });
});

test("the README's first screen: check denies the example, fix writes a copy that check passes", async () => {
  const example = "examples/fixable/weather-server.yaml";
  const before = await run(["check", example]);
  assert.equal(before.code, 1, before.stderr);
  const fixed = await run(["fix", example]);
  assert.equal(fixed.code, 1, "decisions are left for a person");
  assert.match(fixed.stderr, /^DECIDE .* spec\.ingress: nothing may connect yet/m);
  assert.match(fixed.stderr, /0 findings left unfixed/);
  const dir = await mkdtemp(join(tmpdir(), "mcp-warden-readme-"));
  try {
    await writeFile(join(dir, "weather.yaml"), fixed.stdout);
    const after = await run(["check", join(dir, "weather.yaml")]);
    assert.equal(after.code, 0, after.stdout + after.stderr);
    assert.match(after.stdout, /^PASS Deployment mcp-servers\/weather-mcp/m);
    // The example's own comments survive the fix.
    assert.match(fixed.stdout, /# Pinned by digest: what was evaluated is what runs\./);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
