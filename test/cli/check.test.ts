import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../support/cli.ts";
import { sarifValidator } from "../support/sarif.ts";

interface JsonReport {
  policy: { name: string; source: string };
  results: {
    kind: string;
    namespace: string;
    name: string;
    source: string;
    allowed: boolean;
    findings: {
      rule: string;
      action: string;
      message: string;
      path: string;
      exemptedBy?: string;
    }[];
    skipped: string[];
    exceptionsUsed: string[];
  }[];
}

const tmp = mkdtempSync(join(tmpdir(), "mcp-warden-check-"));
function file(name: string, text: string | Buffer): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

const EXAMPLES = ["examples/", "--exceptions", "examples/exceptions/"];

test("check examples/: a verdict per workload, exit 1 because some are denied", async () => {
  const r = await runCli(["check", ...EXAMPLES]);
  assert.equal(r.code, 1, r.stderr);
  for (const name of [
    "mcp-fetch",
    "mcp-crm",
    "mcp-github",
    "mcp-search",
    "mcp-filesystem",
    "mcp-indexer",
    "weather-mcp",
  ]) {
    assert.match(r.stdout, new RegExp(`^(PASS|FAIL) \\S+ \\S+/${name} `, "m"), name);
  }
  assert.match(r.stdout, /^7 workloads: 2 allowed, 5 denied/m);
  assert.match(
    r.stderr,
    /image\/signed, image\/evaluated, rbac\/within-declared, network\/within-declared need a registry and were skipped/,
  );
  assert.match(
    r.stderr,
    /^note: ignored MCPWardenException team-b\/let-me-in \(examples\/denied\/self-granted-exception\.yaml document 1 \(line \d+\)\)/m,
  );
  assert.doesNotMatch(r.stderr, /crm-egress/, "the trusted exception is not among the inputs");
});

