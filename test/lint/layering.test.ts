import assert from "node:assert/strict";
import { test } from "node:test";
import { ESLint } from "eslint";
import { ROOT } from "../support/cli.ts";

// The layering rules of eslint.config.js, each shown failing on a violating source placed in the
// folder it guards. Only those rules run, without type information: they need none, and the
// probe files do not exist on disk.
const LAYERING_RULES = new Set([
  "no-restricted-imports",
  "no-restricted-syntax",
  "no-restricted-globals",
  "no-restricted-properties",
]);

const eslint = new ESLint({
  cwd: ROOT,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => LAYERING_RULES.has(ruleId),
});

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${filePath}` });
  assert.ok(result, `no lint result for ${filePath}`);
  return result.messages.map((m) => {
    assert.equal(m.severity, 2, `${filePath}: ${m.message}`);
    return m.ruleId ?? `fatal: ${m.message}`;
  });
}

async function assertRejected(filePath: string, code: string, ruleId: string): Promise<void> {
  assert.deepEqual(await problems(filePath, code), [ruleId], `${filePath}: ${code}`);
}

async function assertAllowed(filePath: string, code: string): Promise<void> {
  assert.deepEqual(await problems(filePath, code), [], `${filePath}: ${code}`);
}

test("policies/ imports no Node I/O module, with or without the node: prefix", async () => {
  for (const source of ["fs", "node:fs", "node:fs/promises", "net", "node:http", "https"]) {
    await assertRejected(`policies/probe.ts`, `import "${source}";\n`, "no-restricted-imports");
  }
  for (const source of ["child_process", "node:worker_threads", "dns", "node:tls", "node:os"]) {
    await assertRejected(
      `policies/workload/rules/probe.ts`,
      `export * from "${source}";\n`,
      "no-restricted-imports",
    );
  }
  await assertAllowed(`policies/probe.ts`, `import { createHash } from "node:crypto";\n`);
});

test("policies/ reads no environment, process state or clock", async () => {
  await assertRejected(
    `policies/probe.ts`,
    `export const e = process.env.HOME;\n`,
    "no-restricted-globals",
  );
  await assertRejected(
    `policies/evaluation/probe.ts`,
    `export const a = globalThis.process.argv;\n`,
    "no-restricted-properties",
  );
  await assertRejected(
    `policies/probe.ts`,
    `export const t = Date.now();\n`,
    "no-restricted-properties",
  );
  await assertRejected(
    `policies/probe.ts`,
    `export const t = new Date();\n`,
    "no-restricted-syntax",
  );
  await assertAllowed(
    `policies/probe.ts`,
    `export const t = (now: Date) => new Date(now.getTime());\n`,
  );
});

test("policies/ imports nothing outside policies/ but its npm packages", async () => {
  await assertRejected(`policies/probe.ts`, `import "../cli/check.ts";\n`, "no-restricted-imports");
  await assertRejected(
    `policies/workload/rules/probe.ts`,
    `import "../../../supply-chain/registry/client.ts";\n`,
    "no-restricted-imports",
  );
  await assertRejected(`policies/probe.ts`, `import "fastify";\n`, "no-restricted-imports");
  await assertAllowed(
    `policies/workload/rules/probe.ts`,
    `import "../rule.ts";\nimport "./image.ts";\nimport "yaml";\nimport "ajv";\nimport "canonicalize";\n`,
  );
  await assertRejected(`policies/probe.ts`, `await import("./rule.ts");\n`, "no-restricted-syntax");
});

test("supply-chain/ imports no edge, and neither @actions/* nor fastify", async () => {
  for (const edge of ["cli/main.ts", "webhook/app.ts", "action/run.ts", "gateway/proxy.ts"]) {
    await assertRejected(
      `supply-chain/scan/osv/probe.ts`,
      `import "../../../${edge}";\n`,
      "no-restricted-imports",
    );
  }
  await assertRejected(
    `supply-chain/probe.ts`,
    `import "../webhook/app.ts";\n`,
    "no-restricted-imports",
  );
  await assertRejected(
    `supply-chain/sign/probe.ts`,
    `import "@actions/core";\n`,
    "no-restricted-imports",
  );
  await assertRejected(
    `supply-chain/verify/probe.ts`,
    `import "fastify";\n`,
    "no-restricted-imports",
  );
  await assertAllowed(
    `supply-chain/verify/probe.ts`,
    `import "../../policies/workload/policy.ts";\nimport "../registry/client.ts";\nimport "node:fs";\n`,
  );
});

test("cluster/ imports no edge, and neither @actions/* nor fastify; the edges share it", async () => {
  for (const edge of ["cli/check.ts", "webhook/app.ts", "action/run.ts", "gateway/proxy.ts"]) {
    await assertRejected(`cluster/probe.ts`, `import "../${edge}";\n`, "no-restricted-imports");
  }
  await assertRejected(`cluster/probe.ts`, `import "fastify";\n`, "no-restricted-imports");
  await assertRejected(
    `cluster/probe.ts`,
    `import "../test/support/cli.ts";\n`,
    "no-restricted-imports",
  );
  await assertAllowed(
    `cluster/probe.ts`,
    `import "../policies/workload/policy.ts";\nimport "@kubernetes/client-node";\nimport "node:https";\n`,
  );
  await assertAllowed(`webhook/probe.ts`, `import "../cluster/state.ts";\n`);
  await assertAllowed(`cli/probe.ts`, `import "../cluster/api.ts";\n`);
});

test("the edges do not import each other or cli/", async () => {
  const cases: [string, string][] = [
    ["webhook/probe.ts", "../action/run.ts"],
    ["webhook/probe.ts", "../gateway/proxy.ts"],
    ["webhook/probe.ts", "../cli/main.ts"],
    ["action/probe.ts", "../webhook/app.ts"],
    ["action/probe.ts", "../cli/check.ts"],
    ["gateway/audit/probe.ts", "../../webhook/app.ts"],
    ["gateway/probe.ts", "../action/run.ts"],
  ];
  for (const [file, source] of cases) {
    await assertRejected(file, `import "${source}";\n`, "no-restricted-imports");
  }
  await assertAllowed(
    `webhook/probe.ts`,
    `import "../policies/workload/engine.ts";\nimport "../supply-chain/verify/evidence.ts";\nimport "fastify";\n`,
  );
  await assertAllowed(`action/probe.ts`, `import "@actions/core";\nimport "../package.json";\n`);
});

test("only cli/ dispatches to the edges; entry points, tests and tools import what they need", async () => {
  await assertAllowed(
    `cli/probe.ts`,
    `import "../webhook/server.ts";\nimport "../action/run.ts";\nawait import("./evaluate.ts");\n`,
  );
  await assertRejected(
    `cli/probe.ts`,
    `import "../test/support/cli.ts";\n`,
    "no-restricted-imports",
  );
  await assertAllowed(`bin/probe.js`, `import "../cli/main.ts";\n`);
  await assertAllowed(`test/unit/probe.ts`, `import "../../cli/check.ts";\nimport "node:fs";\n`);
  await assertAllowed(`bench/probe.ts`, `import "../webhook/app.ts";\n`);
  await assertAllowed(`scripts/probe.ts`, `import "../action/index.ts";\n`);
});
