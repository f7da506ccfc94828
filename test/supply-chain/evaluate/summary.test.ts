import assert from "node:assert/strict";
import { test } from "node:test";
import { parseServerManifest } from "../../../policies/evaluation/server-manifest.ts";
import { releaseSummary } from "../../../supply-chain/evaluate/summary.ts";
import { validPredicate } from "../../support/evaluation.ts";

const predicate = validPredicate();
const manifest = parseServerManifest(
  JSON.stringify({ name: "io.github.acme/x", description: "x", version: "1.0.0" }),
  "server.json",
);

test("data in the job summary is text, never markup or a new table row", () => {
  const hostile =
    "t\r# ✅ pass at L4 <img src=https://attacker.example/x> [click](https://evil) | x";
  const markdown = releaseSummary(
    {
      predicate: {
        ...predicate,
        tools: [{ ...predicate.tools[0]!, name: hostile }],
      },
      manifest,
      manifestFile: "server.json",
      lockfiles: [],
      vulnerabilities: [],
      notices: [{ level: "warning", message: "stderr:\n<script>alert(1)</script>" }],
    },
    {
      image: "ghcr.io/acme/x@sha256:" + "a".repeat(64),
      minTrustLevel: "L2",
      failOnSeverity: "high",
    },
  );
  assert.doesNotMatch(markdown, /<img|<script/);
  assert.doesNotMatch(markdown, /\r/);
  assert.doesNotMatch(markdown, /\n# ✅/, "no heading injected");
  assert.match(
    markdown,
    /&lt;img src=https:\/\/attacker\.example\/x&gt; \\\[click\\\]\\\(https:\/\/evil\\\) \\\| x/,
  );
  const pinRow = markdown.split("\n").find((l) => l.includes("attacker.example"));
  assert.equal(pinRow?.split(" | ").length, 2, "one row, two cells");
  assert.match(markdown, /`ghcr\.io\/acme\/x@sha256:a{64}`/, "digests stay code");
});

test("the summary lists prompt, resource template and instructions pins, and findings with what changed", () => {
  const pin = "b".repeat(64);
  const markdown = releaseSummary(
    {
      predicate: {
        ...predicate,
        prompts: [{ name: "args-prompt", sha256: pin }],
        resourceTemplates: [
          { name: "Dynamic Text Resource", uriTemplate: "demo://{id}", sha256: pin },
        ],
        instructions: { text: "Use the tools.", sha256: pin },
        controls: [
          {
            id: "CD-05",
            status: "fail",
            findings: [
              {
                message:
                  'prompt "args-prompt" is exposed with another definition than declared: description: "a" → "b"',
                severity: "medium",
                location: "prompts/list:args-prompt",
              },
            ],
          },
        ],
      },
      manifest,
      manifestFile: "server.json",
      lockfiles: [],
      vulnerabilities: [],
      notices: [],
    },
    {
      image: "ghcr.io/acme/x@sha256:" + "a".repeat(64),
      minTrustLevel: "L2",
      failOnSeverity: "high",
    },
  );
  assert.match(markdown, /### Prompt, resource template and instructions pins/);
  assert.match(markdown, new RegExp(`\\| prompt \\| args-prompt \\| \`${pin}\` \\|`));
  assert.match(
    markdown,
    new RegExp(`\\| resource template \\| Dynamic Text Resource \\| \`${pin}\` \\|`),
  );
  assert.match(markdown, new RegExp(`\\| instructions \\|  \\| \`${pin}\` \\|`));
  assert.match(
    markdown,
    /\| CD-05 \| medium \| prompt "args-prompt" is exposed with another definition than declared: description: "a" → "b" \|/,
  );
});