test("check on the allowed examples alone exits 0", async () => {
  const r = await runCli(["check", "examples/allowed", "--exceptions", "examples/exceptions"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

test("JSON output follows the contract", async () => {
  const r = await runCli(["check", ...EXAMPLES, "--format", "json"]);
  assert.equal(r.code, 1);
  const report = JSON.parse(r.stdout) as JsonReport;
  assert.deepEqual(report.policy, { name: "default", source: "default" });
  const byName = new Map(report.results.map((x) => [x.name, x]));
  assert.equal(byName.get("mcp-fetch")?.allowed, true);
  assert.deepEqual(byName.get("mcp-fetch")?.findings, []);
  assert.deepEqual(byName.get("mcp-fetch")?.skipped, [
    "image/signed",
    "image/evaluated",
    "rbac/within-declared",
    "network/within-declared",
  ]);
  const crm = byName.get("mcp-crm")!;
  assert.equal(crm.allowed, true);
  assert.equal(crm.findings[0]?.exemptedBy, "mcp-warden-system/crm-egress");
  assert.deepEqual(crm.exceptionsUsed, ["mcp-warden-system/crm-egress"]);
  const github = byName.get("mcp-github")!;
  assert.equal(github.source, "examples/denied/literal-github-token.yaml");
  assert.deepEqual(
    github.findings.map((f) => [f.rule, f.action, f.path]),
    [
      ["credentials/no-literal-secrets", "enforce", "spec.containers[0].env[0].value"],
      ["credentials/no-secret-env", "warn", "spec.containers[0].env[1].valueFrom.secretKeyRef"],
    ],
  );
  assert.ok(!r.stdout.includes("ghp_Zx8k"), "the literal token is never echoed");
  const indexer = byName.get("mcp-indexer")!;
  assert.equal(indexer.kind, "CronJob");
  assert.ok(indexer.findings.some((f) => f.rule === "exception/invalid"));
  assert.ok(indexer.findings.every((f) => !f.exemptedBy));
});

test("SARIF output validates against the SARIF 2.1.0 schema and points at file and line", async () => {
  const r = await runCli(["check", "examples/denied", "--format", "sarif"]);
  assert.equal(r.code, 1);
  const log = JSON.parse(r.stdout) as {
    runs: {
      results: {
        ruleId: string;
        level: string;
        locations: {
          physicalLocation?: { artifactLocation: { uri: string }; region?: { startLine: number } };
        }[];
      }[];
    }[];
  };
  const problems = sarifValidator();
  assert.equal(
    problems({ version: "2.1.0", runs: [{ results: [] }] }).length > 0,
    true,
    "the validator rejects a run without tool",
  );
  assert.deepEqual(problems(log).slice(0, 5), []);
  const results = log.runs[0]!.results;
  const token = results.find((x) => x.ruleId === "credentials/no-literal-secrets")!;
  assert.equal(token.level, "error");
  const loc = token.locations[0]!.physicalLocation!;
  assert.equal(loc.artifactLocation.uri, "examples/denied/literal-github-token.yaml");
  const lines = readFileSync("examples/denied/literal-github-token.yaml", "utf8").split("\n");
  assert.match(
    lines[loc.region!.startLine - 1]!,
    /value: ghp_/,
    "the region is the line of the value",
  );
  const warn = results.find((x) => x.ruleId === "credentials/no-secret-env")!;
  assert.equal(warn.level, "warning");
});

test("RBAC among the inputs: the binding and rule are related locations in JSON and SARIF", async () => {
  const yaml = [
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: team-a}\nspec:\n  serviceAccountName: mcp\n  containers: [{name: a, image: nginx}]",
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader, namespace: team-a}\nrules:\n  - apiGroups: [""]\n    resources: [configmaps]\n    verbs: [get]\n  - apiGroups: [""]\n    resources: [secrets]\n    verbs: [list]',
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: reader, namespace: team-a}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}\nsubjects:\n  - kind: ServiceAccount\n    name: mcp",
  ].join("\n---\n");
  const path = file("rbac.yaml", `${yaml}\n`);
  const json = await runCli(["check", path, "--format", "json", "--rules", "rbac/*"]);
  assert.equal(json.code, 1, json.stderr);
  const [finding] = (
    JSON.parse(json.stdout) as {
      results: { findings: { rule: string; path: string; related: unknown[] }[] }[];
    }
  ).results[0]!.findings;
  assert.equal(finding!.rule, "rbac/no-secret-read");
  assert.equal(finding!.path, "spec.serviceAccountName");
  assert.deepEqual(finding!.related, [
    {
      kind: "RoleBinding",
      namespace: "team-a",
      name: "reader",
      source: path,
      line: 24,
      path: "subjects[0]",
    },
    { kind: "Role", namespace: "team-a", name: "reader", source: path, line: 15, path: "rules[1]" },
  ]);

  const sarif = await runCli(["check", path, "--format", "sarif", "--rules", "rbac/*"]);
  const log = JSON.parse(sarif.stdout) as {
    runs: {
      results: {
        relatedLocations: {
          physicalLocation: { region: { startLine: number } };
          message: { text: string };
        }[];
      }[];
    }[];
  };
  assert.deepEqual(sarifValidator()(log).slice(0, 5), []);
  assert.deepEqual(
    log.runs[0]!.results[0]!.relatedLocations.map(
      (l) => `${l.message.text} @${l.physicalLocation.region.startLine}`,
    ),
    ["RoleBinding team-a/reader subjects[0] @24", "Role team-a/reader rules[1] @15"],
  );
});

test("stdin, multi-document YAML and JSON", async () => {
  const yaml = readFileSync("examples/allowed/fetch-server.yaml", "utf8");
  const fromStdin = await runCli(["check", "-", "--format", "json"], { stdin: yaml });
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  assert.equal((JSON.parse(fromStdin.stdout) as JsonReport).results[0]?.source, "<stdin>");

  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p" },
    spec: { containers: [{ name: "a", image: "nginx" }] },
  };
  const list = {
    apiVersion: "v1",
    kind: "List",
    items: [pod, { ...pod, metadata: { name: "q" } }],
  };
  const r = await runCli([
    "check",
    file("list.json", JSON.stringify(list, null, 2)),
    "--format",
    "json",
  ]);
  assert.equal(r.code, 1);
  assert.deepEqual(
    (JSON.parse(r.stdout) as JsonReport).results.map((x) => x.name),
    ["p", "q"],
  );
});

