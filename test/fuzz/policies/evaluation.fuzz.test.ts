/**
 * The readers of release inputs: evaluation predicates, server.json manifests and ignore files.
 * Each input gives a value or the project's typed error, never a TypeError, and none hangs.
 */
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { WardenError } from "../../../policies/errors.ts";
import { parseIgnoreFile } from "../../../policies/evaluation/ignores.ts";
import { parsePredicate } from "../../../policies/evaluation/predicate.ts";
import { parseServerManifest } from "../../../policies/evaluation/server-manifest.ts";
import { fuzz, returnsOrThrowsTyped } from "../../support/fuzz.ts";
import { mutate, mutateText, mutation, textMutation } from "../../support/fuzz-json.ts";

const TYPED = [WardenError];
const predicates = ["valid-predicate.json", "everything-predicate.json"].map(
  (name) =>
    JSON.parse(
      readFileSync(new URL(`../../fixtures/evaluation/${name}`, import.meta.url), "utf8"),
    ) as unknown,
);

test("evaluation predicates: mutated ones are read or EVALUATION_INVALID", async (t) => {
  await fuzz(
    t,
    fc.property(
      fc.constantFrom(...predicates),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      (predicate, m) => returnsOrThrowsTyped(() => parsePredicate(mutate(predicate, m)), TYPED),
    ),
    100,
  );
});

const MANIFEST = JSON.stringify(
  {
    name: "io.github.acme/crm",
    description: "CRM tools",
    version: "1.2.0",
    packages: [
      {
        registryType: "oci",
        identifier: "ghcr.io/acme/crm:1.2.0",
        transport: { type: "stdio" },
        environmentVariables: [{ name: "CRM_TOKEN", isSecret: true }],
      },
    ],
    _meta: {
      "dev.mcp-warden/permissions": {
        egress: [{ host: "api.crm.example", port: 443 }],
        ingress: {
          agents: [{ name: "sales", subjects: [{ issuer: "https://id.example", subject: "s" }] }],
        },
        filesystem: [{ path: "/data", access: "read" }],
        credentials: [{ name: "CRM_TOKEN" }],
      },
      "dev.mcp-warden/tools": [],
    },
  },
  null,
  2,
);

test("server.json manifests: damaged text and wrong types are read or MANIFEST_INVALID", async (t) => {
  await fuzz(
    t,
    fc.property(
      fc.array(textMutation, { maxLength: 3 }),
      fc.array(mutation, { maxLength: 3 }),
      (textDamage, valueDamage) => {
        const text = mutateText(
          JSON.stringify(mutate(JSON.parse(MANIFEST), valueDamage)),
          textDamage,
        );
        returnsOrThrowsTyped(() => parseServerManifest(text, "server.json"), TYPED);
      },
    ),
    100,
  );
});

test("ignore files: damaged YAML is read or INPUT_INVALID", async (t) => {
  const text =
    "ignore:\n  - id: CVE-2025-0001\n    reason: not reachable\n    expires: 2026-07-01\n  - id: GHSA-xxxx-yyyy-zzzz\n    reason: r\n";
  await fuzz(
    t,
    fc.property(fc.array(textMutation, { minLength: 1, maxLength: 4 }), (m) =>
      returnsOrThrowsTyped(
        () => parseIgnoreFile(mutateText(text, m), ".mcp-warden-ignore.yaml"),
        TYPED,
      ),
    ),
    100,
  );
});
