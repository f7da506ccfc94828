/**
 * The seam between the proxy and the audit trail (DESIGN.md "Audit trail"): the proxy calls the
 * observer once per call and per denial. `intent` is awaited before a call is forwarded and
 * `record` before its answer (or the denial) is returned, so a record is durable before the
 * agent sees the outcome. A failing observer fails the call closed.
 */

/** Who called: the verified identity, or `unknown` when the caller could not be authenticated. */
export type ObservedAgent =
  { issuer: string; subject: string; namespace?: string; serviceAccount?: string } | "unknown";

export interface ObservedServer {
  name: string;
  version: string;
  imageDigest: string;
  pod: string;
}

export interface ObservedContext {
  traceparent?: string;
  tracestate?: string;
  baggage?: string;
  /** The value of the configured request-id header. */
  requestId?: string;
}

export interface ObservedCall {
  /** RFC 3339, when the gateway received the request. */
  time: string;
  agent: ObservedAgent;
  /** The declared agent the identity maps to, if any. */
  declaredAgent?: string;
  server: ObservedServer;
  /** The JSON-RPC method (`tools/call`, `prompts/get`, `resources/read`...). */
  method: string;
  /** The tool or prompt name, or the resource URI; absent for methods without one. */
  tool?: string;
  /** The raw bytes of the request's `params` as the agent sent them. */
  input: Uint8Array;
  context: ObservedContext;
  decision: { allowed: boolean; reason: string };
}

export interface ObservedRecord extends ObservedCall {
  /** The raw bytes of the answer's `result` (or `error`); empty for a denial the gateway answered. */
  output: { bytes: Uint8Array; isError: boolean };
  latencyMs: number;
  /**
   * The object given to `intent` for this call, so an observer can link the result to its intent;
   * absent for a denial, which has no intent.
   */
  intent?: ObservedCall;
}

export interface CallObserver {
  /** Before an allowed call is forwarded; a rejection fails the call. */
  intent(call: ObservedCall): Promise<void>;
  /** Before the answer to a call, or a denial, is returned; a rejection fails the call. */
  record(record: ObservedRecord): Promise<void>;
}

/** The default: observes nothing. */
export const NO_OBSERVER: CallObserver = {
  intent: () => Promise.resolve(),
  record: () => Promise.resolve(),
};
