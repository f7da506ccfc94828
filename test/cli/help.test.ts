import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import pkg from "../../package.json" with { type: "json" };
import { commandList, COMMANDS, helpOf, usageOf, type Command } from "../../cli/commands.ts";
import { CATALOGUE } from "../../policies/workload/catalogue.ts";
import { OSV_EXPORT_BASE } from "../../supply-chain/scan/osv/download.ts";
import { BIN, ROOT, runCli, runMain } from "../support/cli.ts";

function command(name: string): Command {
  const c = COMMANDS.find((x) => x.name === name);
  assert.ok(c, name);
  return c;
}

test("no arguments: the command list on stderr, exit 2", async () => {
  const r = await runMain([]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, commandList());
  for (const c of COMMANDS) {
    assert.match(
      r.stderr,
      new RegExp(`^ {2}${c.name} +${c.summary.replace(/[()]/g, "\\$&")}$`, "m"),
    );
  }
});

test("--help, -h and help: the command list on stdout, exit 0", async () => {
  for (const args of [["--help"], ["-h"], ["help"]]) {
    const r = await runMain(args);
    assert.equal(r.code, 0, args.join(" "));
    assert.equal(r.stderr, "", args.join(" "));
    assert.equal(r.stdout, commandList(), args.join(" "));
  }
});

test("every command's help, however it is asked for: usage and description on stdout, exit 0", async () => {
  for (const c of COMMANDS) {
    assert.match(c.usage, new RegExp(`^mcp-warden ${c.name}\\b`), `${c.name}: usage`);
    assert.ok(c.description.length > 100, `${c.name}: described`);
    assert.doesNotMatch(c.summary, /\n/, `${c.name}: one-line summary`);
    for (const args of [
      ["help", c.name],
      [c.name, "--help"],
      [c.name, "-h"],
    ]) {
      const r = await runMain(args);
      assert.equal(r.code, 0, args.join(" "));
      assert.equal(r.stderr, "", args.join(" "));
      assert.equal(r.stdout, helpOf(c), args.join(" "));
      assert.ok(r.stdout.startsWith(usageOf(c)));
      assert.ok(r.stdout.includes(c.description));
    }
  }
});

test("--help wins over arguments that are wrong or missing", async () => {
  for (const args of [
    ["check", "--help"], // no PATH
    ["check", "--fromat", "xml", "--help"],
    ["check", "nosuch.yaml", "--format", "xml", "-h"],
    ["verify", "--help"], // no IMAGE
    ["serve", "--port", "-1", "--help"], // no certificate; nothing listens
    ["evaluate", "--bogus", "--help"],
    ["db", "download", "--help"],
    ["db", "help"],
    ["rules", "--format", "yaml", "--help"],
    ["explain", "no/such-rule", "--help"],
  ]) {
    const r = await runMain(args);
    assert.equal(r.code, 0, args.join(" "));
    assert.equal(r.stdout, helpOf(command(args[0]!)), args.join(" "));
  }
  // After --, --help is an argument like any other.
  const after = await runMain(["explain", "--", "--help"]);
  assert.equal(after.code, 2);
  assert.match(after.stderr, /^mcp-warden explain: no rule "--help"/);
});