test("--rules runs only the matching rules", async () => {
  const r = await runCli([
    "check",
    "examples/denied/root-tag-no-limits.yaml",
    "--rules",
    "image/*,sandbox/resource-limits",
    "--format",
    "json",
  ]);
  const rules = new Set(
    (JSON.parse(r.stdout) as JsonReport).results.flatMap((x) => x.findings.map((f) => f.rule)),
  );
  assert.deepEqual([...rules].sort(), ["image/digest-pinned", "sandbox/resource-limits"]);
  const bad = await runCli(["check", "examples/", "--rules", "nosuch/*"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--rules nosuch\/\* matches no rule/);
});

test("--now decides exception expiry", async () => {
  const later = await runCli([
    "check",
    "examples/allowed/vendor-egress-with-exception.yaml",
    "--exceptions",
    "examples/exceptions/crm-egress.yaml",
    "--now",
    "2031-01-01T00:00:00Z",
    "--format",
    "json",
  ]);
  assert.equal(later.code, 1);
  const f = (JSON.parse(later.stdout) as JsonReport).results[0]!.findings;
  assert.ok(f.some((x) => x.rule === "exception/invalid" && /expired/.test(x.message)));
  const bad = await runCli(["check", "examples/", "--now", "yesterday"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--now yesterday is not an ISO 8601 time/);
});

test("--policy: a custom policy changes the verdict; a bad one lists every field", async () => {
  const relaxed = file(
    "relaxed.yaml",
    "apiVersion: mcp-warden.dev/v1alpha1\nkind: MCPWardenPolicy\nmetadata: {name: relaxed}\nspec:\n  rules:\n    '*': audit\n",
  );
  const r = await runCli(["check", "examples/", "--policy", relaxed]);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /policy relaxed/);
  const bad = file(
    "bad-policy.yaml",
    "apiVersion: mcp-warden.dev/v1alpha1\nkind: MCPWardenPolicy\nmetadata: {name: bad}\nspec:\n  rules: {'*': block}\n  exceptions: {namespaces: x}\n",
  );
  const b = await runCli(["check", "examples/", "--policy", bad]);
  assert.equal(b.code, 2);
  assert.match(b.stderr, /bad-policy\.yaml document 1 \(line 1\): invalid MCPWardenPolicy/);
  assert.match(b.stderr, /spec\.rules\["\*"\]: must be one of/);
  assert.match(b.stderr, /spec\.exceptions\.namespaces: must be array/);
});

test("trust: exceptions and policies count only from --exceptions and --policy, unless --trust-inputs", async () => {
  const vendor = "examples/allowed/vendor-egress-with-exception.yaml";
  const exception = readFileSync("examples/exceptions/crm-egress.yaml", "utf8");
  const selfExempting = file(
    "self-exempting.yaml",
    `${exception}---\n${readFileSync(vendor, "utf8")}`,
  );
  const relaxed =
    "apiVersion: mcp-warden.dev/v1alpha1\nkind: MCPWardenPolicy\nmetadata: {name: relaxed}\nspec:\n  rules:\n    '*': audit\n";
  const inlinePolicy = file("inline-policy.yaml", `${relaxed}---\n${readFileSync(vendor, "utf8")}`);
  const dir = join(tmp, "repo");
  mkdirSync(join(dir, "trusted"), { recursive: true });
  writeFileSync(join(dir, "app.yaml"), readFileSync(vendor));
  writeFileSync(join(dir, "trusted", "crm.yaml"), exception);
  const notException = file("not-exception.yaml", readFileSync(vendor));
  const cases: {
    name: string;
    args: string[];
    code: number;
    policy?: { name: string; source: string };
    exceptionsUsed?: string[];
    note?: RegExp;
    stderr?: RegExp;
  }[] = [
    {
      name: "no exceptions given: the egress finding denies",
      args: [vendor],
      code: 1,
      exceptionsUsed: [],
    },
    {
      name: "--exceptions FILE exempts",
      args: [vendor, "--exceptions", "examples/exceptions/crm-egress.yaml"],
      code: 0,
      exceptionsUsed: ["mcp-warden-system/crm-egress"],
    },
    {
      name: "--exceptions is repeatable and takes directories",
      args: [vendor, "--exceptions", join(dir, "trusted"), "--exceptions", "examples/exceptions"],
      code: 0,
      exceptionsUsed: ["mcp-warden-system/crm-egress"],
    },
    {
      name: "an exception among the inputs is ignored, with a note naming it",
      args: [selfExempting],
      code: 1,
      exceptionsUsed: [],
      note: /^note: ignored MCPWardenException mcp-warden-system\/crm-egress \(.*self-exempting\.yaml document 1 \(line 5\)\)/m,
    },
    {
      name: "--trust-inputs restores trusting it",
      args: [selfExempting, "--trust-inputs"],
      code: 0,
      exceptionsUsed: ["mcp-warden-system/crm-egress"],
    },
    {
      name: "a policy among the inputs is ignored, with a note naming it",
      args: [inlinePolicy],
      code: 1,
      policy: { name: "default", source: "default" },
      note: /^note: ignored MCPWardenPolicy relaxed \(.*inline-policy\.yaml document 1 \(line 1\)\): .*--policy FILE/m,
    },
    {
      name: "--trust-inputs uses a policy among the inputs and names its file",
      args: [inlinePolicy, "--trust-inputs"],
      code: 0,
      policy: { name: "relaxed", source: inlinePolicy },
    },
    {
      name: "--policy FILE is named as the source",
      args: [vendor, "--policy", file("relaxed-policy.yaml", relaxed)],
      code: 0,
      policy: { name: "relaxed", source: join(tmp, "relaxed-policy.yaml") },
    },
    {
      name: "files under an --exceptions directory are not judged inputs",
      args: [dir, "--exceptions", join(dir, "trusted")],
      code: 0,
      exceptionsUsed: ["mcp-warden-system/crm-egress"],
    },
    {
      name: "without --exceptions, the same directory's exception is an ignored input",
      args: [dir],
      code: 1,
      note: /^note: ignored MCPWardenException mcp-warden-system\/crm-egress \(.*trusted\/crm\.yaml/m,
    },
    {
      name: "a file named both as input and in --exceptions is only trusted, not judged",
      args: [vendor, "examples/exceptions/crm-egress.yaml", "--exceptions", "examples/exceptions"],
      code: 0,
      exceptionsUsed: ["mcp-warden-system/crm-egress"],
    },
    {
      name: "--exceptions holding anything but exceptions is bad input",
      args: [vendor, "--exceptions", notException],
      code: 2,
      stderr:
        /not-exception\.yaml document 1 \(line \d+\): --exceptions holds only MCPWardenException documents/,
    },
  ];
  for (const c of cases) {
    const r = await runCli([
      "check",
      ...c.args,
      "--format",
      "json",
      "--now",
      "2026-01-01T00:00:00Z",
    ]);
    assert.equal(r.code, c.code, `${c.name}: ${r.stderr}`);
    if (c.stderr) {
      assert.match(r.stderr, c.stderr, c.name);
      continue;
    }
    const report = JSON.parse(r.stdout) as JsonReport;
    if (c.policy) assert.deepEqual(report.policy, c.policy, c.name);
    if (c.exceptionsUsed) {
      assert.deepEqual(
        report.results.map((x) => x.name),
        ["mcp-crm"],
        c.name,
      );
      assert.deepEqual(report.results[0]!.exceptionsUsed, c.exceptionsUsed, c.name);
    }
    if (c.note) assert.match(r.stderr, c.note, c.name);
    else assert.doesNotMatch(r.stderr, /note: ignored/, c.name);
  }
});

const badInputs: { name: string; make: () => string; expect: RegExp; judged?: RegExp }[] = [
  {
    name: "invalid YAML",
    make: () => file("broken.yaml", "kind: Pod\nmetadata: {name: x\n"),
    expect: /broken\.yaml document 1 \(line \d+\)/,
  },
  {
    name: "a document without kind",
    make: () =>
      file(
        "nokind.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: []}\n---\napiVersion: v1\nmetadata: {name: b}\n",
      ),
    expect: /nokind\.yaml document 2 \(line 6\): has no kind/,
    judged: /^FAIL Pod default\/a {2}\(.*nokind\.yaml:1\)$/m,
  },
  {
    name: "a Deployment whose containers is a string",
    make: () =>
      file(
        "string.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: nginx\n",
      ),
    expect:
      /string\.yaml document 1 \(line 1\): Deployment cannot be evaluated: spec\.template\.spec\.containers must be array/,
  },
  {
    name: "a 50 MB file",
    make: () => file("huge.yaml", Buffer.alloc(50 * 1024 * 1024, "a")),
    expect: /huge\.yaml: 50\.0 MiB is over the 16\.0 MiB limit/,
  },
  {
    name: "a binary file",
    make: () => file("binary.yaml", Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0xff])),
    expect: /binary\.yaml: binary content/,
  },
  {
    name: "a missing file",
    make: () => join(tmp, "nope.yaml"),
    expect: /nope\.yaml: no such file or directory/,
  },
  {
    name: "duplicate keys",
    make: () => file("dup.yaml", "kind: Pod\nkind: Deployment\n"),
    expect: /dup\.yaml document 1/,
  },
  {
    name: "a ClusterRoleBinding the API server would reject (ServiceAccount without namespace)",
    make: () =>
      file(
        "crb.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}\nsubjects: [{kind: ServiceAccount, name: mcp}]\n",
      ),
    expect:
      /crb\.yaml document 1 \(line 1\): invalid ClusterRoleBinding: subjects\/0|crb\.yaml document 1 \(line 1\): invalid ClusterRoleBinding: subjects\[0\]/,
  },
  {
    name: "a scalar document",
    make: () => file("scalar.yaml", "just text\n"),
    expect: /scalar\.yaml document 1 \(line 1\): must be a mapping/,
  },
];

