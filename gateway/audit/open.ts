import { readFile } from "node:fs/promises";
import { S3Client } from "@aws-sdk/client-s3";
import type { Registry } from "prom-client";
import { auditOrigin } from "../../policies/audit/checkpoint.ts";
import { AuditError } from "../../policies/audit/errors.ts";
import { parseSigner } from "../../policies/audit/note.ts";
import type { AuditContext, ObservedCall as AuditInput } from "../../policies/audit/record.ts";
import { compileAuditSettings, type AuditSpec } from "../../policies/audit/settings.ts";
import { DirectorySink } from "./directory-sink.ts";
import { AuditWriteError } from "./errors.ts";
import { S3Sink } from "./s3-sink.ts";
import type { AuditSink } from "./sink.ts";
import { AuditTrail } from "./trail.ts";
import type { CallObserver, ObservedCall, ObservedRecord } from "../call-observer.ts";

export type AuditSinkConfig =
  | { kind: "directory"; dir: string }
  | {
      kind: "s3";
      bucket: string;
      /** Default `<namespace>/<pod>/`. */
      prefix?: string;
      /** An S3-compatible endpoint; default AWS. Credentials come from the SDK's default chain. */
      endpoint?: string;
      region?: string;
      forcePathStyle?: boolean;
    };

/** What a gateway needs to open its audit trail, gathered from its flags and environment. */
export interface AuditConfig {
  namespace: string;
  pod: string;
  /** The signer key file (a mounted Secret), `PRIVATE+KEY+...`. */
  keyFile: string;
  /** The pod's emptyDir. */
  bufferDir: string;
  sink: AuditSinkConfig;
  /** The policy's `spec.audit`. */
  audit?: AuditSpec;
  registry?: Registry;
  onSinkError?: (err: unknown) => void;
  /** Each record's JSON line (default: process.stdout). */
  stdout?: (line: string) => void;
}

/**
 * Opens the gateway's audit trail: reads the signing key, checks that an S3 bucket locks what it
 * stores, and resumes the log on what the sink holds.
 * @throws AuditWriteError AUDIT_CONFIG_INVALID naming the key file or bucket; SINK_CORRUPT
 */
export async function openAuditTrail(config: AuditConfig): Promise<AuditTrail> {
  let keyText: string;
  try {
    keyText = await readFile(config.keyFile, "utf8");
  } catch (e) {
    throw new AuditWriteError(
      "AUDIT_CONFIG_INVALID",
      `audit key ${config.keyFile}: cannot be read`,
      { cause: e },
    );
  }
  let signer;
  try {
    signer = parseSigner(keyText);
  } catch (e) {
    if (e instanceof AuditError)
      throw new AuditWriteError(
        "AUDIT_CONFIG_INVALID",
        `audit key ${config.keyFile}: ${e.message}`,
        { cause: e },
      );
    throw e;
  }
  const settings = compileAuditSettings(config.audit);
  let sink: AuditSink;
  if (config.sink.kind === "directory") {
    sink = new DirectorySink(config.sink.dir);
  } else {
    const s3 = new S3Sink({
      client: new S3Client({
        ...(config.sink.endpoint === undefined ? {} : { endpoint: config.sink.endpoint }),
        ...(config.sink.region === undefined ? {} : { region: config.sink.region }),
        forcePathStyle: config.sink.forcePathStyle ?? false,
      }),
      bucket: config.sink.bucket,
      prefix: config.sink.prefix ?? `${config.namespace}/${config.pod}/`,
      retentionDays: settings.retentionDays,
    });
    await s3.check();
    sink = s3;
  }
  return await AuditTrail.open({
    origin: auditOrigin(config.namespace, config.pod),
    signer,
    sink,
    bufferDir: config.bufferDir,
    settings,
    ...(config.registry === undefined ? {} : { registry: config.registry }),
    ...(config.onSinkError === undefined ? {} : { onSinkError: config.onSinkError }),
    ...(config.stdout === undefined ? {} : { stdout: config.stdout }),
  });
}

/** Maps a call as the proxy observes it onto the audit record's input: an unknown agent is null. */
export function toObservedCall(call: ObservedCall | ObservedRecord): AuditInput {
  const context = Object.fromEntries(
    Object.entries(call.context).filter(([, v]) => typeof v === "string"),
  ) as AuditContext;
  const agent = call.agent;
  return {
    time: new Date(call.time),
    agent:
      agent === "unknown"
        ? null
        : {
            issuer: agent.issuer,
            subject: agent.subject,
            ...(agent.namespace === undefined ? {} : { namespace: agent.namespace }),
            ...(agent.serviceAccount === undefined ? {} : { serviceAccount: agent.serviceAccount }),
          },
    server: { ...call.server },
    method: call.method,
    tool: call.tool ?? null,
    input: call.input,
    ...("output" in call ? { output: call.output, latencyMs: call.latencyMs } : {}),
    context,
    decision: call.decision,
  };
}

/**
 * The proxy's call observer (gateway/call-observer.ts) over a trail: `intent` before forwarding,
 * `record` before answering (or for a denial); both reject with AuditWriteError to fail the call
 * closed. A result is linked to its intent through `record.intent`, the object `intent` was given.
 */
export function auditObserver(trail: AuditTrail): CallObserver {
  return {
    intent: async (call) => {
      await trail.intent(toObservedCall(call), call);
    },
    record: async (record) => {
      await trail.record(toObservedCall(record), record.intent ?? record);
    },
  };
}
