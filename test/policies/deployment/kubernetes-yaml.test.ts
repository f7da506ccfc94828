import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDocuments } from "../../../cli/documents.ts";
import { renderYamlStream } from "../../../policies/deployment/kubernetes-yaml.ts";

test("strings that kubectl would read as booleans or numbers are written quoted", () => {
  const tricky = [
    "on",
    "off",
    "yes",
    "No",
    "y",
    "N",
    "0777",
    "0b101",
    "0o17",
    "1_000",
    "1:30",
    "2026-01-01",
    "true",
    "~",
    "null",
    ".5",
    "1e3",
  ];
  const labels = Object.fromEntries(tricky.map((v, i) => [`k${i}`, v]));
  const text = renderYamlStream({
    header: ["test"],
    objects: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", labels } }],
  });
  const [doc] = parseDocuments("generated.yaml", text);
  const read = (doc!.object as { metadata: { labels: Record<string, unknown> } }).metadata.labels;
  assert.deepEqual(read, labels);
});
