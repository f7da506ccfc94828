import { dnsLabel } from "../../deployment/kubernetes-names.ts";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../../deployment/kubernetes-manifests.ts";
import type { NetworkPolicy } from "../../deployment/kubernetes-objects.ts";
import { renderYamlStream, type NodeComment } from "../../deployment/kubernetes-yaml.ts";
import { egressRules } from "../../deployment/network-policy-rules.ts";
import { isRecord } from "../../guards.ts";
import type { Labels } from "../k8s-types.ts";
import { SET_BY_API_SERVER, type Workload } from "../workload.ts";
import { marker } from "./markers.ts";

/**
 * A default-deny NetworkPolicy for a workload no policy isolates: DNS egress (the generator's
 * rule), nothing else. Who may call the server and what it calls cannot be read from a
 * Deployment, so both are left closed and marked for a person to fill in.
 */

export type Direction = "Ingress" | "Egress";

export interface DefaultDenyInput {
  workload: Workload;
  /** The directions no NetworkPolicy among the inputs restricts. */
  directions: readonly Direction[];
  /** The service account is granted Kubernetes API access among the inputs. */
  usesApi: boolean;
  /**
   * Names of the NetworkPolicies already in the workload's namespace: one of the same name would
   * replace it when applied, so the policy takes the next free name.
   */
  taken: ReadonlySet<string>;
}

/** `<workload>-default-deny`, or `-2`, `-3`… after it when that name is taken. */
function policyName(workload: Workload, taken: ReadonlySet<string>): string {
  const base = `${workload.name}-default-deny`;
  let name = dnsLabel(base, "mcp-server-default-deny");
  for (let i = 2; taken.has(name); i++)
    name = dnsLabel(`${base}-${i}`, `mcp-server-default-deny-${i}`);
  return name;
}

/**
 * The labels that select exactly the workload's pods: the controller's `matchLabels` when its
 * selector has nothing else, otherwise the pod's own labels. Undefined when there are none.
 */
export function podSelectorLabels(workload: Workload): Labels | undefined {
  const spec = workload.object.spec;
  const selector = isRecord(spec) && isRecord(spec.selector) ? spec.selector : undefined;
  if (
    workload.kind !== "Pod" &&
    selector !== undefined &&
    isRecord(selector.matchLabels) &&
    selector.matchExpressions === undefined &&
    Object.keys(selector.matchLabels).length > 0
  ) {
    return Object.fromEntries(Object.entries(selector.matchLabels).map(([k, v]) => [k, String(v)]));
  }
  // A Job's uid (and a CronJob's Job names) are not known yet: their stand-ins are no label value.
  const labels = Object.entries(workload.podMeta.labels ?? {}).filter(
    ([, v]) => v !== SET_BY_API_SERVER,
  );
  return labels.length > 0 ? Object.fromEntries(labels) : undefined;
}

/** The ports the pod's containers and sidecars (init containers restarted Always) declare, as `8000/TCP`. */
function declaredPorts(workload: Workload): string[] {
  const ports = workload.containers
    .filter(
      (c) =>
        c.kind === "containers" ||
        (c.kind === "initContainers" && c.container.restartPolicy === "Always"),
    )
    .flatMap((c) => c.container.ports ?? [])
    .map((p) => `${String(p.containerPort)}/${p.protocol ?? "TCP"}`);
  return [...new Set(ports)];
}

/**
 * The NetworkPolicy as YAML (one document, comments included) and its name; undefined without
 * labels.
 */
export function defaultDenyPolicy(
  input: DefaultDenyInput,
): { name: string; yaml: string } | undefined {
  const { workload, directions } = input;
  const labels = podSelectorLabels(workload);
  if (labels === undefined) return undefined;
  const namespace =
    isRecord(workload.object.metadata) && typeof workload.object.metadata.namespace === "string"
      ? workload.object.metadata.namespace
      : undefined;
  const dns = egressRules([]).rules;
  const name = policyName(workload, input.taken);
  const policy: NetworkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
    },
    spec: {
      podSelector: { matchLabels: labels },
      policyTypes: [...directions],
      ingress: [],
      egress: directions.includes("Egress") ? dns.map((r) => r.rule) : [],
    },
  };
  const comments: NodeComment[] = [];
  if (directions.includes("Ingress")) {
    const ports = declaredPorts(workload);
    // Without a declared port the server is reached over stdio: nothing to let in.
    if (ports.length > 0)
      comments.push({
        object: 0,
        path: ["spec", "ingress"],
        text: marker(
          `nothing may connect yet: add a rule letting in the agents or namespaces that call the server on ${ports.join(", ")}`,
        ),
      });
  } else delete (policy.spec as Partial<NetworkPolicy["spec"]>).ingress;
  if (directions.includes("Egress")) {
    const api = input.usesApi
      ? "; it is granted Kubernetes API access, so allow the API server's address and port too"
      : "";
    comments.push({
      object: 0,
      path: ["spec", "egress"],
      text: marker(`DNS only: add a rule for each endpoint the server calls${api}`),
    });
    dns.forEach((r, i) =>
      comments.push({ object: 0, path: ["spec", "egress", i], text: r.comment }),
    );
  } else delete (policy.spec as Partial<NetworkPolicy["spec"]>).egress;
  const header = [
    `NetworkPolicy added by mcp-warden fix: ${workload.kind} ${workload.namespace}/${workload.name} had none`,
    `restricting ${directions.map((d) => d.toLowerCase()).join(" and ")}. It denies everything but what is listed.`,
  ];
  return { name, yaml: renderYamlStream({ header, objects: [policy], comments }) };
}
