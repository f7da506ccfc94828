import { fieldPath } from "../../field-path.ts";
import { quantitySign } from "../quantity.ts";
import { yamlExample, type Finding, type Rule } from "../rule.ts";
import { isRecord } from "../../guards.ts";
import { containerLabel, type ContainerRef } from "../workload.ts";
import { isWindows } from "./pod-security.ts";

/** Ephemeral containers cannot carry resources or be made read-only by their creator's intent. */
function runtimeContainers(refs: readonly ContainerRef[]): ContainerRef[] {
  return refs.filter((c) => c.kind !== "ephemeralContainers");
}

const readOnlyRootFilesystem: Rule = {
  id: "sandbox/read-only-root-filesystem",
  title: "Every container and init container mounts its root filesystem read-only.",
  explain: {
    why: "A writable root filesystem lets a compromised server rewrite its own code and libraries, drop tools beside them and keep them until the container restarts. Read-only, the container stays the image that was evaluated and signed.",
    fix: "Set securityContext.readOnlyRootFilesystem: true on every container and init container, and mount an emptyDir wherever the server writes (/tmp, a cache directory). Windows pods (spec.os.name: windows) are not checked: the API server does not let them set it.",
    example: yamlExample`
      spec:
        template:
          spec:
            containers:
              - name: server
                securityContext:
                  readOnlyRootFilesystem: true
                volumeMounts:
                  - name: tmp
                    mountPath: /tmp
            volumes:
              - name: tmp
                emptyDir:
                  sizeLimit: 64Mi
    `,
  },
  check({ workload }) {
    // The API server rejects readOnlyRootFilesystem in a pod declared Windows, as PSA skips it.
    if (isWindows(workload.podSpec)) return [];
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
  explain: {
    why: "Without limits, one server (looping on a hostile input, or flooded with tool calls) can take every CPU and all the memory of its node, starving the workloads beside it and the node's own components.",
    fix: "Set a non-zero resources.limits.cpu and resources.limits.memory on every container and init container, and requests beside them so the scheduler places the pod where they fit. The server's manifest declares what it needs (permissions.resources).",
    example: yamlExample`
      spec:
        template:
          spec:
            containers:
              - name: server
                resources:
                  requests:
                    cpu: 100m
                    memory: 128Mi
                  limits:
                    cpu: 500m
                    memory: 256Mi
    `,
  },
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
  explain: {
    why: "A persistentVolumeClaim can be mounted by other pods too, so servers (or a server and whoever compromised another) share data across the isolation the rest of the policy builds; and a claim outlives the pod, carrying whatever was written into the next run.",
    fix: "Use an emptyDir for data the server needs only while it runs. A server that must keep data gets a claim of its own, and the policy must allow claims: spec.sandbox.allowPersistentVolumeClaims: true. A StatefulSet's volumeClaimTemplates are claims in its pods and count the same.",
    example: yamlExample`
      spec:
        template:
          spec:
            containers:
              - name: server
                volumeMounts:
                  - name: cache
                    mountPath: /var/cache/mcp
            volumes:
              - name: cache
                emptyDir:
                  sizeLimit: 1Gi
    `,
  },
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
    // The StatefulSet controller gives each pod a persistentVolumeClaim per claim template, and
    // the pods are judged at admission with them: judge the templates where they are written.
    const spec = workload.kind === "StatefulSet" ? workload.object.spec : undefined;
    const templates = isRecord(spec) ? spec.volumeClaimTemplates : undefined;
    (Array.isArray(templates) ? templates : []).forEach((template: unknown, i) => {
      const meta = isRecord(template) && isRecord(template.metadata) ? template.metadata : {};
      const name = typeof meta.name === "string" ? meta.name : `#${i}`;
      findings.push({
        rule: this.id,
        message: `volume claim template ${JSON.stringify(name)} mounts a persistentVolumeClaim in every pod, which outlives the pod; use emptyDir or allow claims in the policy`,
        path: fieldPath("spec", "volumeClaimTemplates", i),
      });
    });
    return findings;
  },
};

const serviceAccountToken: Rule = {
  id: "sandbox/service-account-token",
  title: "The pod sets automountServiceAccountToken: false.",
  explain: {
    why: "By default every pod gets a token of its ServiceAccount that the Kubernetes API accepts, mounted where any process of the pod can read it. An MCP server runs on model output and rarely needs the API; a token it holds acts, for whoever steers or compromises it, with every right its ServiceAccount is granted.",
    fix: "Set automountServiceAccountToken: false in the pod spec. A server that needs a token for another service (workload identity with a cloud provider) mounts a projected serviceAccountToken volume with that service's audience and a short expirationSeconds instead: the kubelet rotates it, the Kubernetes API does not accept it for another audience, and this rule passes.",
    example: yamlExample`
      spec:
        template:
          spec:
            automountServiceAccountToken: false
            containers:
              - name: server
                volumeMounts:
                  - name: cloud-token
                    mountPath: /var/run/secrets/tokens/cloud
                    readOnly: true
            volumes:
              - name: cloud-token
                projected:
                  sources:
                    - serviceAccountToken:
                        audience: sts.example.com # the identity provider's audience
                        expirationSeconds: 3600
                        path: token
    `,
  },
  check({ workload }) {
    if (workload.podSpec.automountServiceAccountToken === false) return [];
    return [
      {
        rule: this.id,
        message:
          "pod must set automountServiceAccountToken=false: an MCP server should not hold a Kubernetes API token; if it needs a token for another service (workload identity), mount a projected serviceAccountToken volume with that service's audience and a short expirationSeconds, which this rule allows",
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
