import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { verifyLog } from "../../policies/audit/verify.ts";
import { DirectorySink } from "../../gateway/audit/directory-sink.ts";
import { AuditWriteError } from "../../gateway/audit/errors.ts";
import { auditObserver, openAuditTrail } from "../../gateway/audit/open.ts";
import type { ObservedCall } from "../../gateway/call-observer.ts";
import { testKeys } from "./helpers.ts";

const keys = testKeys();

test("the trail opens from a key file and a sink; a bad key file is named", async () => {
  const root = await mkdtemp(join(tmpdir(), "audit-open-"));
  const keyFile = join(root, "signer.key");
  await writeFile(keyFile, `${keys.texts.signer}\n`);
  const base = {
    namespace: "team-a",
    pod: "crm-gateway-0",
    keyFile,
    bufferDir: join(root, "buffer"),
    sink: { kind: "directory" as const, dir: join(root, "sink") },
  };

  const trail = await openAuditTrail(base);
  assert.equal(trail.origin, "mcp-warden/team-a/crm-gateway-0");
  const observer = auditObserver(trail);
  // As the proxy calls it (gateway/call-observer.ts): an unknown agent, raw bytes.
  const call: ObservedCall = {
    time: "2026-12-05T08:00:00Z",
    agent: "unknown" as const,
    server: {
      name: "crm",
      version: "1.0.0",
      imageDigest: `sha256:${"a".repeat(64)}`,
      pod: "crm-0",
    },
    method: "tools/call",
    tool: "search",
    input: Buffer.from('{"q":1}'),
    context: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
    decision: { allowed: true, reason: "granted" },
  };
  await observer.intent(call);
  // A result that does not name its intent: it is recorded, without a link to one.
  await observer.record({
    ...call,
    output: { bytes: Buffer.from("{}"), isError: false },
    latencyMs: 3,
  });
  await trail.close();
  const stored = await new DirectorySink(join(root, "sink")).read();
  const records = stored.lines.map(
    (l) => JSON.parse(l.text) as { agent: unknown; phase: string; intent?: number },
  );
  assert.deepEqual(
    records.map((r) => [r.phase, r.agent]),
    [
      ["intent", null],
      ["result", null],
    ],
  );
  assert.equal(verifyLog(stored.lines, stored.checkpoints, keys.verifier).covered, 2);

  const linked = await openAuditTrail(base);
  const o2 = auditObserver(linked);
  await o2.intent(call);
  await o2.record({
    ...call,
    output: { bytes: Buffer.from("{}"), isError: false },
    latencyMs: 2,
    intent: call,
  });
  await linked.close();
  const again = (await new DirectorySink(join(root, "sink")).read()).lines.map(
    (l) => JSON.parse(l.text) as { intent?: number },
  );
  assert.equal(again[3]?.intent, 2, "the result names the intent of the call it links to");

  await writeFile(keyFile, keys.texts.verifier);
  await assert.rejects(
    openAuditTrail(base),
    (e: unknown) =>
      e instanceof AuditWriteError &&
      e.code === "AUDIT_CONFIG_INVALID" &&
      e.message.includes(keyFile),
  );
  await assert.rejects(
    openAuditTrail({ ...base, keyFile: join(root, "absent") }),
    (e: unknown) => e instanceof AuditWriteError && e.code === "AUDIT_CONFIG_INVALID",
  );
});
