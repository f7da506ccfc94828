import type { FieldProblem } from "../errors.ts";
import type { DeclaredPermissions, ServerRun } from "../evaluation/predicate.ts";
import {
  BRIDGE_DIR,
  BRIDGE_IN_IMAGE,
  BRIDGE_PATH,
  GATEWAY_LABEL,
  registryPort,
} from "../workload/gateway-contract.ts";
import { isDigestPinned, parseImageReference } from "../workload/image-reference.ts";
import { INTERNAL_RANGES, parseCidr } from "../workload/cidr.ts";
import type { NetworkPolicyPeer } from "../workload/k8s-types.ts";
import { dnsLabel } from "./kubernetes-names.ts";
import type {
  Container,
  Deployment,
  EgressRule,
  KubernetesObject,
  NetworkPolicy,
  ServiceAccount,
} from "./kubernetes-objects.ts";
import type { NodeComment } from "./kubernetes-yaml.ts";
import { egressRules, ingressRules } from "./network-policy-rules.ts";

/**
 * The gateway in front of a generated MCP server (DESIGN.md "Runtime gateway"): its own
 * ServiceAccount (bound to `system:auth-delegator` for TokenReview, to a Role reading
 * `mcpwardenaccesses` in the access namespace and to a ClusterRole reading the one
 * MCPWardenPolicy it runs under), Deployment, Service and NetworkPolicy; the server's NetworkPolicy narrowed to the gateway's pods; the server
 * behind the bridge when its evaluation ran it over stdio; a Service for the server; and an
 * `MCPWardenAccess` skeleton naming the declared agents. What the rules hold these to is in
 * `policies/workload/rules/runtime.ts`.
 */

export interface GatewayOptions {
  /** The signed mcp-warden image, pinned: runs the gateway and carries the bridge. */
  image: string;
  /** The evaluation's `run`: a stdio server runs behind the bridge with exactly this command. */
  run?: ServerRun;
  /** Where the API server is, for the gateway's TokenReview calls (default: the private ranges). */
  apiServerCidrs?: string[];
  /** Where the MCPWardenAccess goes: one of the policy's admin namespaces (default mcp-warden-system). */
  accessNamespace?: string;
  /** The cluster's MCPWardenPolicy the gateway reads (`--policy-name`; default `default`). */
  policyName?: string;
  /**
   * Where the server image's registry is, for the gateway's start-up verification (default: any
   * public address; a NetworkPolicy cannot name a host, and registries redirect blobs to CDNs).
   */
  registryCidrs?: string[];
}

/** The port the gateway serves on (HTTPS) and the bridge's in the server pod. */
export const GATEWAY_PORT = 8443;
export const BRIDGE_PORT = 8080;
const DEFAULT_API_SERVER_CIDRS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];
/**
 * Public addresses (the internet): IPv4 but the internal ranges internet egress must except
 * (private, carrier-grade NAT, loopback, link-local with the cloud metadata endpoints,
 * multicast), and IPv6's global unicast space, which holds none of them. The gateway's registry
 * egress reaches no pod, node or metadata service.
 */
const INTERNET: NetworkPolicyPeer[] = [
  {
    ipBlock: {
      cidr: "0.0.0.0/0",
      except: INTERNAL_RANGES.filter((r) => !r.cidr.includes(":")).map((r) => r.cidr),
    },
  },
  { ipBlock: { cidr: "2000::/3" } },
];
const DEFAULT_ACCESS_NAMESPACE = "mcp-warden-system";
const DEFAULT_POLICY_NAME = "default";
const WARDEN_GROUP = "mcp-warden.dev";
const BRIDGE_VOLUME = "mcp-warden-bridge";
const GATEWAY_RESOURCES = { cpu: "500m", memory: "256Mi" };
const BRIDGE_INIT_RESOURCES = { cpu: "100m", memory: "128Mi" };
const NAME_LABEL = "app.kubernetes.io/name";

export function gatewayProblems(
  gateway: GatewayOptions,
  namespace: string | undefined,
  permissions: DeclaredPermissions | undefined,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const parsed = parseImageReference(gateway.image);
  if (!parsed.ok || !isDigestPinned(parsed.value))
    problems.push({
      path: "gateway.image",
      message: "must be pinned by digest (repository@sha256:<64 lowercase hex>)",
    });
  if (namespace === undefined)
    problems.push({
      path: "namespace",
      message:
        "is required with a gateway: its ClusterRoleBinding and the MCPWardenAccess name the namespace",
    });
  if (gateway.run === undefined && (permissions?.ingress.ports ?? []).length === 0)
    problems.push({
      path: "gateway.run",
      message:
        "the server declares no port and no evaluated stdio command is given, so the gateway has nothing to reach: give the evaluation (its run) or declare the server's port",
    });
  // A cluster-scoped object's name: a DNS subdomain (RFC 1123).
  if (
    gateway.policyName !== undefined &&
    !(
      gateway.policyName.length <= 253 &&
      /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(gateway.policyName)
    )
  )
    problems.push({
      path: "gateway.policyName",
      message: "must be a Kubernetes object name (lowercase RFC 1123 subdomain)",
    });
  for (const field of ["apiServerCidrs", "registryCidrs"] as const)
    (gateway[field] ?? []).forEach((cidr, i) => {
      if (parseCidr(cidr) === undefined)
        problems.push({ path: `gateway.${field}[${i}]`, message: "must be a valid CIDR" });
    });
  return problems;
}

