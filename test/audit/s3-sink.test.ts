/** The audit trail's write-once sink on a real MinIO: S3 Object Lock in compliance mode. */
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectRetentionCommand,
} from "@aws-sdk/client-s3";
import { compileAuditSettings } from "../../policies/audit/settings.ts";
import { verifyLog } from "../../policies/audit/verify.ts";
import { AuditWriteError } from "../../gateway/audit/errors.ts";
import { S3Sink } from "../../gateway/audit/s3-sink.ts";
import { openAuditTrail } from "../../gateway/audit/open.ts";
import { AuditTrail } from "../../gateway/audit/trail.ts";
import { SKIP_NO_MINIO, startMinio, type Minio } from "../support/minio.ts";
import { ORIGIN, observed, testKeys } from "./helpers.ts";

const keys = testKeys();
const NOW = new Date();

describe("S3 sink on MinIO", { skip: SKIP_NO_MINIO }, () => {
  let minio: Minio;
  before(async () => {
    minio = await startMinio();
    await minio.lockedBucket("audit");
  });
  after(async () => await minio?.stop());

  const sinkAt = (prefix: string) =>
    new S3Sink({
      client: minio.client,
      bucket: "audit",
      prefix,
      retentionDays: 365,
      now: () => NOW,
    });

  test("a bucket without Object Lock is refused", async () => {
    await minio.client.send(new CreateBucketCommand({ Bucket: "plain" }));
    const sink = new S3Sink({
      client: minio.client,
      bucket: "plain",
      prefix: "x/",
      retentionDays: 1,
    });
    await assert.rejects(
      sink.check(),
      (e: unknown) => e instanceof AuditWriteError && e.code === "AUDIT_CONFIG_INVALID",
    );
    await sinkAt("ok/").check();
  });

  test("a stored record is locked for the retention: it cannot be deleted, shortened or replaced", async () => {
    const sink = sinkAt("locked/");
    await sink.putRecords(0, ['{"index":0}']);
    const Key = "locked/records/00000000000000000000.jsonl";
    const head = await minio.client.send(new HeadObjectCommand({ Bucket: "audit", Key }));
    assert.equal(head.ObjectLockMode, "COMPLIANCE");
    assert.equal(head.ObjectLockRetainUntilDate?.getTime(), NOW.getTime() + 365 * 86_400_000);
    const VersionId = head.VersionId;
    const refused = async (p: Promise<unknown>) =>
      await assert.rejects(
        p,
        (e: unknown) =>
          ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0) >=
          400,
      );
    await refused(minio.client.send(new DeleteObjectCommand({ Bucket: "audit", Key, VersionId })));
    await refused(
      minio.client.send(
        new DeleteObjectCommand({
          Bucket: "audit",
          Key,
          VersionId,
          BypassGovernanceRetention: true,
        }),
      ),
    );
    await refused(
      minio.client.send(
        new PutObjectRetentionCommand({
          Bucket: "audit",
          Key,
          VersionId,
          Retention: { Mode: "COMPLIANCE", RetainUntilDate: new Date(Date.now() + 60_000) },
        }),
      ),
    );
    // A write-once put of other content under the name is refused; the same content is a retry.
    await assert.rejects(
      sink.putRecords(0, ['{"index":1}']),
      (e: unknown) => e instanceof AuditWriteError && e.code === "SINK_CONFLICT",
    );
    await sink.putRecords(0, ['{"index":0}']);
    // Versioning lets a delete marker and a new version be added, but the locked first version
    // stays, and it is what the sink reads.
    await minio.client.send(new DeleteObjectCommand({ Bucket: "audit", Key }));
    await minio.client.send(new PutObjectCommand({ Bucket: "audit", Key, Body: '{"index":7}\n' }));
    const versions = await minio.client.send(
      new ListObjectVersionsCommand({ Bucket: "audit", Prefix: Key }),
    );
    assert.ok(versions.Versions?.some((v) => v.VersionId === VersionId));
    assert.deepEqual(
      (await sink.read()).lines.map((l) => l.text),
      ['{"index":0}'],
    );
  });

  test("a gateway opens its trail on an S3 endpoint with the SDK's credentials, and not on an unlocked bucket", async () => {
    const root = await mkdtemp(join(tmpdir(), "audit-s3-open-"));
    const keyFile = join(root, "signer.key");
    await writeFile(keyFile, keys.texts.signer);
    const saved = { ...process.env };
    // The SDK's default chain, as IRSA or a mounted Secret's environment would provide it.
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: "mcp-warden",
      AWS_SECRET_ACCESS_KEY: "mcp-warden-test-secret",
    });
    try {
      const config = {
        namespace: "team-b",
        pod: "files-gateway-0",
        keyFile,
        bufferDir: join(root, "buffer"),
        sink: {
          kind: "s3" as const,
          bucket: "audit",
          endpoint: minio.endpoint,
          region: "us-east-1",
          forcePathStyle: true,
        },
        stdout: () => undefined,
      };
      const trail = await openAuditTrail(config);
      await trail.record(observed(1));
      await trail.close();
      const stored = await sinkAt("team-b/files-gateway-0/").read();
      assert.equal(
        verifyLog(stored.lines, stored.checkpoints, keys.verifier, {
          origin: "mcp-warden/team-b/files-gateway-0",
        }).covered,
        1,
      );
      await assert.rejects(
        openAuditTrail({ ...config, sink: { ...config.sink, bucket: "plain" } }),
        (e: unknown) => e instanceof AuditWriteError && e.code === "AUDIT_CONFIG_INVALID",
      );
    } finally {
      process.env = saved;
    }
  });

  test("the trail writes to MinIO, resumes on it, and waits out a killed MinIO without losing a record", async () => {
    const bufferDir = await mkdtemp(join(tmpdir(), "audit-s3-buffer-"));
    const open = () =>
      AuditTrail.open({
        origin: ORIGIN,
        signer: keys.signer,
        sink: sinkAt("team-a/crm-gateway-0/"),
        bufferDir,
        settings: compileAuditSettings({
          checkpoint: { every: 5, interval: "1h" },
          onSinkFailure: "block",
        }),
        stdout: () => undefined,
      });
    const first = await open();
    await Promise.all(Array.from({ length: 8 }, (_, i) => first.record(observed(i))));
    await first.close();

    const second = await open();
    assert.equal(second.size, 8);
    await minio.kill();
    let answered = 0;
    const held = [8, 9, 10].map((i) => second.record(observed(i)).then(() => answered++));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(answered, 0, "no call is answered while the sink is down");
    await minio.restart();
    await Promise.all(held);
    await second.close();

    const stored = await sinkAt("team-a/crm-gateway-0/").read();
    assert.equal(stored.lines.length, 11);
    const v = verifyLog(stored.lines, stored.checkpoints, keys.verifier, { origin: ORIGIN });
    assert.equal(v.covered, 11);
  });

  test("deny: with MinIO killed calls fail closed (within the sink timeout), and their records reach it once it is back", async () => {
    const bufferDir = await mkdtemp(join(tmpdir(), "audit-s3-deny-"));
    const trail = await AuditTrail.open({
      origin: ORIGIN,
      signer: keys.signer,
      sink: sinkAt("deny/"),
      bufferDir,
      settings: compileAuditSettings({ onSinkFailure: "deny" }),
      stdout: () => undefined,
      sinkTimeoutMs: 2_000,
    });
    await trail.record(observed(0));
    await minio.kill();
    await assert.rejects(
      trail.intent(observed(1)),
      (e: unknown) => e instanceof AuditWriteError && e.code === "SINK_FAILED",
    );
    await assert.rejects(
      trail.intent(observed(2)),
      (e: unknown) => e instanceof AuditWriteError && e.code === "SINK_FAILED",
    );
    await minio.restart();
    await trail.close();
    const stored = await sinkAt("deny/").read();
    assert.deepEqual(
      stored.lines.map(
        (l) => (JSON.parse(l.text) as { context: { requestId: string } }).context.requestId,
      ),
      ["req-0", "req-1", "req-2"],
    );
    assert.equal(verifyLog(stored.lines, stored.checkpoints, keys.verifier).covered, 3);
  });
});
