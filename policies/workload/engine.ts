import { CHECKED_RULES, EXCEPTION_INVALID } from "./catalogue.ts";
import type { ClusterState } from "./cluster-state.ts";
import { exemptingException, resolveExceptions } from "./exceptions.ts";
import type { Glob } from "../glob.ts";
import { Horizon } from "./horizon.ts";
import type { ImageEvidence } from "./image-evidence.ts";
import type { CompiledPolicy, RuleAction } from "./policy.ts";
import type { Finding, RuleContext } from "./rule.ts";
import type { Workload } from "./workload.ts";

export interface JudgeOptions {
  policy: CompiledPolicy;
  cluster: ClusterState;
  now: Date;
  /** Registry facts; without them, rules that need a registry are skipped and listed as such. */
  evidence?: ImageEvidence | undefined;
  /** Run only the rules these globs match (`check --rules`). */
  only?: readonly Glob[] | undefined;
  /** Bounded by the instant the decision could read differently (see Horizon). */
  horizon?: Horizon | undefined;
}

export interface DecidedFinding extends Finding {
  action: Exclude<RuleAction, "off">;
  /** `namespace/name` of the exception that exempts this finding; it then neither denies nor warns. */
  exemptedBy?: string;
}

export interface Decision {
  allowed: boolean;
  findings: DecidedFinding[];
  /** Rules that did not run because they need registry facts that were not gathered. */
  skipped: string[];
  /** `namespace/name` of every exception that exempted at least one finding. */
  exceptionsUsed: string[];
}

/** One verdict for one workload: the same function decides for the CLI, the webhook and CI. */
export function judgeWorkload(workload: Workload, opts: JudgeOptions): Decision {
  const { policy, only } = opts;
  const horizon = opts.horizon ?? new Horizon();
  const selected = (id: string) => !only || only.some((g) => g.matches(id));
  const ctx: RuleContext = {
    workload,
    cluster: opts.cluster,
    settings: policy.settings,
    evidence: opts.evidence,
    now: opts.now,
    horizon,
  };
  const raw: Finding[] = [];
  const skipped: string[] = [];
  for (const rule of CHECKED_RULES) {
    if (policy.actionFor(rule.id) === "off" || !selected(rule.id)) continue;
    if (rule.needsRegistry && !opts.evidence) {
      skipped.push(rule.id);
      continue;
    }
    raw.push(...rule.check(ctx));
  }
  const resolution = resolveExceptions(workload, opts.cluster, policy, opts.now, horizon);
  if (policy.actionFor(EXCEPTION_INVALID) !== "off" && selected(EXCEPTION_INVALID)) {
    raw.push(...resolution.findings);
  }

  const findings: DecidedFinding[] = [];
  const used = new Set<string>();
  let allowed = true;
  for (const f of raw) {
    const action = policy.actionFor(f.rule);
    if (action === "off") continue;
    const exemptedBy = exemptingException(resolution, f.rule, policy);
    if (exemptedBy) {
      const id = `${exemptedBy.metadata.namespace}/${exemptedBy.metadata.name}`;
      used.add(id);
      findings.push({ ...f, action, exemptedBy: id });
      continue;
    }
    if (action === "enforce") allowed = false;
    findings.push({ ...f, action });
  }
  return { allowed, findings, skipped, exceptionsUsed: [...used] };
}