for (const c of badInputs) {
  test(`bad input: ${c.name} → exit 2 naming the file and document, no stack trace`, async () => {
    const r = await runCli(["check", c.make()]);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, c.expect);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    if (c.judged) assert.match(r.stdout, c.judged, "the good documents are still judged");
    else assert.equal(r.stdout, "");
  });
}

const SAFE_POD = (extra: string) => `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: team-a
spec:
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: a
      image: registry.example.com/a:1@sha256:${"a".repeat(64)}
      resources: {limits: {cpu: "1", memory: 64Mi}}
      securityContext:
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
${extra}`;

test("null is unset: a null field judges as if it were absent", async () => {
  const cases: { name: string; nulls: string; absent: string }[] = [
    {
      name: "allowPrivilegeEscalation: null is the default (escalation allowed), not an error",
      nulls: SAFE_POD("        allowPrivilegeEscalation: null\n"),
      absent: SAFE_POD(""),
    },
    {
      name: "allowPrivilegeEscalation: ~ beside false elsewhere",
      nulls: SAFE_POD("        allowPrivilegeEscalation: false\n        privileged: ~\n"),
      absent: SAFE_POD("        allowPrivilegeEscalation: false\n"),
    },
    {
      name: "null lists and maps (env, annotations, hostNetwork) are unset",
      nulls: SAFE_POD("        allowPrivilegeEscalation: false\n      env: null\n")
        .replace("  namespace: team-a\n", "  namespace: team-a\n  annotations: null\n")
        .replace("spec:\n", "spec:\n  hostNetwork: null\n"),
      absent: SAFE_POD("        allowPrivilegeEscalation: false\n"),
    },
    {
      name: "JSON null",
      nulls: JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p", namespace: "team-a", labels: null },
        spec: { containers: [{ name: "a", image: "nginx", securityContext: null }] },
      }),
      absent: JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p", namespace: "team-a" },
        spec: { containers: [{ name: "a", image: "nginx" }] },
      }),
    },
  ];
  for (const [i, c] of cases.entries()) {
    const run = async (text: string, which: string) => {
      const r = await runCli(["check", file(`null-${i}-${which}.yaml`, text), "--format", "json"]);
      assert.notEqual(r.code, 2, `${c.name} (${which}): ${r.stderr}`);
      const result = (JSON.parse(r.stdout) as JsonReport).results[0]!;
      return { code: r.code, allowed: result.allowed, findings: result.findings };
    };
    const nulls = await run(c.nulls, "nulls");
    assert.deepEqual(nulls, await run(c.absent, "absent"), c.name);
  }
  const escalation = await runCli([
    "check",
    file("null-escalation.yaml", SAFE_POD("        allowPrivilegeEscalation: null\n")),
    "--rules",
    "pod-security/*",
    "--format",
    "json",
  ]);
  assert.deepEqual(
    (JSON.parse(escalation.stdout) as JsonReport).results[0]!.findings.map((f) => f.path),
    ["spec.containers[0].securityContext.allowPrivilegeEscalation"],
    "unset, so the rule asks for false",
  );
});

