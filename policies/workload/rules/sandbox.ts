import { fieldPath } from "../../field-path.ts";
import { quantitySign } from "../quantity.ts";
import type { Finding, Rule } from "../rule.ts";
import { containerLabel, type ContainerRef } from "../workload.ts";

/** Ephemeral containers cannot carry resources or be made read-only by their creator's intent. */
function runtimeContainers(refs: readonly ContainerRef[]): ContainerRef[] {
  return refs.filter((c) => c.kind !== "ephemeralContainers");
}

const readOnlyRootFilesystem: Rule = {
  id: "sandbox/read-only-root-filesystem",
  title: "Every container and init container mounts its root filesystem read-only.",
  check({ workload }) {
    return runtimeContainers(workload.containers)
      .filter((ref) => ref.container.securityContext?.readOnlyRootFilesystem !== true)
      .map((ref) => ({
        rule: this.id,
        message: `${containerLabel(ref)} must set securityContext.readOnlyRootFilesystem=true (mount an emptyDir where it needs to write)`,
        path: fieldPath(ref.path, "securityContext", "readOnlyRootFilesystem"),
      }));
  },
};

const resourceLimits: Rule = {
  id: "sandbox/resource-limits",
  title: "Every container and init container has cpu and memory limits.",
  check({ workload }) {
    const findings: Finding[] = [];
    for (const ref of runtimeContainers(workload.containers)) {
      const limits = ref.container.resources?.limits ?? {};
      for (const resource of ["cpu", "memory"]) {
        const value = limits[resource];
        const sign = value === undefined ? undefined : quantitySign(value);
        if (sign !== "positive") {
          const why =
            value === undefined
              ? "is not set"
              : sign === undefined
                ? `is ${JSON.stringify(value)}, which is not a Kubernetes quantity`
                : `is ${JSON.stringify(value)}, which is ${sign === "zero" ? "zero: no limit at all" : "negative"}`;
          findings.push({
            rule: this.id,
            message: `${containerLabel(ref)} must set a non-zero resources.limits.${resource} (it ${why})`,
            path: fieldPath(ref.path, "resources", "limits", resource),
          });
        }
      }
    }
    return findings;
  },
};

const volumeIsolation: Rule = {
  id: "sandbox/volume-isolation",
  title: "No persistentVolumeClaim volumes unless the policy allows them.",
  check({ workload, settings }) {
    if (settings.allowPersistentVolumeClaims) return [];
    const findings: Finding[] = [];
    (workload.podSpec.volumes ?? []).forEach((volume, i) => {
      if (volume.persistentVolumeClaim !== undefined) {
        findings.push({
          rule: this.id,
          message: `volume ${JSON.stringify(volume.name ?? `#${i}`)} mounts persistentVolumeClaim ${JSON.stringify(volume.persistentVolumeClaim.claimName ?? "")}: claims can be shared between servers; use emptyDir or allow claims in the policy`,
          path: fieldPath(workload.specPath, "volumes", i, "persistentVolumeClaim"),
        });
      }
    });
    return findings;
  },
};

const serviceAccountToken: Rule = {
  id: "sandbox/service-account-token",
  title: "The pod sets automountServiceAccountToken: false.",
  check({ workload }) {
    if (workload.podSpec.automountServiceAccountToken === false) return [];
    return [
      {
        rule: this.id,
        message:
          "pod must set automountServiceAccountToken=false: an MCP server should not hold a Kubernetes API token",
        path: fieldPath(workload.specPath, "automountServiceAccountToken"),
      },
    ];
  },
};

export const sandboxRules: readonly Rule[] = [
  readOnlyRootFilesystem,
  resourceLimits,
  volumeIsolation,
  serviceAccountToken,
];
