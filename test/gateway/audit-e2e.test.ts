/**
 * The gateway with its audit trail on, end to end with real parts: `mcp-warden gateway` as a child
 * process (bin/mcp-warden.js) in front of the published server-everything, held to an evaluation
 * signed in a real registry, agents from a real OIDC issuer on loopback, the SDK client over TLS,
 * and the trail's write-once sink in a real MinIO (S3 Object Lock). Calls allowed and denied leave
 * exactly their records; `mcp-warden audit verify` proves the sink's log; a gateway SIGKILLed under
 * load and started again leaves no acknowledged call without its record.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { stringify } from "yaml";
import { S3Sink } from "../../gateway/audit/s3-sink.ts";
import type { AuditRecord } from "../../policies/audit/record.ts";
import { makeTestCA, issueServingCert } from "../e2e/support/certs.ts";
import { BIN, runCli, runMain } from "../support/cli.ts";
import { writeStoredLog } from "../support/stored-log.ts";
import { SKIP_NO_MINIO, startMinio, type Minio } from "../support/minio.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../support/registry-server.ts";
import { testKeys } from "../audit/helpers.ts";
import {
  fetchTrusting,
  freePort,
  signedEvaluation,
  startEverything,
  startOidcIssuer,
  type OidcIssuer,
  type RunningServer,
} from "./support.ts";

const NAMESPACE = "mcp";
const POD = "everything-gw-0";
const BUCKET = "audit-e2e";
const ALLOWED = 12;
const DENIED = 6;
// The load under which the gateway is killed: bounded in calls and in time.
const WORKERS = 6;
const MAX_LOAD_CALLS = 600;
const LOAD_MS = 20_000;
const KILL_AFTER_ACKS = 40;
const CALL_TIMEOUT_MS = 10_000;

interface Gateway {
  child: ChildProcess;
  stdout: string[];
  stderr: () => string;
  exited: Promise<number | null>;
}

describe(
  "the gateway's audit trail, end to end",
  { skip: SKIP_NO_REGISTRY || SKIP_NO_MINIO, timeout: 300_000 },
  () => {
    let registry: RegistryServer;
    let server: RunningServer;
    let oidc: OidcIssuer;
    let minio: Minio;
    let dir: string;
    let image: string;
    let args: string[];
    let base: string;
    let metricsUrl: string;
    let trusting: typeof fetch;
    let gateway: Gateway | undefined;
    const keys = testKeys();

    before(async () => {
      [registry, server, oidc, minio] = await Promise.all([
        startRegistry(),
        startEverything(),
        startOidcIssuer(),
        startMinio(),
      ]);
      await minio.lockedBucket(BUCKET);
      dir = await mkdtemp(join(tmpdir(), "mcp-warden-audit-e2e-"));
      // get-env is not in the evaluation: a call to it is denied.
      const signed = await signedEvaluation(
        registry,
        server.url,
        [{ name: "triage", subjects: [{ issuer: oidc.issuer, subject: "alice" }] }],
        ["get-env"],
      );
      image = signed.image;
      await writeFile(
        join(dir, "policy.yaml"),
        stringify(
          signed.policy({
            // echo's arguments are recorded, its message redacted only under "secret".
            audit: {
              content: [{ tools: ["echo"], redact: ["/arguments/secret"] }],
              retention: "1d",
              checkpoint: { every: 25, interval: "1s" },
              onSinkFailure: "block",
            },
          }),
        ),
      );
      await writeFile(
        join(dir, "access.yaml"),
        stringify({
          apiVersion: "mcp-warden.dev/v1alpha1",
          kind: "MCPWardenAccess",
          metadata: { name: "triage", namespace: "mcp-warden-system" },
          spec: {
            server: { namespace: NAMESPACE, name: "everything" },
            agents: ["triage"],
            tools: ["echo", "get-env"],
            reason: "test",
          },
        }),
      );
      await writeFile(join(dir, "audit.key"), keys.texts.signer);
      await writeFile(join(dir, "audit.pub"), keys.texts.verifier);
      const ca = await makeTestCA();
      const serving = await issueServingCert(ca, { ipAddresses: ["127.0.0.1"] });
      await writeFile(join(dir, "tls.crt"), serving.cert);
      await writeFile(join(dir, "tls.key"), serving.key);
      trusting = fetchTrusting(ca.cert);
      const [port, metricsPort] = [await freePort(), await freePort()];
      base = `https://127.0.0.1:${port}`;
      metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
      args = [
        "gateway",
        "--upstream",
        server.url.href,
        "--tls-cert",
        join(dir, "tls.crt"),
        "--tls-key",
        join(dir, "tls.key"),
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--metrics-port",
        String(metricsPort),
        "--server-image",
        image,
        "--audience",
        "gateway-test",
        "--oidc-issuer",
        oidc.issuer,
        "--oidc-audience",
        "gateway-test",
        "--policy",
        join(dir, "policy.yaml"),
        "--access",
        join(dir, "access.yaml"),
        "--server-namespace",
        NAMESPACE,
        "--server-name",
        "everything",
        "--pod",
        POD,
        "--tuf-cache",
        join(dir, "tuf"),
        "--audit-key",
        join(dir, "audit.key"),
        "--audit-buffer",
        join(dir, "buffer"),
        "--audit-sink",
        `s3://${BUCKET}/gateways`,
        "--audit-s3-endpoint",
        minio.endpoint,
        "--log-level",
        "warn",
      ];
    });

    after(async () => {
      if (gateway && gateway.child.exitCode === null && gateway.child.signalCode === null) {
        gateway.child.kill("SIGKILL");
        await gateway.exited;
      }
      await server?.stop();
      await oidc?.close();
      await registry?.stop();
      await minio?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** Starts the gateway process and waits (bounded) until it is ready. */
    async function startGatewayProcess(): Promise<Gateway> {
      const child = spawn(process.execPath, [BIN, ...args], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, ...minio.credentialsEnv, AWS_REGION: "us-east-1" },
      });
      const g: Gateway = {
        child,
        stdout: [],
        stderr: () => err,
        exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
      };
      let err = "";
      let rest = "";
      child.stderr?.on("data", (b: Buffer) => (err += b.toString()));
      child.stdout?.on("data", (b: Buffer) => {
        const parts = (rest + b.toString()).split("\n");
        rest = parts.pop() ?? "";
        g.stdout.push(...parts);
      });
      const deadline = Date.now() + 90_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`the gateway exited: ${err}`);
        const ready = await trusting(`${base}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ready) return g;
        if (Date.now() > deadline) throw new Error(`the gateway did not become ready: ${err}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }

    async function connect(subject: string): Promise<Client> {
      const token = await oidc.token({ sub: subject });
      const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        requestInit: {
          headers: { authorization: `Bearer ${token}`, "x-request-id": `req-${subject}` },
        },
        fetch: trusting,
      });
      const client = new Client({ name: "audit-e2e", version: "1" });
      await client.connect(transport);
      return client;
    }

    function sink(): S3Sink {
      return new S3Sink({
        client: minio.client,
        bucket: BUCKET,
        prefix: `gateways/${NAMESPACE}/${POD}/`,
        retentionDays: 1,
      });
    }

    async function stored(): Promise<{ records: AuditRecord[]; checkpoints: number }> {
      const log = await sink().read();
      return {
        records: log.lines.map((l) => JSON.parse(l.text) as AuditRecord),
        checkpoints: log.checkpoints.length,
      };
    }

    /** `mcp-warden audit verify` on what the sink holds, copied out as a log and its checkpoints. */
    async function verifySink(): Promise<{ code: number | null; covered?: number; out: string }> {
      const log = await sink().read();
      const { logFile, checkpoints } = await writeStoredLog(dir, log);
      const r = await runMain([
        "audit",
        "verify",
        logFile,
        "--checkpoints",
        checkpoints,
        "--key",
        join(dir, "audit.pub"),
        "--format",
        "json",
      ]);
      const report =
        r.stdout.length > 0 ? (JSON.parse(r.stdout) as { covered?: number }) : undefined;
      return {
        code: r.code,
        ...(report?.covered === undefined ? {} : { covered: report.covered }),
        out: r.stdout + r.stderr,
      };
    }

    /** Polls (bounded) until the sink's newest checkpoint covers `size` records. */
    async function signedUpTo(size: number): Promise<void> {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const v = await verifySink();
        if (v.code === 0 && v.covered === size) return;
        if (Date.now() > deadline) throw new Error(`no checkpoint covers ${size}: ${v.out}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }

    const denied = async (client: Client, name: string) =>
      client.callTool({ name, arguments: {} }).then(
        () => assert.fail(`${name} was allowed`),
        (e: { code?: number }) => assert.equal(e.code, -32003),
      );

    test("allowed and denied calls leave exactly their records, and the sink's log verifies", async () => {
      gateway = await startGatewayProcess();
      const alice = await connect("alice");
      const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
      for (let i = 0; i < ALLOWED; i++) {
        const result = await alice.callTool({
          name: "echo",
          arguments: { message: `m-${i}` },
          _meta: { traceparent },
        });
        assert.deepEqual(result.content, [{ type: "text", text: `Echo: m-${i}` }]);
      }
      for (let i = 0; i < DENIED; i++) await denied(alice, i % 2 === 0 ? "get-env" : "nope");
      await alice.close();

      // Every call is durable in the sink before it is answered: no waiting needed to count.
      const { records } = await stored();
      assert.equal(
        records.length,
        2 * ALLOWED + DENIED,
        "an intent and a result per allowed call, a result per denial",
      );
      assert.deepEqual(
        records.map((r) => r.index),
        records.map((_, i) => i),
      );
      const results = records.filter((r) => r.phase === "result");
      const intents = records.filter((r) => r.phase === "intent");
      assert.equal(intents.length, ALLOWED);
      for (const r of results.filter((x) => x.decision.allowed)) {
        const intent = records[r.intent ?? -1];
        assert.equal(intent?.phase, "intent", "a result names its intent");
        assert.equal(intent.input.sha256, r.input.sha256);
      }
      const echo = results.find((r) => r.tool === "echo");
      assert.ok(echo);
      assert.deepEqual(echo.agent, { issuer: oidc.issuer, subject: "alice" });
      assert.equal(echo.server.name, "io.github.modelcontextprotocol/server-everything");
      assert.equal(echo.server.pod, POD);
      assert.equal(`${image.split("@")[0]}@${echo.server.imageDigest}`, image);
      assert.equal(echo.method, "tools/call");
      assert.equal(echo.context.traceparent, traceparent);
      assert.equal(echo.context.requestId, "req-alice");
      assert.equal(
        (echo.input.content as { arguments: { message: string } }).arguments.message,
        "m-0",
      );
      assert.equal(echo.output?.isError, false);
      const refusals = results.filter((r) => !r.decision.allowed);
      assert.equal(refusals.length, DENIED);
      assert.ok(refusals.every((r) => r.intent === undefined && r.output?.isError === true));
      assert.deepEqual([...new Set(refusals.map((r) => r.tool))].sort(), ["get-env", "nope"]);

      // Printed on stdout as JSON lines, the same records.
      const printed = new Set(gateway.stdout.filter((l) => l.includes('"phase"')));
      assert.equal(printed.size, records.length);

      await signedUpTo(records.length);

      // The metrics the shipped PrometheusRule reads, with the labels it groups by.
      const metrics = await (await fetch(metricsUrl)).text();
      assert.match(
        metrics,
        new RegExp(
          `mcp_warden_gateway_calls_total\\{[^}]*tool="echo",decision="allowed",agent="triage"\\} ${ALLOWED}`,
        ),
      );
      assert.match(
        metrics,
        new RegExp(
          `mcp_warden_gateway_calls_total\\{[^}]*tool="unknown",decision="denied",agent="triage"\\} ${DENIED}`,
        ),
      );
      assert.match(
        metrics,
        /mcp_warden_gateway_call_duration_seconds_bucket\{[^}]*server="[^"]+",tool="echo",decision="allowed"\}/,
      );
      assert.match(metrics, /^mcp_warden_audit_sink_lag_records 0$/m);
    });

    test("a gateway SIGKILLed under load and started again: every acknowledged call has its records, the log verifies", async () => {
      assert.ok(gateway);
      const before = (await stored()).records.length;
      const acked = new Set<string>();
      let sent = 0;
      let stop = false;
      const clients = await Promise.all(Array.from({ length: WORKERS }, () => connect("alice")));
      const started = Date.now();
      const workers = clients.map(async (client, w) => {
        while (!stop && sent < MAX_LOAD_CALLS && Date.now() - started < LOAD_MS) {
          const message = `load-${w}-${sent++}`;
          try {
            // A call cut off by the kill is never answered: the client stops waiting after a while.
            const r = await client.callTool({ name: "echo", arguments: { message } }, undefined, {
              timeout: CALL_TIMEOUT_MS,
            });
            if (!r.isError) acked.add(message);
          } catch {
            // The gateway was killed: this call was not acknowledged.
            return;
          }
        }
      });
      // Kill once enough calls were acknowledged (bounded in time).
      const deadline = Date.now() + LOAD_MS;
      while (acked.size < KILL_AFTER_ACKS && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      gateway.child.kill("SIGKILL");
      await gateway.exited;
      stop = true;
      await Promise.all(workers);
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      assert.ok(acked.size >= KILL_AFTER_ACKS, `${acked.size} calls acknowledged before the kill`);

      // Started again on the same buffer and sink: the log resumes where the sink ends.
      gateway = await startGatewayProcess();
      const alice = await connect("alice");
      for (let i = 0; i < 3; i++)
        await alice.callTool({ name: "echo", arguments: { message: `after-${i}` } });
      await denied(alice, "get-env");
      await alice.close();
      gateway.child.kill("SIGTERM");
      assert.equal(await gateway.exited, 0, gateway.stderr());

      const { records } = await stored();
      assert.deepEqual(
        records.map((r) => r.index),
        records.map((_, i) => i),
        "one log, no gap or repeat across the restart",
      );
      const message = (r: AuditRecord) =>
        (r.input.content as { arguments?: { message?: string } } | undefined)?.arguments?.message;
      const load = records.slice(before).filter((r) => message(r)?.startsWith("load-"));
      const intents = new Map(
        load.filter((r) => r.phase === "intent").map((r) => [message(r), r.index]),
      );
      const results = load.filter((r) => r.phase === "result");
      assert.equal(intents.size, load.filter((r) => r.phase === "intent").length, "no call twice");
      for (const m of acked) {
        const result = results.find((r) => message(r) === m);
        assert.ok(result, `the acknowledged call ${m} has its result record`);
        assert.equal(result.intent, intents.get(m), `and its intent record`);
      }
      // Calls cut off by the kill may have an intent without a result, never a result alone.
      assert.ok(results.every((r) => intents.get(message(r)) === r.intent));
      assert.equal(
        records.length,
        before + intents.size + results.length + 2 * 3 + 1,
        "the records are the calls made: intents and results under load, then 3 allowed and 1 denied",
      );
      // Stopped with SIGTERM: a last checkpoint signs the whole log.
      const v = await verifySink();
      assert.equal(v.code, 0, v.out);
      assert.equal(v.covered, records.length);
    });

    test("the gateway refuses to start on an unreadable audit key or a bucket without Object Lock", async () => {
      await minio.client.send(new CreateBucketCommand({ Bucket: "unlocked" }));
      const cases: [string, string, RegExp][] = [
        ["--audit-key", join(dir, "absent.key"), /audit key .*absent\.key: cannot be read/],
        [
          "--audit-sink",
          "s3://unlocked",
          /bucket unlocked: (no Object Lock|Object Lock is not enabled)/,
        ],
      ];
      for (const [flag, value, message] of cases) {
        const changed = [...args];
        changed[changed.indexOf(flag) + 1] = value;
        const r = await runCli(changed, {
          env: { ...process.env, ...minio.credentialsEnv, AWS_REGION: "us-east-1" },
        });
        assert.equal(r.code, 2, `${flag} ${value}: ${r.stderr}`);
        assert.match(r.stderr, message);
      }
    });
  },
);