test("one bad document does not hide the others: their results, every error, exit 2", async () => {
  const good = file(
    "partial-good.yaml",
    `${SAFE_POD("        allowPrivilegeEscalation: false\n")}---\napiVersion: v1\nkind: Pod\nmetadata: {name: q, namespace: team-a}\nspec: {containers: [{name: a, image: nginx}]}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: nginx\n`,
  );
  const broken = file("partial-broken.yaml", "kind: Pod\nmetadata: {name: x\n");
  const expectErrors = [
    /partial-good\.yaml document 3 \(line 23\): Deployment cannot be evaluated/,
    /partial-broken\.yaml document 1 \(line \d+\)/,
    /2 document\(s\) cannot be evaluated; the results printed are for the other documents/,
  ];
  const formats: { format: string; names: (stdout: string) => string[] }[] = [
    {
      format: "text",
      names: (out) => [...out.matchAll(/^(?:PASS|FAIL) Pod team-a\/(\w+)/gm)].map((m) => m[1]!),
    },
    {
      format: "json",
      names: (out) => (JSON.parse(out) as JsonReport).results.map((x) => x.name),
    },
    {
      format: "sarif",
      names: (out) => {
        const log = JSON.parse(out) as {
          runs: {
            results: { locations: { logicalLocations: { fullyQualifiedName: string }[] }[] }[];
          }[];
        };
        assert.deepEqual(sarifValidator()(log).slice(0, 5), []);
        const names = log.runs[0]!.results.map(
          (x) =>
            /team-a\/(\w+)\//.exec(x.locations[0]!.logicalLocations[0]!.fullyQualifiedName)?.[1],
        );
        return [...new Set(names)].map(String);
      },
    },
  ];
  for (const f of formats) {
    const r = await runCli([
      "check",
      good,
      broken,
      "--rules",
      "pod-security/*",
      "--format",
      f.format,
    ]);
    assert.equal(r.code, 2, f.format);
    for (const e of expectErrors) assert.match(r.stderr, e, f.format);
    assert.deepEqual(
      f.names(r.stdout),
      f.format === "sarif" ? ["q"] : ["p", "q"],
      `${f.format}: the judgeable workloads`,
    );
  }
  const json = JSON.parse(
    (await runCli(["check", good, broken, "--rules", "pod-security/*", "--format", "json"])).stdout,
  ) as JsonReport;
  assert.deepEqual(
    json.results.map((x) => [x.name, x.allowed]),
    [
      ["p", true],
      ["q", false],
    ],
  );
});

