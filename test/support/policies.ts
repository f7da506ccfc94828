import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { parseException } from "../../policies/workload/exception-schema.ts";
import { compilePolicy, type CompiledPolicy } from "../../policies/workload/policy.ts";

export function policyWith(spec: Record<string, unknown>): unknown {
  return {
    apiVersion: "mcp-warden.dev/v1alpha1",
    kind: "MCPWardenPolicy",
    metadata: { name: "p" },
    spec,
  };
}

export function defaultPolicy(): CompiledPolicy {
  return compilePolicy(
    parse(readFileSync(new URL("../../policies/default.yaml", import.meta.url), "utf8")),
  );
}

/** A pod spec that passes every offline rule of the default policy. */
export function compliantPodSpec(): Record<string, unknown> {
  return {
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [
      {
        name: "server",
        image: `ghcr.io/acme/mcp@sha256:${"a".repeat(64)}`,
        resources: { limits: { cpu: "500m", memory: "128Mi" } },
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        },
      },
    ],
  };
}

/** A NetworkPolicy that isolates every pod of a namespace both ways. */
export function denyAll(namespace: string) {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "deny-all", namespace },
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
  };
}

/**
 * The default policy with the registry rules off: for tests of everything else, where no image
 * is in a registry. (Admission never skips those rules on its own; the policy has to say so.)
 */
export function offlinePolicy(): CompiledPolicy {
  const doc = parse(
    readFileSync(new URL("../../policies/default.yaml", import.meta.url), "utf8"),
  ) as {
    spec: { rules: Record<string, string> };
  };
  doc.spec.rules["image/signed"] = "off";
  doc.spec.rules["image/evaluated"] = "off";
  return compilePolicy(doc);
}

/** An MCPWardenException for the sandbox rules in team-a, with `spec` fields replaced. */
export function exception(name: string, namespace: string, spec: Record<string, unknown> = {}) {
  return parseException({
    apiVersion: "mcp-warden.dev/v1alpha1",
    kind: "MCPWardenException",
    metadata: { name, namespace },
    spec: { rules: ["sandbox/*"], namespaces: ["team-a"], reason: "test", ...spec },
  });
}