export interface GatewayManifests {
  objects: KubernetesObject[];
  comments: NodeComment[];
  header: string[];
}

const restrictedContainer = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  seccompProfile: { type: "RuntimeDefault" },
} as const;

function resources(r: { cpu: string; memory: string }) {
  return { limits: { ...r }, requests: { ...r } };
}

/**
 * The server's objects (ServiceAccount, Deployment, NetworkPolicy, in that order) rewired behind
 * the gateway, then the gateway's own objects. `gatewayProblems` has checked the input.
 */
export function withGateway(
  base: { serviceAccount: ServiceAccount; deployment: Deployment; networkPolicy: NetworkPolicy },
  input: {
    name: string;
    namespace: string;
    image: string;
    permissions: DeclaredPermissions | undefined;
    labels: Record<string, string>;
  },
  gateway: GatewayOptions,
): GatewayManifests {
  const { name, namespace } = input;
  const gwName = dnsLabel(`${name}-gateway`, "mcp-gateway");
  const serverPort =
    gateway.run !== undefined ? BRIDGE_PORT : Math.min(...(input.permissions?.ingress.ports ?? []));
  const deployment = bridged(base.deployment, gateway, serverPort);
  const networkPolicy = gatewayOnly(base.networkPolicy, name, serverPort);
  const gwLabels = {
    ...input.labels,
    [NAME_LABEL]: gwName,
    [GATEWAY_LABEL]: name,
  };
  const meta = (n: string, labels: Record<string, string>) => ({
    name: n,
    namespace,
    labels: { ...labels },
  });
  // Agents reach the gateway through its Service, so its name is the audience of their tokens
  // and the protected resource the gateway advertises (RFC 9728).
  const audience = gatewayAudience(name, namespace);
  const accessNamespace = gateway.accessNamespace ?? DEFAULT_ACCESS_NAMESPACE;
  const policyName = gateway.policyName ?? DEFAULT_POLICY_NAME;
  const subjects = [{ kind: "ServiceAccount", name: gwName, namespace }];
  const accessRole = dnsLabel(`${namespace}-${gwName}-access`, "mcp-gateway-access");
  const policyRole = `${namespace}-${gwName}-policy`;
  const objects: KubernetesObject[] = [
    base.serviceAccount,
    deployment,
    networkPolicy,
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(name, input.labels),
      spec: {
        selector: { [NAME_LABEL]: name },
        ports: [{ name: "mcp", port: serverPort, targetPort: serverPort, protocol: "TCP" }],
      },
    } as KubernetesObject,
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: meta(gwName, gwLabels),
      automountServiceAccountToken: false,
    } as ServiceAccount,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: `${namespace}-${gwName}-auth-delegator`, labels: { ...gwLabels } },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: "system:auth-delegator",
      },
      subjects,
    } as KubernetesObject,
    {
      // The gateway lists and watches the grants in the policy's admin namespace; nothing else.
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: accessRole, namespace: accessNamespace, labels: { ...gwLabels } },
      rules: [
        {
          apiGroups: [WARDEN_GROUP],
          resources: ["mcpwardenaccesses"],
          verbs: ["get", "list", "watch"],
        },
      ],
    } as KubernetesObject,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: accessRole, namespace: accessNamespace, labels: { ...gwLabels } },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: accessRole },
      subjects,
    } as KubernetesObject,
    {
      // --policy-name: the one cluster-scoped MCPWardenPolicy, by name.
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: policyRole, labels: { ...gwLabels } },
      rules: [
        {
          apiGroups: [WARDEN_GROUP],
          resources: ["mcpwardenpolicies"],
          resourceNames: [policyName],
          verbs: ["get"],
        },
      ],
    } as KubernetesObject,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: policyRole, labels: { ...gwLabels } },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: policyRole },
      subjects,
    } as KubernetesObject,
    gatewayDeployment(gwName, namespace, gwLabels, {
      upstream: `http://${name}.${namespace}.svc:${serverPort}/mcp`,
      serverImage: input.image,
      serverName: name,
      audience,
      image: gateway.image,
      policyName,
    }),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(gwName, gwLabels),
      spec: {
        selector: { [NAME_LABEL]: gwName },
        ports: [{ name: "https", port: 443, targetPort: GATEWAY_PORT, protocol: "TCP" }],
      },
    } as KubernetesObject,
    gatewayNetworkPolicy(
      gwName,
      namespace,
      gwLabels,
      { name, image: input.image, port: serverPort },
      input.permissions,
      gateway,
    ),
    {
      apiVersion: "mcp-warden.dev/v1alpha1",
      kind: "MCPWardenAccess",
      metadata: {
        name: dnsLabel(`${namespace}-${name}`, "mcp-server"),
        namespace: accessNamespace,
        labels: { ...input.labels },
      },
      spec: {
        server: { namespace, name },
        agents: (input.permissions?.ingress.agents ?? []).map((a) => a.name),
        tools: [],
        reason: `grants for the agents ${name} declares; list the tools each may call`,
      },
    } as KubernetesObject,
  ];
  const comments: NodeComment[] = [
    { object: 2, path: ["spec", "ingress", 0], text: "only the gateway's pods" },
    {
      object: objects.length - 1,
      path: ["spec", "tools"],
      text: "grants nothing until a person lists the tools (globs) these agents may call",
    },
  ];
  const header = [
    "",
    `Gateway ${gwName}: every call to ${name} passes through mcp-warden gateway, which authenticates`,
    "the agent (TokenReview), allows only what an MCPWardenAccess grants and the signed evaluation",
    `approves, and checks the arguments. The server's pods admit only pods labelled ${GATEWAY_LABEL},`,
    `which the policy lets only its gateway image (spec.runtime.gateway.image: ${gateway.image}) carry.`,
    `Before applying, create the TLS Secret ${gwName}-tls (tls.crt, tls.key) for ${gwName}.${namespace}.svc,`,
    `and narrow the gateway's API-server egress (${(gateway.apiServerCidrs ?? DEFAULT_API_SERVER_CIDRS).join(", ")}) to your control plane.`,
    gateway.registryCidrs === undefined || gateway.registryCidrs.length === 0
      ? `At start the gateway verifies ${input.image} in its registry: its egress allows public addresses on port ${registryPort(input.image) ?? 443}; narrow it with --registry-cidr.`
      : `At start the gateway verifies ${input.image} in its registry (${gateway.registryCidrs.join(", ")}).`,
    `The MCPWardenAccess goes to ${accessNamespace}, where only admins write; it grants no tool yet.`,
    `Agents call ${audience}/mcp with a projected ServiceAccount token whose audience is ${audience}.`,
    `The gateway reads the MCPWardenPolicy ${policyName} (its trusted signers, admin namespaces and rate limits).`,
    ...(gateway.run === undefined
      ? []
      : [
          `The server speaks stdio: it runs as ${BRIDGE_PATH} -- ${[...gateway.run.entrypoint, ...gateway.run.cmd].join(" ")}`,
          "(the command its evaluation ran), the bridge copied from the gateway image by an init container.",
        ]),
  ];
  return { objects, comments, header };
}