test("typed lists are judged like kind: List", async () => {
  const pod = (name: string) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "team-a" },
    spec: { containers: [{ name: "a", image: "nginx" }] },
  });
  const deployment = (name: string) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "team-a" },
    spec: { template: pod(name) },
  });
  const cases: { kind: string; items: object[]; judged: string[] }[] = [
    { kind: "List", items: [pod("a"), deployment("b")], judged: ["Pod/a", "Deployment/b"] },
    { kind: "PodList", items: [pod("a"), pod("b")], judged: ["Pod/a", "Pod/b"] },
    { kind: "DeploymentList", items: [deployment("c")], judged: ["Deployment/c"] },
    { kind: "PodList", items: [], judged: [] },
  ];
  for (const [i, c] of cases.entries()) {
    const list = { apiVersion: "v1", kind: c.kind, metadata: {}, items: c.items };
    for (const [ext, text] of [
      ["json", JSON.stringify(list)],
      ["yaml", JSON.stringify(list, null, 2)],
    ] as const) {
      const r = await runCli(["check", file(`list-${i}.${ext}`, text), "--format", "json"]);
      assert.equal(r.code, c.judged.length > 0 ? 1 : 0, `${c.kind}: ${r.stderr}`);
      assert.deepEqual(
        (JSON.parse(r.stdout) as JsonReport).results.map((x) => `${x.kind}/${x.name}`),
        c.judged,
        c.kind,
      );
    }
  }
});

test("YAML merge keys are merged as kubectl does, explicit keys winning", async () => {
  const secure = `securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}`;
  const pod = (container: string, anchors = "") => `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: team-a}
${anchors}spec:
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: a
      image: registry.example.com/a:1@sha256:${"a".repeat(64)}
      resources: {limits: {cpu: "1", memory: 64Mi}}
${container}
`;
  const defaults = `x-defaults: &secure
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities: {drop: [ALL]}
`;
  const cases: { name: string; yaml: string; findings: string[] }[] = [
    { name: "written out", yaml: pod(`      ${secure}`), findings: [] },
    {
      name: "merged from an anchor",
      yaml: pod(`      securityContext:\n        <<: *secure`, defaults),
      findings: [],
    },
    {
      name: "an explicit key overrides the merged one",
      yaml: pod(
        `      securityContext:\n        <<: *secure\n        allowPrivilegeEscalation: true`,
        defaults,
      ),
      findings: ["pod-security/allow-privilege-escalation"],
    },
    {
      name: "merged from a list of anchors",
      yaml: pod(`      securityContext:\n        <<: [*secure, {privileged: true}]`, defaults),
      findings: ["pod-security/privileged"],
    },
  ];
  for (const [i, c] of cases.entries()) {
    const r = await runCli([
      "check",
      file(`merge-${i}.yaml`, c.yaml),
      "--rules",
      "pod-security/*",
      "--format",
      "json",
    ]);
    assert.equal(r.code, c.findings.length > 0 ? 1 : 0, `${c.name}: ${r.stderr}`);
    assert.deepEqual(
      (JSON.parse(r.stdout) as JsonReport).results[0]!.findings.map((f) => f.rule),
      c.findings,
      c.name,
    );
  }
});

