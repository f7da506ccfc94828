import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { readDocuments } from "../../cli/documents.ts";
import { runCli } from "../support/cli.ts";

// Manifests others published to deploy MCP servers (test/fixtures/upstream/realworld, see its SOURCES.md).
const REALWORLD = new URL("../fixtures/upstream/realworld/", import.meta.url).pathname;
const FILES = readdirSync(REALWORLD).filter((f) => f.endsWith(".yaml"));

interface Decision {
  file: string;
  document: number;
  path: string;
  what: string;
  rules: string[];
}

interface FixJson {
  decisions: Decision[];
  remaining: unknown[];
  files: { file: string; changed: boolean; content: string }[];
}

interface CheckJson {
  results: {
    name: string;
    source: string;
    line: number;
    findings: { rule: string; action: string; path: string; exemptedBy?: string }[];
  }[];
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcp-warden-fix-realworld-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fixJson(path: string): Promise<FixJson> {
  const r = await runCli(["fix", path, "--format", "json"]);
  assert.equal(r.code, 1, r.stderr);
  return JSON.parse(r.stdout) as FixJson;
}

/** The comment of every line that has one, as written (`# kubectl needs root ...`). */
function comments(text: string): string[] {
  return text
    .split("\n")
    .map((line) => /(?:^|\s)(#.*)$/.exec(line)?.[1]?.trimEnd())
    .filter((c): c is string => c !== undefined);
}

const leftOpen = new Set<string>();

for (const name of FILES) {
  test(`fix ${name}: the output passes check but for the decisions it lists, keeps comments, is idempotent`, async () => {
    const input = readFileSync(join(REALWORLD, name), "utf8");
    const fixed = await fixJson(join(REALWORLD, name));
    assert.deepEqual(fixed.remaining, []);
    const [file] = fixed.files;
    assert.ok(file?.changed);
    const output = file.content;

    // It parses, every document of it.
    const read = readDocuments(name, output);
    assert.deepEqual(read.problems, []);

    // Every comment of the input is still there.
    for (const c of comments(input)) assert.ok(output.includes(c), `lost comment ${c}`);

    // check on the output: every denying finding is one a decision names, in that document.
    const copy = join(dir, name);
    await writeFile(copy, output);
    const checked = await runCli(["check", copy, "--format", "json"]);
    const { results } = JSON.parse(checked.stdout) as CheckJson;
    assert.ok(results.length > 0);
    for (const result of results) {
      const documentOf = read.documents.find((d) => d.line === result.line)?.index;
      assert.notEqual(documentOf, undefined, `${result.name} at line ${result.line}`);
      for (const f of result.findings) {
        if (f.action !== "enforce" || f.exemptedBy !== undefined) continue;
        leftOpen.add(f.rule);
        const decision = fixed.decisions.find(
          (d) => d.document === documentOf && d.rules.includes(f.rule),
        );
        assert.ok(decision, `${result.name}: ${f.rule} at ${f.path} fails with no decision`);
      }
    }
    // Each decision that leaves a rule open names a rule that does fail.
    for (const d of fixed.decisions.filter((x) => x.rules.length > 0)) {
      const failing = results.flatMap((r) => r.findings.map((f) => f.rule));
      for (const rule of d.rules) assert.ok(failing.includes(rule), `${d.path}: ${rule}`);
    }

    // Fixing the output changes nothing and lists the same decisions.
    const again = await fixJson(copy);
    assert.equal(again.files[0]?.content, output);
    assert.equal(again.files[0]?.changed, false);
    const describe = (ds: Decision[]) => ds.map((d) => `${d.document} ${d.path}: ${d.what}`).sort();
    assert.deepEqual(describe(again.decisions), describe(fixed.decisions));
  });
}

test("what stays open on the published manifests is only what a person must decide", () => {
  // Digests (no registry here), RBAC grants, and kubectl-mcp-server's explicit runAsNonRoot: false.
  assert.deepEqual([...leftOpen].sort(), [
    "image/digest-pinned",
    "pod-security/run-as-non-root",
    "rbac/no-pod-exec",
    "rbac/no-secret-read",
    "rbac/no-workload-create",
  ]);
});
