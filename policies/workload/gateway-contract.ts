import { parseImageReference, type ImageReference } from "./image-reference.ts";
import type { KubernetesPermission } from "../evaluation/predicate.ts";

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