test("YAML 1.1 scalars are read as kubectl reads them", async () => {
  const pod = (securityContext: string, labels = "app: p", extra = "") => `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: team-a
  labels: {${labels}}
  annotations: {released: 2026-01-01, window: 1:30}
spec:
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: yes, seccompProfile: {type: RuntimeDefault}}
  containers: &containers
    - name: a
      image: registry.example.com/a:1@sha256:${"a".repeat(64)}
      resources: {limits: {cpu: "1", memory: 64Mi}}
      securityContext: {${securityContext}}
${extra}`;
  const secure =
    "allowPrivilegeEscalation: off, readOnlyRootFilesystem: y, capabilities: {drop: [ALL]}";
  const cases: { name: string; yaml: string; code: number; findings?: string[]; error?: RegExp }[] =
    [
      // yes, off and y are booleans to kubectl; the timestamp and the base-60 number stay strings.
      { name: "booleans written the YAML 1.1 way", yaml: pod(secure), code: 0, findings: [] },
      {
        name: "on is true",
        yaml: pod(secure.replace("allowPrivilegeEscalation: off", "allowPrivilegeEscalation: on")),
        code: 1,
        findings: ["pod-security/allow-privilege-escalation"],
      },
      {
        name: "a label value kubectl reads as a boolean: the API server rejects the object",
        yaml: pod(secure, "app: p, enabled: yes"),
        code: 2,
        error: /metadata\.labels\.enabled must be string \(quote it/,
      },
      {
        name: "quoted, it is a string",
        yaml: pod(secure, 'app: p, enabled: "yes"'),
        code: 0,
        findings: [],
      },
      {
        name: "an alias used as a whole list is followed",
        yaml: pod(secure, "app: p", "  initContainers: *containers\n"),
        code: 0,
        findings: [],
      },
    ];
  for (const [i, c] of cases.entries()) {
    const r = await runCli([
      "check",
      file(`yaml11-${i}.yaml`, c.yaml),
      "--rules",
      "pod-security/*",
      "--format",
      "json",
    ]);
    assert.equal(r.code, c.code, `${c.name}: ${r.stderr}`);
    if (c.findings) {
      assert.deepEqual(
        (JSON.parse(r.stdout) as JsonReport).results[0]!.findings.map((f) => f.rule),
        c.findings,
        c.name,
      );
    }
    if (c.error) assert.match(r.stderr, c.error, c.name);
  }
});

test("usage errors exit 2", async () => {
  for (const args of [
    ["check"],
    ["check", "examples/", "--format", "xml"],
    ["check", "--bogus"],
    ["check", "-", "--exceptions", "-"],
    ["frobnicate"],
    [],
  ]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, /usage:/);
    // check's own usage, not every command's.
    if (args[0] === "check") assert.doesNotMatch(r.stderr, /mcp-warden (serve|verify|evaluate)/);
  }
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^ {2}check +judge Kubernetes manifests/m);
});

test("two NetworkPolicies of the same name and namespace are bad input, naming both documents", async () => {
  const input = new URL("../fixtures/workloads/duplicate-network-policies.yaml", import.meta.url)
    .pathname;
  const r = await runCli(["check", input, "--format", "json"]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /duplicate-network-policies\.yaml document 3 \(line \d+\): NetworkPolicy mcp\/mcp-server is also defined by \S+duplicate-network-policies\.yaml document 2 \(line \d+\): one would replace the other when applied/,
  );
  // The workload is still judged, and the output says so.
  const json = JSON.parse(r.stdout) as JsonReport;
  assert.deepEqual(
    json.results.map((x) => x.name),
    ["mcp-server"],
  );
});
