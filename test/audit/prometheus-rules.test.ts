/** The shipped PrometheusRule, checked and unit-tested with the real promtool (Debian's prometheus). */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { isRecord } from "../../policies/guards.ts";

const run = promisify(execFile);
const RULE = new URL("../../deploy/components/monitoring/prometheusrule.yaml", import.meta.url)
  .pathname;
const CASES = new URL("prometheus-rules.tests.yaml", import.meta.url).pathname;
const PROMTOOL = process.env.MCP_WARDEN_PROMTOOL ?? "promtool";

const skip = await run(PROMTOOL, ["--version"]).then(
  () => false,
  () => "promtool is not installed (apt-get install prometheus)",
);

/** The PrometheusRule's groups as a plain Prometheus rule file, beside a copy of the cases. */
async function ruleFiles(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mcp-warden-promtool-"));
  const rule: unknown = parse(await readFile(RULE, "utf8"));
  assert.ok(isRecord(rule) && rule.kind === "PrometheusRule" && isRecord(rule.spec));
  await writeFile(join(dir, "rules.yaml"), stringify({ groups: rule.spec.groups }));
  await copyFile(CASES, join(dir, "tests.yaml"));
  return dir;
}

test("promtool check rules accepts the PrometheusRule's groups", { skip }, async () => {
  const dir = await ruleFiles();
  const { stdout } = await run(PROMTOOL, ["check", "rules", join(dir, "rules.yaml")]);
  assert.match(stdout, /SUCCESS: 12 rules found/);
});

test(
  "promtool test rules: each alert fires on the series that should, and not on the others",
  { skip },
  async () => {
    const dir = await ruleFiles();
    const r = await run(PROMTOOL, ["test", "rules", join(dir, "tests.yaml")]).then(
      (x) => ({ code: 0, out: x.stdout + x.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        out: e.stdout + e.stderr,
      }),
    );
    assert.equal(r.code, 0, r.out);
    // Every alert of the rule is exercised by a case.
    const cases = await readFile(CASES, "utf8");
    const rule = await readFile(RULE, "utf8");
    for (const [, name] of rule.matchAll(/- alert: (\S+)/g))
      assert.ok(cases.includes(`alertname: ${name}`), `${name} has a case`);
  },
);

test("the cases would catch a weaker rule: a raised threshold fails them", { skip }, async () => {
  const dir = await ruleFiles();
  const rules = join(dir, "rules.yaml");
  const text = await readFile(rules, "utf8");
  const weaker = text.replace(
    "> 5 * server_tool:mcp_warden_gateway_calls:rate5m_avg1d",
    "> 50 * server_tool:mcp_warden_gateway_calls:rate5m_avg1d",
  );
  assert.notEqual(weaker, text);
  await writeFile(rules, weaker);
  const r = await run(PROMTOOL, ["test", "rules", join(dir, "tests.yaml")]).then(
    () => 0,
    // promtool reports failed cases on stderr.
    (e: { code: number; stdout: string; stderr: string }) =>
      `${e.stdout}${e.stderr}`.includes("alertname: MCPWardenCallRateAnomaly") ? e.code : -1,
  );
  assert.equal(r, 1);
});