/**
 * The gateway's URL inside the cluster (its Service, port 443): the audience agents' tokens carry
 * and the origin of the protected resource `/mcp`.
 */
export function gatewayAudience(server: string, namespace: string): string {
  return `https://${dnsLabel(`${server}-gateway`, "mcp-gateway")}.${namespace}.svc`;
}

/** The server's Deployment, with the bridge in front of a stdio server. */
function bridged(base: Deployment, gateway: GatewayOptions, port: number): Deployment {
  const run = gateway.run;
  if (run === undefined) return base;
  const podSpec = base.spec.template.spec;
  const server = podSpec.containers[0]!;
  const container: Container & { command: string[]; args: string[] } = {
    ...server,
    command: [BRIDGE_PATH],
    args: ["--port", String(port), "--", ...run.entrypoint, ...run.cmd],
    ports: [{ name: "mcp", containerPort: port, protocol: "TCP" }],
    volumeMounts: [
      ...server.volumeMounts,
      { name: BRIDGE_VOLUME, mountPath: BRIDGE_DIR, readOnly: true },
    ],
  };
  const init = {
    name: "bridge",
    image: gateway.image,
    command: [BRIDGE_IN_IMAGE, "--install", BRIDGE_PATH],
    resources: resources(BRIDGE_INIT_RESOURCES),
    securityContext: { ...restrictedContainer },
    volumeMounts: [{ name: BRIDGE_VOLUME, mountPath: BRIDGE_DIR }],
  };
  return {
    ...base,
    spec: {
      ...base.spec,
      template: {
        ...base.spec.template,
        spec: {
          ...podSpec,
          initContainers: [init],
          containers: [container, ...podSpec.containers.slice(1)],
          volumes: [...podSpec.volumes, { name: BRIDGE_VOLUME, emptyDir: {} }],
        } as Deployment["spec"]["template"]["spec"],
      },
    },
  };
}

