import { compileGlob, type Glob } from "../glob.ts";
import { parseDuration } from "../duration.ts";

/** `spec.audit` of the MCPWardenPolicy: what the gateway's audit trail records and keeps. */
export interface AuditSpec {
  content?: { servers?: string[]; tools?: string[]; redact?: string[] }[];
  retention?: string;
  checkpoint?: { every?: number; interval?: string };
  onSinkFailure?: "block" | "deny";
}

const globs = (description: string) =>
  ({ type: "array", items: { type: "string", minLength: 1 }, description }) as const;

/** The schema of `spec.audit`; part of the policy's schema and so of the CRD. */
export const auditSpecSchema = {
  type: "object",
  additionalProperties: false,
  description: "The gateway's audit trail of tool calls (docs/audit.md).",
  properties: {
    content: {
      type: "array",
      description:
        "Calls whose input and output content is recorded, with named fields redacted. Every other call is recorded as the SHA-256 and size of its input and output only.",
      items: {
        type: "object",
        additionalProperties: false,
        properties: {
          servers: globs("Server names ('*' globs); default every server."),
          tools: globs("Tool names ('*' globs); default every tool."),
          redact: {
            type: "array",
            description:
              'JSON pointers (RFC 6901) into the arguments and the result whose values are replaced by "[REDACTED]".',
            items: { type: "string", pattern: "^(/([^~]|~[01])*)*$" },
          },
        },
      },
    },
    retention: {
      type: "string",
      pattern: "^[1-9][0-9]*d$",
      description:
        "How long the write-once sink locks each record (S3 Object Lock, compliance mode), in days (365d). Default 365d.",
    },
    checkpoint: {
      type: "object",
      additionalProperties: false,
      properties: {
        every: {
          type: "integer",
          minimum: 1,
          description: "Sign a checkpoint after this many records (default 1000).",
        },
        interval: {
          type: "string",
          pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$",
          description: "and at least this often while records arrive (default 60s).",
        },
      },
    },
    onSinkFailure: {
      type: "string",
      enum: ["block", "deny"],
      description:
        "When the sink fails or falls behind: block holds calls until it catches up, deny fails them closed. Records are never dropped. Default block.",
    },
  },
} as const;

export interface ContentRule {
  servers: Glob[];
  tools: Glob[];
  redact: string[];
}

/** `spec.audit` compiled once, its defaults applied. */
export interface AuditSettings {
  content: ContentRule[];
  retentionDays: number;
  checkpointEvery: number;
  checkpointIntervalMs: number;
  onSinkFailure: "block" | "deny";
}

export function compileAuditSettings(spec: AuditSpec = {}): AuditSettings {
  return {
    content: (spec.content ?? []).map((c) => ({
      servers: (c.servers ?? ["*"]).map(compileGlob),
      tools: (c.tools ?? ["*"]).map(compileGlob),
      redact: c.redact ?? [],
    })),
    retentionDays: Number((spec.retention ?? "365d").slice(0, -1)),
    checkpointEvery: spec.checkpoint?.every ?? 1000,
    checkpointIntervalMs: parseDuration(spec.checkpoint?.interval ?? "60s"),
    onSinkFailure: spec.onSinkFailure ?? "block",
  };
}

/** The content rule for a call: the first whose server and tool globs both match; none means hashes only. */
export function contentRuleFor(
  settings: AuditSettings,
  server: string,
  tool: string | null,
): ContentRule | undefined {
  return settings.content.find(
    (c) => c.servers.some((g) => g.matches(server)) && c.tools.some((g) => g.matches(tool ?? "")),
  );
}
