import { yamlExample, type Explanation, type Rule } from "./rule.ts";
import { credentialRules } from "./rules/credentials.ts";
import { imageRules } from "./rules/image.ts";
import { networkRules } from "./rules/network.ts";
import { networkWithinDeclared } from "./rules/network-declared.ts";
import { podSecurityRules } from "./rules/pod-security.ts";
import { rbacRules } from "./rules/rbac.ts";
import { runtimeRules } from "./rules/runtime.ts";
import { sandboxRules } from "./rules/sandbox.ts";

/** Rules that judge a workload's own fields and its cluster state. */
export const CHECKED_RULES: readonly Rule[] = [
  ...podSecurityRules,
  ...sandboxRules,
  ...networkRules,
  ...credentialRules,
  ...imageRules,
  ...rbacRules,
  networkWithinDeclared,
  ...runtimeRules,
];

export const EXCEPTION_INVALID = "exception/invalid";
/** Raised by an edge when a request cannot be judged; wildcards never match it. */
export const ADMISSION_ERROR = "admission/error";

export interface RuleInfo {
  id: string;
  title: string;
  needsRegistry: boolean;
  /** Why the rule exists and how to pass it (`mcp-warden explain`). */
  explain: Explanation;
}

/** Every rule id the policy may name, with what it requires. */
export const CATALOGUE: readonly RuleInfo[] = [
  ...CHECKED_RULES.map((r) => ({
    id: r.id,
    title: r.title,
    needsRegistry: r.needsRegistry ?? false,
    explain: r.explain,
  })),
  {
    id: EXCEPTION_INVALID,
    title:
      "Every exception a workload requests exists, is unexpired, lives in an exception namespace, covers the workload's namespace and names only exemptible rules.",
    needsRegistry: false,
    explain: {
      why: "An exception is how a workload gets past a rule, so only reviewed exceptions may work: ones in the namespaces the policy trusts (created by whoever reviews exceptions, not by the workload's authors), unexpired, covering the workload's namespace and naming only rules the policy lets be exempted. An exception requested but not granted is refused loudly, so a self-granted or lapsed one never fails silently.",
      fix: "Create the MCPWardenException in one of the policy's spec.exceptions.namespaces (default: mcp-warden-system), naming the rules (ids or globs the policy's exemptible covers), the workload's namespace, a reason and an expiry, and request it by name in the pod template's mcp-warden.dev/exception annotation; or remove the name from the annotation. Offline, check reads exceptions only from --exceptions PATH. No exception can exempt from this rule.",
      example: yamlExample`
        apiVersion: mcp-warden.dev/v1alpha1
        kind: MCPWardenException
        metadata:
          name: mcp-example-egress
          namespace: mcp-warden-system
        spec:
          rules: ["network/egress-restricted"]
          namespaces: ["mcp-servers"]
          reason: the vendor API has no stable address range; egress goes through the proxy (SEC-1234)
          expires: "2026-12-31T00:00:00Z"
        ---
        spec:
          template:
            metadata:
              annotations:
                mcp-warden.dev/exception: mcp-example-egress
      `,
    },
  },
];

export const RULE_IDS: readonly string[] = CATALOGUE.map((r) => r.id);
