import { randomBytes } from "node:crypto";
import { keyPairFromSeed, parseSigner, parseVerifier } from "../../policies/audit/note.ts";
import type { ObservedCall } from "../../policies/audit/record.ts";

export const ORIGIN = "mcp-warden/team-a/crm-gateway-0";

export function testKeys() {
  const k = keyPairFromSeed("audit.test/team-a", randomBytes(32));
  return { ...k, signer: parseSigner(k.signer), verifier: parseVerifier(k.verifier), texts: k };
}

/** A tools/call as the gateway observes it. */
export function observed(n: number, over: Partial<ObservedCall> = {}): ObservedCall {
  return {
    time: new Date(Date.UTC(2026, 11, 5, 8, 0, 0, n)),
    agent: {
      issuer: "https://kubernetes.default.svc",
      subject: "system:serviceaccount:team-a:bot",
    },
    server: {
      name: "crm",
      version: "1.0.0",
      imageDigest: `sha256:${"b".repeat(64)}`,
      pod: "crm-0",
    },
    method: "tools/call",
    tool: "search",
    input: Buffer.from(JSON.stringify({ q: `query ${n}` })),
    output: {
      bytes: Buffer.from(JSON.stringify({ content: [{ type: "text", text: `answer ${n}` }] })),
      isError: false,
    },
    latencyMs: n % 17,
    context: { requestId: `req-${n}` },
    decision: { allowed: true, reason: "granted" },
    ...over,
  };
}
