/**
 * `check` reads ConfigMaps among its inputs as cluster state: a credential a container takes from
 * one is reported at the container's reference, with the ConfigMap's file and line as a related
 * location (JSON and SARIF); a ConfigMap the API server would refuse is bad input.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../support/cli.ts";
import { ALNUM, seededRandom } from "../support/fake-credentials.ts";
import { sarifValidator } from "../support/sarif.ts";

const random = seededRandom(0x0c0f_16a0);
const PASSWORD = random(16, ALNUM);
const tmp = mkdtempSync(join(tmpdir(), "mcp-warden-check-configmaps-"));

function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: crm, namespace: team-a }
spec:
  selector: { matchLabels: { app: crm } }
  template:
    metadata: { labels: { app: crm } }
    spec:
      containers:
        - name: server
          image: ghcr.io/acme/crm@sha256:${"a".repeat(64)}
          envFrom:
            - configMapRef: { name: crm-settings }
`;

const configMap = (data: string) => `apiVersion: v1
kind: ConfigMap
metadata: { name: crm-settings, namespace: team-a }
data:
${data}`;

test("a password in a ConfigMap the workload loads is reported with the ConfigMap's line", async () => {
  const workload = file("deploy.yaml", deployment);
  const settings = file(
    "settings.yaml",
    configMap(
      `  LOG_LEVEL: debug\n  DATABASE_URL: "postgres://crm:${PASSWORD}@db:5432/crm"\n  REGION: eu-west-1\n`,
    ),
  );
  const check = (format: string) =>
    runCli(["check", workload, settings, "--rules", "credentials/*", "--format", format]);
  const json = await check("json");
  assert.equal(json.code, 1, json.stderr);
  assert.ok(!json.stdout.includes(PASSWORD), "the password is not repeated");
  const report = JSON.parse(json.stdout) as {
    results: {
      findings: {
        rule: string;
        path: string;
        related?: { kind: string; name: string; source?: string; line?: number; path: string }[];
      }[];
    }[];
  };
  const [finding, ...rest] = report.results[0]?.findings ?? [];
  assert.equal(rest.length, 0);
  assert.equal(finding?.rule, "credentials/no-literal-secrets");
  assert.equal(finding?.path, "spec.template.spec.containers[0].envFrom[0].configMapRef");
  assert.deepEqual(finding?.related, [
    {
      kind: "ConfigMap",
      namespace: "team-a",
      name: "crm-settings",
      source: settings,
      line: 6,
      path: "data.DATABASE_URL",
    },
  ]);

  const sarif = await check("sarif");
  const log = JSON.parse(sarif.stdout) as {
    runs: {
      results: {
        relatedLocations?: {
          physicalLocation?: { region?: { startLine: number } };
        }[];
      }[];
    }[];
  };
  assert.deepEqual(sarifValidator()(log).slice(0, 5), []);
  assert.equal(
    log.runs[0]?.results[0]?.relatedLocations?.[0]?.physicalLocation?.region?.startLine,
    6,
  );

  // Without the ConfigMap among the inputs its contents are not known, and nothing is reported.
  const alone = await runCli(["check", workload, "--rules", "credentials/*"]);
  assert.equal(alone.code, 0, alone.stdout + alone.stderr);
});

test("a ConfigMap the API server would refuse is bad input, and the workload is still judged", async () => {
  const workload = file("deploy-2.yaml", deployment);
  // Unquoted `yes` is a boolean to kubectl; the API server rejects a ConfigMap value that is not a string.
  const settings = file("settings-bad.yaml", configMap("  ENABLED: yes\n"));
  const r = await runCli(["check", workload, settings, "--rules", "credentials/*"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /settings-bad\.yaml document 1.*invalid ConfigMap.*data\.ENABLED/);
  assert.match(r.stdout, /^PASS Deployment team-a\/crm/m);
});
