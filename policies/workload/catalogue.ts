import type { Rule } from "./rule.ts";
import { credentialRules } from "./rules/credentials.ts";
import { imageRules } from "./rules/image.ts";
import { networkRules } from "./rules/network.ts";
import { podSecurityRules } from "./rules/pod-security.ts";
import { rbacRules } from "./rules/rbac.ts";
import { sandboxRules } from "./rules/sandbox.ts";

/** Rules that judge a workload's own fields and its cluster state. */
export const CHECKED_RULES: readonly Rule[] = [
  ...podSecurityRules,
  ...sandboxRules,
  ...networkRules,
  ...credentialRules,
  ...imageRules,
  ...rbacRules,
];

export const EXCEPTION_INVALID = "exception/invalid";
/** Raised by an edge when a request cannot be judged; wildcards never match it. */
export const ADMISSION_ERROR = "admission/error";

export interface RuleInfo {
  id: string;
  title: string;
  needsRegistry: boolean;
}

/** Every rule id the policy may name, with what it requires. */
export const CATALOGUE: readonly RuleInfo[] = [
  ...CHECKED_RULES.map((r) => ({
    id: r.id,
    title: r.title,
    needsRegistry: r.needsRegistry ?? false,
  })),
  {
    id: EXCEPTION_INVALID,
    title:
      "Every exception a workload requests exists, is unexpired, lives in an exception namespace, covers the workload's namespace and names only exemptible rules.",
    needsRegistry: false,
  },
];

export const RULE_IDS: readonly string[] = CATALOGUE.map((r) => r.id);
