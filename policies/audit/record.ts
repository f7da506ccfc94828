import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { isRecord } from "../guards.ts";
import { compileSchema } from "../schema-validator.ts";
import { AuditError } from "./errors.ts";
import { leafHash } from "./merkle.ts";
import { contentRuleFor, type AuditSettings } from "./settings.ts";
import recordSchema from "./record.schema.json" with { type: "json" };

/** The agent as the gateway authenticated it; null when unknown (unauthenticated or refused). */
export interface AuditAgent {
  issuer: string;
  subject: string;
  namespace?: string;
  serviceAccount?: string;
}

export interface AuditServer {
  name: string;
  version?: string;
  imageDigest?: string;
  pod?: string;
}

export interface AuditContext {
  traceparent?: string;
  tracestate?: string;
  baggage?: string;
  requestId?: string;
}

/** One audit record (docs/audit.md, docs/audit-record.schema.json). */
export interface AuditRecord {
  index: number;
  /** `intent` before a call is forwarded; `result` once it is answered, or refused. */
  phase: "intent" | "result";
  /** In a result: the index of the call's intent record, when one was written. */
  intent?: number;
  time: string;
  agent: AuditAgent | null;
  server: AuditServer;
  method: string;
  tool: string | null;
  input: { sha256: string; bytes: number; content?: unknown };
  output?: { sha256: string; bytes: number; isError: boolean; content?: unknown };
  latencyMs?: number;
  context: AuditContext;
  decision: { allowed: boolean; reason: string };
}

/** What the gateway knows of one call, before minimisation. */
export interface ObservedCall {
  time: Date;
  agent: AuditAgent | null;
  server: AuditServer;
  method: string;
  tool: string | null;
  input: Uint8Array;
  output?: { bytes: Uint8Array; isError: boolean };
  latencyMs?: number;
  context: AuditContext;
  decision: { allowed: boolean; reason: string };
}

export const REDACTED = "[REDACTED]";

const schema = compileSchema<AuditRecord>(recordSchema);

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Decodes an RFC 6901 pointer into its tokens. */
function pointerTokens(pointer: string): string[] {
  return pointer === ""
    ? []
    : pointer
        .slice(1)
        .split("/")
        .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** Replaces the value at each pointer that exists by {@link REDACTED}; the value is copied first. */
export function redact(value: unknown, pointers: readonly string[]): unknown {
  const copy: unknown = structuredClone(value);
  for (const pointer of pointers) {
    const tokens = pointerTokens(pointer);
    if (tokens.length === 0) return REDACTED;
    let parent: unknown = copy;
    for (const t of tokens.slice(0, -1)) {
      parent = Array.isArray(parent) ? parent[Number(t)] : isRecord(parent) ? parent[t] : undefined;
    }
    const last = tokens[tokens.length - 1] as string;
    if (Array.isArray(parent) && /^(0|[1-9][0-9]*)$/.test(last) && Number(last) < parent.length)
      parent[Number(last)] = REDACTED;
    else if (isRecord(parent) && Object.hasOwn(parent, last)) parent[last] = REDACTED;
  }
  return copy;
}

/** The bytes as JSON, or undefined when they are not JSON (then only their hash is kept). */
function asJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The record of a call, minimised: input and output as SHA-256 and size, their content (parsed
 * JSON, named fields redacted) only when a content rule of the policy covers the server and tool.
 */
export function buildRecord(
  call: ObservedCall,
  settings: AuditSettings,
  index: number,
  phase: AuditRecord["phase"],
  intent?: number,
): AuditRecord {
  const rule = contentRuleFor(settings, call.server.name, call.tool);
  const content = (bytes: Uint8Array): { content?: unknown } => {
    if (rule === undefined) return {};
    const json = asJson(bytes);
    return json === undefined ? {} : { content: redact(json, rule.redact) };
  };
  const record: AuditRecord = {
    index,
    phase,
    ...(intent === undefined ? {} : { intent }),
    time: call.time.toISOString(),
    agent: call.agent,
    server: call.server,
    method: call.method,
    tool: call.tool,
    input: { sha256: sha256(call.input), bytes: call.input.length, ...content(call.input) },
    ...(call.output === undefined
      ? {}
      : {
          output: {
            sha256: sha256(call.output.bytes),
            bytes: call.output.bytes.length,
            isError: call.output.isError,
            ...content(call.output.bytes),
          },
        }),
    ...(call.latencyMs === undefined ? {} : { latencyMs: call.latencyMs }),
    context: call.context,
    decision: call.decision,
  };
  return record;
}

/** RFC 8785 canonical JSON of a record: the bytes its leaf hash is taken over, and its log line. */
export function canonicalRecord(record: AuditRecord): string {
  const text = canonicalize(record);
  if (text === undefined) throw new AuditError("AUDIT_INPUT_INVALID", "a record must be JSON");
  return text;
}

export function recordLeaf(canonical: string): Buffer {
  return leafHash(Buffer.from(canonical, "utf8"));
}

/**
 * Parses one log line into a record.
 * @throws AuditError AUDIT_INPUT_INVALID naming the line when it is not a record
 */
export function parseRecordLine(line: string, where: string): AuditRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    throw new AuditError("AUDIT_INPUT_INVALID", `${where}: not JSON`, { cause: e });
  }
  const problems = schema.problems(value, where);
  if (problems.length > 0 || !schema.is(value))
    throw new AuditError("AUDIT_INPUT_INVALID", `${where}: not an audit record`, { problems });
  return value;
}