/** The server's NetworkPolicy, its ingress narrowed to the gateway's pods. */
function gatewayOnly(base: NetworkPolicy, name: string, port: number): NetworkPolicy {
  return {
    ...base,
    spec: {
      ...base.spec,
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { [GATEWAY_LABEL]: name } } }],
          ports: [{ port, protocol: "TCP" }],
        },
      ],
    },
  };
}

function gatewayDeployment(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  opts: {
    upstream: string;
    serverImage: string;
    serverName: string;
    audience: string;
    image: string;
    policyName: string;
  },
): KubernetesObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels: { ...labels } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { [NAME_LABEL]: name } },
      template: {
        metadata: { labels: { ...labels } },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              name: "gateway",
              image: opts.image,
              args: [
                "gateway",
                "--upstream",
                opts.upstream,
                "--tls-cert",
                "/tls/tls.crt",
                "--tls-key",
                "/tls/tls.key",
                "--port",
                String(GATEWAY_PORT),
                "--server-image",
                opts.serverImage,
                "--server-name",
                opts.serverName,
                "--audience",
                opts.audience,
                "--resource",
                `${opts.audience}/mcp`,
                "--token-review",
                "--policy-name",
                opts.policyName,
              ],
              // --server-namespace and --pod come from here (cli/gateway.ts).
              env: [
                {
                  name: "POD_NAMESPACE",
                  valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } },
                },
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              ],
              ports: [{ name: "https", containerPort: GATEWAY_PORT, protocol: "TCP" }],
              resources: resources(GATEWAY_RESOURCES),
              securityContext: { ...restrictedContainer },
              volumeMounts: [
                { name: "tls", mountPath: "/tls", readOnly: true },
                {
                  name: "api-token",
                  mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
                  readOnly: true,
                },
                { name: "tmp", mountPath: "/tmp" },
              ],
            },
          ],
          volumes: [
            { name: "tls", secret: { secretName: `${name}-tls` } },
            {
              // A short-lived API token for TokenReview, as the webhook's own Deployment has.
              name: "api-token",
              projected: {
                sources: [
                  { serviceAccountToken: { path: "token", expirationSeconds: 3600 } },
                  {
                    configMap: {
                      name: "kube-root-ca.crt",
                      items: [{ key: "ca.crt", path: "ca.crt" }],
                    },
                  },
                  {
                    downwardAPI: {
                      items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }],
                    },
                  },
                ],
              },
            },
            { name: "tmp", emptyDir: {} },
          ],
        },
      },
    },
  } as KubernetesObject;
}

function gatewayNetworkPolicy(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  server: { name: string; image: string; port: number },
  permissions: DeclaredPermissions | undefined,
  gateway: GatewayOptions,
): NetworkPolicy {
  const serverPort = server.port;
  // The declared agents reach the gateway now, on its port, as they would have reached the server.
  const agents = ingressRules(
    permissions === undefined
      ? undefined
      : { ...permissions, ingress: { ...permissions.ingress, ports: [GATEWAY_PORT] } },
  );
  const dns = egressRules([]).rules.map((r) => r.rule);
  const toServer: EgressRule = {
    to: [{ podSelector: { matchLabels: { [NAME_LABEL]: server.name } } }],
    ports: [{ port: serverPort, protocol: "TCP" }],
  };
  const apiServer: EgressRule = {
    to: (gateway.apiServerCidrs ?? DEFAULT_API_SERVER_CIDRS).map((cidr): NetworkPolicyPeer => ({
      ipBlock: { cidr },
    })),
    ports: [
      { port: 443, protocol: "TCP" },
      { port: 6443, protocol: "TCP" },
    ],
  };
  // At start the gateway verifies --server-image's signature and evaluation in its registry.
  const registry: EgressRule = {
    to:
      gateway.registryCidrs === undefined || gateway.registryCidrs.length === 0
        ? INTERNET
        : gateway.registryCidrs.map((cidr): NetworkPolicyPeer => ({ ipBlock: { cidr } })),
    ports: [{ port: registryPort(server.image) ?? 443, protocol: "TCP" }],
  };
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace, labels: { ...labels } },
    spec: {
      podSelector: { matchLabels: { [NAME_LABEL]: name } },
      policyTypes: ["Ingress", "Egress"],
      ingress: agents.rules.map((r) => r.rule),
      egress: [...dns, toServer, apiServer, registry],
    },
  };
}
