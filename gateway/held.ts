import type { Logger } from "pino";
import type { EvaluationPredicate } from "../policies/evaluation/predicate.ts";
import type { ToolDefinition } from "../policies/evaluation/tool-pins.ts";
import { ArgumentValidators } from "../policies/runtime/arguments.ts";
import {
  baselineOf,
  checkPrompt,
  checkTool,
  checkTools,
  type Baseline,
  type Withheld,
} from "../policies/runtime/decide.ts";
import type { GatewayMetrics } from "./metrics.ts";
import type { Listing } from "./upstream.ts";

/**
 * The server as the signed evaluation approved it: the pins, and which of the definitions the
 * server lists now match them. Calls are allowed only to tools in `approved`.
 */
export class HeldServer {
  readonly baseline: Baseline;
  readonly validators = new ArgumentValidators();
  private tools = new Map<string, ToolDefinition>();
  // The names in `tools`, made once per change rather than per call.
  private approvedNames: ReadonlySet<string> | undefined;
  private prompts = new Set<string>();
  private listed = false;
  private readonly server: string;
  private readonly metrics: GatewayMetrics;
  private readonly logger: Logger;

  constructor(
    predicate: EvaluationPredicate,
    deps: { server: string; metrics: GatewayMetrics; logger: Logger },
  ) {
    this.baseline = baselineOf(predicate);
    this.server = deps.server;
    this.metrics = deps.metrics;
    this.logger = deps.logger;
  }

  /** True once the server's own listing has been checked. */
  get ready(): boolean {
    return this.listed;
  }

  tool(name: string): ToolDefinition | undefined {
    return this.tools.get(name);
  }

  approvedTools(): ReadonlySet<string> {
    this.approvedNames ??= new Set(this.tools.keys());
    return this.approvedNames;
  }

  approvedPrompts(): ReadonlySet<string> {
    return this.prompts;
  }

  /** Counts and logs one withheld definition. */
  drifted(kind: "tool" | "prompt", w: Withheld): void {
    this.metrics.drift.inc({ server: this.server, tool: w.name, reason: w.reason });
    this.logger.warn(
      { event: "definition-drift", kind, name: w.name, reason: w.reason, changed: w.changed },
      `${kind} ${w.name} withheld: ${w.reason}${w.changed ? ` (${w.changed.join(", ")})` : ""}`,
    );
  }

  /** Replaces what is approved with what `listing` holds that matches the pins. */
  update(listing: Listing): void {
    const tools = checkTools(listing.tools, this.baseline);
    for (const w of tools.withheld) this.drifted("tool", w);
    const prompts = new Set<string>();
    for (const item of listing.prompts) {
      const { withheld } = checkPrompt(item, this.baseline);
      if (withheld) this.drifted("prompt", withheld);
      else prompts.add((item as { name: string }).name);
    }
    this.tools = tools.approved;
    this.approvedNames = undefined;
    this.prompts = prompts;
    this.listed = true;
  }

  /**
   * Whether a tool an answer lists is approved; a changed definition seen in any answer
   * withdraws the tool until the next listing approves it again.
   */
  admitListedTool(item: unknown): boolean {
    const checked = checkTool(item, this.baseline);
    if ("tool" in checked) return this.tools.has(checked.tool.name);
    this.drifted("tool", checked.withheld);
    if (checked.withheld.reason === "definition-changed") {
      this.tools.delete(checked.withheld.name);
      this.approvedNames = undefined;
    }
    return false;
  }

  admitListedPrompt(item: unknown): boolean {
    const { withheld } = checkPrompt(item, this.baseline);
    if (!withheld) return this.prompts.has((item as { name: string }).name);
    this.drifted("prompt", withheld);
    if (withheld.reason === "definition-changed") this.prompts.delete(withheld.name);
    return false;
  }
}
