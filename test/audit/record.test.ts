import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import canonicalize from "canonicalize";
import { AuditError } from "../../policies/audit/errors.ts";
import { leafHash } from "../../policies/audit/merkle.ts";
import {
  buildRecord,
  canonicalRecord,
  parseRecordLine,
  recordLeaf,
  redact,
  REDACTED,
  type ObservedCall,
} from "../../policies/audit/record.ts";
import { compileAuditSettings } from "../../policies/audit/settings.ts";
import { compilePolicy } from "../../policies/workload/policy.ts";
import { InputError } from "../../policies/errors.ts";

const input = Buffer.from(
  JSON.stringify({ customer: { email: "a@example.com", id: 7 }, query: "renewals" }),
);
const output = Buffer.from(
  JSON.stringify({ content: [{ type: "text", text: "3 renewals" }], token: "s3cret" }),
);

const call: ObservedCall = {
  time: new Date("2026-12-05T08:00:00Z"),
  agent: {
    issuer: "https://kubernetes.default.svc",
    subject: "system:serviceaccount:team-a:bot",
    namespace: "team-a",
    serviceAccount: "bot",
  },
  server: { name: "crm", version: "1.2.0", imageDigest: `sha256:${"a".repeat(64)}`, pod: "crm-0" },
  method: "tools/call",
  tool: "search_customers",
  input,
  output: { bytes: output, isError: false },
  latencyMs: 12.5,
  context: {
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    requestId: "r-1",
  },
  decision: { allowed: true, reason: "granted by team-a/crm-readers" },
};

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

test("by default input and output are kept as SHA-256 and size only", () => {
  const r = buildRecord(call, compileAuditSettings(), 4, "result", 3);
  assert.deepEqual(r.input, { sha256: sha(input), bytes: input.length });
  assert.deepEqual(r.output, { sha256: sha(output), bytes: output.length, isError: false });
  assert.equal(r.index, 4);
  assert.equal(r.intent, 3);
  assert.ok(!canonicalRecord(r).includes("a@example.com"));
  assert.equal(parseRecordLine(canonicalRecord(r), "line 1").tool, "search_customers");
});

test("content is kept for the servers and tools the policy names, with the named fields redacted", () => {
  const settings = compileAuditSettings({
    content: [
      {
        servers: ["crm"],
        tools: ["search_*"],
        redact: ["/customer/email", "/token", "/absent/field"],
      },
    ],
  });
  const r = buildRecord(call, settings, 0, "result");
  assert.deepEqual(r.input.content, { customer: { email: REDACTED, id: 7 }, query: "renewals" });
  assert.deepEqual(r.output?.content, {
    content: [{ type: "text", text: "3 renewals" }],
    token: REDACTED,
  });
  // The hashes are of what was sent, not of the redacted copy.
  assert.equal(r.input.sha256, sha(input));
  const other = buildRecord({ ...call, tool: "delete_customer" }, settings, 0, "result");
  assert.equal(other.input.content, undefined);
});

test("redaction follows RFC 6901: escaped tokens, array indices, and leaves the original intact", () => {
  const value = { "a/b": { "m~n": [1, 2, 3] } };
  assert.deepEqual(redact(value, ["/a~1b/m~0n/1"]), { "a/b": { "m~n": [1, REDACTED, 3] } });
  assert.deepEqual(value, { "a/b": { "m~n": [1, 2, 3] } });
  assert.equal(redact(value, [""]), REDACTED);
});

test("the leaf is the RFC 6962 leaf hash of the RFC 8785 canonical record", () => {
  const r = buildRecord(call, compileAuditSettings(), 0, "intent");
  const canonical = canonicalRecord(r);
  assert.equal(canonical, canonicalize(r));
  assert.deepEqual(recordLeaf(canonical), leafHash(Buffer.from(canonical)));
  // Key order in a log line does not change the leaf: the verifier canonicalises what it reads.
  const reordered = JSON.stringify(Object.fromEntries(Object.entries(r).reverse()));
  assert.equal(canonicalRecord(parseRecordLine(reordered, "l")), canonical);
});

test("a line that is not a record is refused with every bad field named", () => {
  assert.throws(
    () => parseRecordLine(JSON.stringify({ index: -1, phase: "later" }), "audit.jsonl:3"),
    (e: unknown) =>
      e instanceof AuditError &&
      e.code === "AUDIT_INPUT_INVALID" &&
      e.problems.some((p) => p.path.endsWith("index")) &&
      e.problems.some((p) => p.path.endsWith("phase")),
  );
});

test("the record schema in docs/ is the one the code validates with", () => {
  const docs = readFileSync(
    new URL("../../docs/audit-record.schema.json", import.meta.url),
    "utf8",
  );
  const code = readFileSync(
    new URL("../../policies/audit/record.schema.json", import.meta.url),
    "utf8",
  );
  assert.equal(docs, code);
});

test("spec.audit is part of the policy: defaults apply, and bad keys are refused by name", () => {
  const base = {
    apiVersion: "mcp-warden.dev/v1alpha1",
    kind: "MCPWardenPolicy",
    metadata: { name: "p" },
  };
  const p = compilePolicy({
    ...base,
    spec: {
      audit: {
        retention: "2190d",
        checkpoint: { every: 10, interval: "5s" },
        onSinkFailure: "deny",
      },
    },
  });
  const s = compileAuditSettings(p.document.spec.audit);
  assert.deepEqual(
    [s.retentionDays, s.checkpointEvery, s.checkpointIntervalMs, s.onSinkFailure],
    [2190, 10, 5000, "deny"],
  );
  assert.deepEqual(
    (({ retentionDays, checkpointEvery, checkpointIntervalMs, onSinkFailure }) => [
      retentionDays,
      checkpointEvery,
      checkpointIntervalMs,
      onSinkFailure,
    ])(compileAuditSettings()),
    [365, 1000, 60000, "block"],
  );
  assert.throws(
    () =>
      compilePolicy({
        ...base,
        spec: {
          audit: { retention: "1y", onSinkFailure: "drop", content: [{ redact: ["no-slash"] }] },
        },
      }),
    (e: unknown) =>
      e instanceof InputError &&
      ["spec.audit.retention", "spec.audit.onSinkFailure", "spec.audit.content[0].redact[0]"].every(
        (f) => e.problems.some((p) => p.path === f),
      ),
  );
});
