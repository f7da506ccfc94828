import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The gateway's metrics, on a registry of its own. `agent` is a declared agent's name or
 * `unknown`: an unauthenticated or undeclared caller never chooses a label value, so nobody can
 * drive label cardinality with made-up identities. `tool` is an approved tool's name (`unknown`
 * for any other name a call gives) or the method for prompts and resources. The PrometheusRule in
 * deploy/components/monitoring is written against these names and labels.
 */
export interface GatewayMetrics {
  registry: Registry;
  calls: Counter<"server" | "tool" | "decision" | "agent">;
  duration: Histogram<"server" | "tool" | "decision">;
  drift: Counter<"server" | "tool" | "reason">;
}

export function createGatewayMetrics(opts: { processMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (opts.processMetrics)
    collectDefaultMetrics({ register: registry, prefix: "mcp_warden_gateway_" });
  return {
    registry,
    calls: new Counter({
      name: "mcp_warden_gateway_calls_total",
      help: "Calls (tools/call, prompts/get, resources/read) by server, tool, decision and declared agent.",
      labelNames: ["server", "tool", "decision", "agent"],
      registers: [registry],
    }),
    duration: new Histogram({
      name: "mcp_warden_gateway_call_duration_seconds",
      help: "Time from a call's request to its answer, through the gateway, by server, tool and decision.",
      labelNames: ["server", "tool", "decision"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    drift: new Counter({
      name: "mcp_warden_gateway_definition_drift_total",
      help: "Listed definitions withheld because the signed evaluation does not approve them (not in it, changed, malformed).",
      labelNames: ["server", "tool", "reason"],
      registers: [registry],
    }),
  };
}
