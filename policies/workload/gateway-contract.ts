import { parseImageReference, type ImageReference } from "./image-reference.ts";
import type { KubernetesPermission } from "../evaluation/predicate.ts";
import type { NetworkPolicyPeer } from "./k8s-types.ts";
import { NAMESPACE_NAME_LABEL } from "./label-selector.ts";
import type { Workload } from "./workload.ts";

/**
 * What the runtime gateway's pods and the servers behind them agree on, shared by the rules
 * (`rules/runtime.ts`) and the generator (`policies/deployment/`).
 */

/**
 * The gateway's identity label (its value: the name of the server it fronts). Servers admit
 * ingress only from pods carrying it, and `runtime/gateway-identity` lets only the policy's
 * gateway image carry it.
 */
export const GATEWAY_LABEL = "mcp-warden.dev/gateway-for";

/** Where the bridge's emptyDir is mounted, read-only, in a stdio server's container. */
export const BRIDGE_DIR = "/mcp-warden";
/** The bridge executable the server container runs. */
export const BRIDGE_PATH = `${BRIDGE_DIR}/bridge`;

/**
 * Whether `image` is the gateway image: the same repository and digest (a tag beside the digest
 * changes nothing). An unpinned or unparsable reference is never the gateway.
 */
export function isGatewayImage(
  image: string | undefined,
  gateway: ImageReference | undefined,
): boolean {
  if (image === undefined || gateway?.digest === undefined) return false;
  const parsed = parseImageReference(image);
  return parsed.ok && parsed.value.name === gateway.name && parsed.value.digest === gateway.digest;
}

/**
 * Where the mcp-warden image holds the self-contained bridge executable; the init container of a
 * stdio server's pod runs `<this> --install BRIDGE_PATH`.
 */
export const BRIDGE_IN_IMAGE = "/usr/local/bin/mcp-warden-bridge";

/**
 * The Kubernetes API access the gateway needs, as an evaluation declares it
 * (`permissions.kubernetes`): TokenReview (and SubjectAccessReview, which `system:auth-delegator`
 * carries), list and watch of `MCPWardenAccess` grants in the access namespaces, and get of the
 * MCPWardenPolicy it runs under. The gateway image's evaluation declares this much, so
 * `rbac/within-declared` admits the ServiceAccount `mcp-warden generate` binds for it.
 */
export function gatewayKubernetesAccess(accessNamespaces: string[]): KubernetesPermission[] {
  return [
    {
      apiGroups: ["authentication.k8s.io"],
      resources: ["tokenreviews"],
      verbs: ["create"],
      namespaces: ["*"],
    },
    {
      apiGroups: ["authorization.k8s.io"],
      resources: ["subjectaccessreviews"],
      verbs: ["create"],
      namespaces: ["*"],
    },
    {
      apiGroups: ["mcp-warden.dev"],
      resources: ["mcpwardenaccesses"],
      verbs: ["get", "list", "watch"],
      namespaces: [...accessNamespaces],
    },
    {
      apiGroups: ["mcp-warden.dev"],
      resources: ["mcpwardenpolicies"],
      verbs: ["get"],
      namespaces: ["*"],
    },
  ];
}

/** Why a NetworkPolicy peer admits more than the gateway's pods; undefined when it does not. */
export function gatewayPeerProblem(peer: NetworkPolicyPeer, namespace: string): string | undefined {
  if (peer.ipBlock !== undefined)
    return `ipBlock ${peer.ipBlock.cidr} admits addresses, not the gateway's pods`;
  const selector = peer.podSelector;
  const requiresLabel =
    selector !== undefined &&
    (Object.hasOwn(selector.matchLabels ?? {}, GATEWAY_LABEL) ||
      (selector.matchExpressions ?? []).some(
        (e) => e.key === GATEWAY_LABEL && (e.operator === "In" || e.operator === "Exists"),
      ));
  if (!requiresLabel)
    return `its podSelector does not require the gateway's label ${GATEWAY_LABEL}`;
  const nsSelector = peer.namespaceSelector;
  if (nsSelector === undefined) return undefined;
  const labels = Object.entries(nsSelector.matchLabels ?? {});
  const ownOnly =
    (nsSelector.matchExpressions ?? []).length === 0 &&
    labels.length === 1 &&
    labels[0]?.[0] === NAMESPACE_NAME_LABEL &&
    labels[0][1] === namespace;
  // Another namespace's pods may not be judged at all, so its gateway label proves nothing.
  return ownOnly
    ? undefined
    : `its namespaceSelector admits pods of other namespaces, where the gateway's label is not protected`;
}

/** The port `mcp-warden gateway` serves on without `--port`. */
export const GATEWAY_DEFAULT_PORT = 8443;

/** The value of `--flag VALUE` or `--flag=VALUE` in a command line, the last one winning. */
function flagValue(args: readonly string[], flag: string): string | undefined {
  let value: string | undefined;
  args.forEach((a, i) => {
    if (a === flag) value = args[i + 1];
    else if (a.startsWith(`${flag}=`)) value = a.slice(flag.length + 1);
  });
  return value;
}

/**
 * What a pod labelled as a gateway runs: the server image it fronts (`--server-image`) and the
 * port it serves on (`--port`), read from the container that runs `gateway`; undefined when the pod
 * carries no gateway label or runs no `gateway` command. `runtime/gateway-identity` holds such a
 * pod to the policy's gateway image, so what its command line says is the gateway's own word.
 */
export function gatewayCommand(
  workload: Workload,
): { serverImage: string | undefined; port: number } | undefined {
  if (!Object.hasOwn(workload.podMeta.labels ?? {}, GATEWAY_LABEL)) return undefined;
  for (const ref of workload.containers) {
    if (ref.kind !== "containers") continue;
    const line = [...(ref.container.command ?? []), ...(ref.container.args ?? [])];
    const at = line.indexOf("gateway");
    if (at < 0) continue;
    const args = line.slice(at + 1);
    const port = Number(flagValue(args, "--port") ?? GATEWAY_DEFAULT_PORT);
    return {
      serverImage: flagValue(args, "--server-image"),
      port: Number.isInteger(port) && port > 0 ? port : GATEWAY_DEFAULT_PORT,
    };
  }
  return undefined;
}

/** The port an image's registry serves on: the one its reference names, else HTTPS (443). */
export function registryPort(image: string): number | undefined {
  const parsed = parseImageReference(image);
  if (!parsed.ok) return undefined;
  const port = /:([0-9]{1,5})$/.exec(parsed.value.registry)?.[1];
  return port === undefined ? 443 : Number(port);
}

/**
 * The registry port a gateway pod verifies its server image on, when the pod is the policy's
 * gateway: it carries the gateway label, every container runs the policy's pinned gateway image,
 * and it runs `gateway --server-image REF`. Undefined for any other pod. The gateway's command
 * line is its own word only because `runtime/gateway-identity` holds it to that image.
 */
export function verifiedGatewayRegistryPort(
  workload: Workload,
  gatewayImage: ImageReference | undefined,
): number | undefined {
  const command = gatewayCommand(workload);
  if (command?.serverImage === undefined) return undefined;
  const all = workload.containers.every((ref) => isGatewayImage(ref.container.image, gatewayImage));
  return all ? registryPort(command.serverImage) : undefined;
}