test("every option a command's help shows is one the command takes", async () => {
  for (const c of COMMANDS) {
    // The synopsis, and the option lists of the description (lines that start with an option).
    const shown = new Set(
      [
        ...`${c.usage}\n${c.description}`.matchAll(
          /(?:^ {2}|\[|^mcp-warden .*?)(--[a-z][a-z0-9-]*)/gm,
        ),
      ]
        .concat([...c.usage.matchAll(/(--[a-z][a-z0-9-]*)/g)])
        .map((m) => m[1]!),
    );
    assert.ok(shown.size > 0 || c.name === "explain" || c.name === "db", c.name);
    for (const option of shown) {
      // Known options parse (a boolean given a value says so); the unknown one after it fails.
      const args = [...(c.subcommands ?? []).slice(0, 1), `${option}=x`, "--no-such-option"];
      const r = await runMain([c.name, ...args]);
      assert.equal(r.code, 2, `${c.name} ${option}`);
      assert.doesNotMatch(
        r.stderr,
        new RegExp(`unknown option ${option}\\b`),
        `${c.name} ${option}`,
      );
    }
  }
});

test("the help of db names the export base the download uses", () => {
  assert.ok(command("db").description.includes(OSV_EXPORT_BASE));
});

test("--version prints the version in package.json", async () => {
  const r = await runMain(["--version"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `mcp-warden ${pkg.version}\n`);
  assert.equal(r.stderr, "");
});

/** A usage error: one line naming the command, then that command's usage and nothing else. */
async function assertUsageError(args: string[], line: string): Promise<void> {
  const r = await runMain(args);
  const c = command(args[0]!);
  assert.equal(r.code, 2, args.join(" "));
  assert.equal(r.stdout, "", args.join(" "));
  assert.equal(
    r.stderr,
    `mcp-warden ${c.name}: ${line} (see mcp-warden ${c.name} --help)\n\n${usageOf(c)}`,
    args.join(" "),
  );
}

test("a usage error is one line and the command's own usage, exit 2", async () => {
  await assertUsageError(
    ["check", "examples/", "--fromat", "json"],
    "unknown option --fromat; did you mean --format?",
  );
  await assertUsageError(["check", "examples/", "--format"], "--format needs a value");
  await assertUsageError(
    ["check", "examples/", "--format", "xml"],
    "--format xml is not one of text, json, sarif",
  );
  await assertUsageError(
    ["check", "--trust-inputs=yes", "examples/"],
    "--trust-inputs takes no value",
  );
  await assertUsageError(["check"], "needs at least one file, directory or - (stdin)");
  await assertUsageError(["check", "-x", "examples/"], "unknown option -x");
  await assertUsageError(["verify"], "needs exactly one IMAGE");
  await assertUsageError(
    ["serve", "extra"],
    'unexpected argument "extra": this command takes options only',
  );
  await assertUsageError(["evaluate", "--bogus"], "unknown option --bogus");
  await assertUsageError(["evaluate", "--image"], "--image needs a value");
  await assertUsageError(["db"], "needs a subcommand (download)");
  await assertUsageError(["db", "dowload"], 'unknown subcommand "dowload"; did you mean download?');
  await assertUsageError(["rules", "--format", "yaml"], "--format yaml is not one of text, json");
  await assertUsageError(["explain"], "needs a rule id or glob; mcp-warden rules lists them");
});

test("an unknown command: one line with the closest command, then the command list, exit 2", async () => {
  const typo = await runMain(["chek", "examples/"]);
  assert.equal(typo.code, 2);
  assert.equal(typo.stdout, "");
  assert.equal(
    typo.stderr,
    `mcp-warden: unknown command "chek"; did you mean check?\n\n${commandList()}`,
  );
  for (const args of [["frobnicate"], ["help", "frobnicate"]]) {
    const r = await runMain(args);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `mcp-warden: unknown command "frobnicate"\n\n${commandList()}`);
  }
  const option = await runMain(["--verison"]);
  assert.equal(option.code, 2);
  assert.match(
    option.stderr,
    /^mcp-warden: unknown option "--verison"; did you mean --version\?\n/,
  );
});

interface Listed {
  id: string;
  title: string;
  action: string;
  enabled: boolean;
  exemptible: boolean;
  needsRegistry: boolean;
}

test("rules --format json: every rule, with what the default policy does with it", async () => {
  const r = await runMain(["rules", "--format", "json"]);
  assert.equal(r.code, 0, r.stderr);
  const rules = JSON.parse(r.stdout) as Listed[];
  assert.deepEqual(
    rules.map((x) => [x.id, x.title, x.needsRegistry]),
    CATALOGUE.map((x) => [x.id, x.title, x.needsRegistry]),
  );
  const byId = new Map(rules.map((x) => [x.id, x]));
  assert.deepEqual(byId.get("pod-security/privileged"), {
    id: "pod-security/privileged",
    title: "No container runs privileged.",
    action: "enforce",
    enabled: true,
    exemptible: true,
    needsRegistry: false,
  });
  assert.equal(byId.get("credentials/no-secret-env")?.action, "warn");
  assert.equal(byId.get("rbac/no-broad-roles")?.exemptible, false, "rbac/* only when listed");
  assert.equal(byId.get("exception/invalid")?.exemptible, false);
  assert.equal(byId.get("image/signed")?.needsRegistry, true);
});

test("rules --policy: the actions of that policy", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mcp-warden-rules-"));
  const policy = join(dir, "policy.yaml");
  writeFileSync(
    policy,
    [
      "apiVersion: mcp-warden.dev/v1alpha1",
      "kind: MCPWardenPolicy",
      "metadata: { name: relaxed }",
      "spec:",
      "  rules: { '*': enforce, 'image/*': audit, 'rbac/within-declared': 'off' }",
      "  exceptions: { namespaces: [ops], exemptible: ['rbac/*'] }",
    ].join("\n"),
  );
  const json = await runMain(["rules", "--policy", policy, "--format", "json"]);
  assert.equal(json.code, 0, json.stderr);
  const byId = new Map((JSON.parse(json.stdout) as Listed[]).map((x) => [x.id, x]));
  assert.equal(byId.get("image/evaluated")?.action, "audit");
  assert.equal(byId.get("rbac/within-declared")?.enabled, false);
  assert.equal(byId.get("rbac/no-wildcards")?.exemptible, true);
  assert.equal(byId.get("sandbox/resource-limits")?.exemptible, false);
  const text = await runMain(["rules", "--policy", policy]);
  assert.match(text.stdout, /^rbac\/within-declared +off +yes +yes +The pod's ServiceAccount/m);
  assert.match(text.stdout, /under policy relaxed /);
});

test("rules: a table with a row per rule", async () => {
  const r = await runMain(["rules"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^RULE +ACTION +EXEMPTIBLE +REGISTRY +REQUIRES$/m);
  for (const rule of CATALOGUE) {
    const row = r.stdout.split("\n").find((l) => l.startsWith(`${rule.id} `));
    assert.ok(row, rule.id);
    assert.ok(row.endsWith(rule.title), rule.id);
  }
  assert.match(r.stdout, /^credentials\/no-secret-env +warn +yes +no +/m);
  assert.match(r.stdout, /^image\/signed +enforce +no +yes +/m);
  assert.match(r.stdout, new RegExp(`^${CATALOGUE.length} rules under policy default`, "m"));
});

test("explain: every rule's title, why, fix and example", async () => {
  for (const rule of CATALOGUE) {
    const r = await runMain(["explain", rule.id]);
    assert.equal(r.code, 0, `${rule.id}: ${r.stderr}`);
    assert.ok(r.stdout.startsWith(`${rule.id}\n`), rule.id);
    const flat = r.stdout.replace(/\s+/g, " ");
    for (const text of [rule.title, rule.explain.why, rule.explain.fix])
      assert.ok(flat.includes(text.replace(/\s+/g, " ")), `${rule.id}: ${text}`);
    assert.ok(r.stdout.includes(rule.explain.example.replace(/^/gm, "  ")), `${rule.id}: example`);
  }
  const registry = await runMain(["explain", "image/evaluated"]);
  assert.match(
    registry.stdout.replace(/\s+/g, " "),
    /Needs a registry: check judges it only with --verify-images\./,
  );
  const pod = await runMain(["explain", "pod-security/privileged"]);
  assert.match(
    pod.stdout,
    /^example \(a document without a kind holds fields of the workload's Deployment\)$/m,
  );
  assert.match(pod.stdout, /The default policy: enforce, exemptible by an MCPWardenException\./);
});

test("explain GLOB explains every rule it matches; --format json gives the texts", async () => {
  const r = await runMain(["explain", "sandbox/*", "--format", "json"]);
  assert.equal(r.code, 0, r.stderr);
  const sandbox = CATALOGUE.filter((x) => x.id.startsWith("sandbox/"));
  assert.deepEqual(
    JSON.parse(r.stdout),
    sandbox.map((x) => ({
      id: x.id,
      title: x.title,
      needsRegistry: x.needsRegistry,
      ...x.explain,
    })),
  );
  const text = await runMain(["explain", "network/*"]);
  assert.equal(text.code, 0);
  assert.deepEqual(
    [...text.stdout.matchAll(/^(network\/[a-z-]+)$/gm)].map((m) => m[1]),
    ["network/egress-restricted", "network/ingress-restricted", "network/within-declared"],
  );
});

test("explain of an unknown rule: one line with the closest rules, exit 2", async () => {
  const rbac = CATALOGUE.filter((x) => x.id.startsWith("rbac/")).map((x) => x.id);
  const cases: [string, string][] = [
    [
      "pod-security/privilegd",
      'no rule "pod-security/privilegd"; did you mean pod-security/privileged?',
    ],
    ["privileged", 'no rule "privileged"; did you mean pod-security/privileged?'],
    [
      "sandbox/resource-limit",
      'no rule "sandbox/resource-limit"; did you mean sandbox/resource-limits?',
    ],
    ["rbac", `no rule "rbac"; the rules matching rbac/* are ${rbac.join(", ")}`],
    ["rbca/*", "no rule matches rbca/*; did you mean rbac/*?"],
    ["nothing-like-it", 'no rule "nothing-like-it"; mcp-warden rules lists every rule'],
  ];
  for (const [name, line] of cases) {
    const r = await runMain(["explain", name]);
    assert.equal(r.code, 2, name);
    assert.equal(r.stdout, "", name);
    assert.equal(r.stderr, `mcp-warden explain: ${line}\n`, name);
  }
});

test("check prints the skipped-rules note before the results, and keeps stdout for JSON", async () => {
  const args = ["check", "examples/allowed", "--exceptions", "examples/exceptions"];
  const text = await runMain(args);
  assert.equal(text.code, 0, text.stderr);
  const note = text.writes.findIndex(
    (w) => w.stream === "stderr" && /need a registry and were skipped/.test(w.text),
  );
  const results = text.writes.findIndex((w) => w.stream === "stdout");
  assert.ok(note >= 0 && results >= 0);
  assert.ok(note < results, "the note comes first");
  const json = await runMain([...args, "--format", "json"]);
  assert.equal(json.code, 0);
  assert.doesNotThrow(() => JSON.parse(json.stdout), "stdout is the JSON report alone");
  assert.match(
    json.stderr,
    /^note: image\/signed, image\/evaluated, rbac\/within-declared, network\/within-declared need a registry/m,
  );
});

test("the bin: --version and a command run under Node 24", async () => {
  const version = await runCli(["--version"]);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout, `mcp-warden ${pkg.version}\n`);
  const usage = await runCli(["check", "--fromat", "json"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^mcp-warden check: unknown option --fromat; did you mean --format\?/);
});

/** A Node older than 24 on this machine (the system's), or undefined. */
function olderNode(): { path: string; version: string } | undefined {
  for (const path of ["/usr/bin/node", "/usr/local/bin/node", "/bin/node"]) {
    if (!existsSync(path)) continue;
    const version = spawnSync(path, ["--version"], { encoding: "utf8" }).stdout.trim();
    if (Number(/^v(\d+)\./.exec(version)?.[1]) < 24) return { path, version };
  }
  return undefined;
}

const old = olderNode();

test(
  "the bin under an older Node: one line naming the Node it needs, exit 2",
  { skip: old ? false : "no Node older than 24 on this machine" },
  () => {
    for (const args of [["--version"], ["check", "examples/"]]) {
      const r = spawnSync(old!.path, [BIN, ...args], { cwd: ROOT, encoding: "utf8" });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, `mcp-warden needs Node >= 24 (this is Node ${old!.version})\n`);
    }
  },
);
