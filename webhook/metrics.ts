import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The webhook's Prometheus metrics, on a registry of its own (no global state between apps). */
export interface WebhookMetrics {
  registry: Registry;
  decisions: Counter<"decision" | "kind" | "operation">;
  findings: Counter<"rule" | "action">;
  latency: Histogram<"decision">;
  reusedDecisions: Counter;
  stateSynced: Gauge<"resource">;
  stateAge: Gauge<"resource">;
  policyLoaded: Gauge;
}

export function createMetrics(opts: { processMetrics?: boolean } = {}): WebhookMetrics {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: "mcp_warden_" });
  return {
    registry,
    decisions: new Counter({
      name: "mcp_warden_admission_decisions_total",
      help: "Admission decisions by result (allowed, denied, skipped, error), kind and operation.",
      labelNames: ["decision", "kind", "operation"],
      registers: [registry],
    }),
    findings: new Counter({
      name: "mcp_warden_admission_findings_total",
      help: "Findings that counted in admission decisions, by rule and action.",
      labelNames: ["rule", "action"],
      registers: [registry],
    }),
    latency: new Histogram({
      name: "mcp_warden_admission_duration_seconds",
      help: "Time from request to answer.",
      labelNames: ["decision"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 8],
      registers: [registry],
    }),
    reusedDecisions: new Counter({
      name: "mcp_warden_admission_reused_decisions_total",
      help: "Decisions answered from the decision cache: a review equal but for its uid, judged from the same state.",
      registers: [registry],
    }),
    stateSynced: new Gauge({
      name: "mcp_warden_cluster_state_synced",
      help: "1 when the watch of a resource has synced and is connected, else 0.",
      labelNames: ["resource"],
      registers: [registry],
    }),
    stateAge: new Gauge({
      name: "mcp_warden_cluster_state_stale_seconds",
      help: "Seconds since the watch of a resource was last known good (0 while connected).",
      labelNames: ["resource"],
      registers: [registry],
    }),
    policyLoaded: new Gauge({
      name: "mcp_warden_policy_loaded",
      help: "1 when a valid policy is loaded, else 0.",
      registers: [registry],
    }),
  };
}
