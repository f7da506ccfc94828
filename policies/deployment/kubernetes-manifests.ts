import { InputError, type FieldProblem } from "../errors.ts";
import { fieldPath } from "../field-path.ts";
import { isDigestPinned, parseImageReference } from "../workload/image-reference.ts";
import type { DeclaredPermissions, EgressEndpoint } from "../evaluation/predicate.ts";
import { deploymentName, envName, isDnsLabel, labelValue } from "./kubernetes-names.ts";
import type {
  Container,
  Deployment,
  KubernetesObject,
  NetworkPolicy,
  ServiceAccount,
} from "./kubernetes-objects.ts";
import { renderYamlStream, type NodeComment } from "./kubernetes-yaml.ts";
import { ciliumNetworkPolicy, declaresHosts } from "./cilium-network-policy.ts";
import {
  egressRules,
  ingressRules,
  sortedPorts,
  type EgressRules,
  type IngressRules,
} from "./network-policy-rules.ts";
import { normalisePath, podVolumes, type PodVolumes } from "./pod-volumes.ts";
import { gatewayProblems, withGateway, type GatewayOptions } from "./gateway-manifests.ts";

/**
 * Kubernetes manifests for an evaluated MCP server release: a ServiceAccount, a Deployment and a
 * NetworkPolicy that give the server exactly the permissions it declares and pass the default
 * policy (`policies/default.yaml`) of `mcp-warden check` and the admission webhook.
 *
 * What the default policy shapes here:
 * - `network/egress-restricted` denies any egress rule without `to` (it would allow every
 *   destination). Host names cannot be expressed in a NetworkPolicy, so an endpoint declared by
 *   host name alone gets no egress rule (a ports-only rule would open those ports to the whole
 *   internet); its host and ports are named in the `mcp-warden.dev/egress-hosts` annotation and in
 *   the YAML, and reaching it needs an egress gateway or a CNI with FQDN policies.
 * - `sandbox/service-account-token` requires `automountServiceAccountToken: false`; it does not
 *   forbid service-account tokens as such. A `workload-identity` credential therefore gets a
 *   projected token with its own audience and expiry, which the API server itself does not accept.
 * - `credentials/no-secret-env` (a warning in the default policy) reports Secrets read into the
 *   environment. `static` credentials are handed over that way all the same, because MCP servers
 *   read their credentials from the variables they name; the check admits them with that warning.
 *
 * Pure: no filesystem, environment or clock; the same input gives the same bytes. The objects are
 * built here from their parts (names in `kubernetes-names.ts`, rules in `network-policy-rules.ts`,
 * volumes in `pod-volumes.ts`) and written out as YAML by `kubernetes-yaml.ts`.
 */

export interface KubernetesManifestsInput {
  /** Digest-pinned image, `repository@sha256:<64 hex>` (a tag next to the digest is kept). */
  image: string;
  /** The server's name in `server.json`, e.g. `io.github.acme/weather`. */
  serverName: string;
  version: string;
  /** Absent: the manifest declares none, so the server gets no ingress and only DNS egress. */
  permissions?: DeclaredPermissions;
  /** Absent: the objects carry no namespace and land in the one they are applied to. */
  namespace?: string;
  /**
   * `cilium`: also a CiliumNetworkPolicy allowing the declared hosts by name (toFQDNs), instead of
   * only naming them in an annotation. Absent: `kubernetes`, NetworkPolicy only.
   */
  network?: "kubernetes" | "cilium";
  /** Put the server behind its gateway (`gateway-manifests.ts`); needs `namespace`. */
  gateway?: GatewayOptions;
}

export interface KubernetesManifests {
  /** ServiceAccount, Deployment, NetworkPolicy (then the CiliumNetworkPolicy), in that order. */
  objects: KubernetesObject[];
  /** The objects as one multi-document YAML stream (`---` separated) with a header comment. */
  yaml: string;
}

/**
 * Limits (and requests: the pod is sized to what the server declares, Guaranteed QoS) used for a
 * resource the manifest does not declare.
 */
export const DEFAULT_RESOURCES: Readonly<{ cpu: string; memory: string }> = {
  cpu: "500m",
  memory: "256Mi",
};

/** The user and group the container runs as: a non-root id, so images built as root still start. */
export const RUN_AS_ID = 65532;

export const MANAGED_BY = "mcp-warden";
export const NAME_LABEL = "app.kubernetes.io/name";
export const VERSION_LABEL = "app.kubernetes.io/version";
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const SERVER_NAME_ANNOTATION = "mcp-warden.dev/server-name";
export const SERVER_VERSION_ANNOTATION = "mcp-warden.dev/server-version";
/**
 * JSON list of `{host, ports?}` (no ports: any port): endpoints declared by host name alone, which
 * the NetworkPolicy cannot allow; for an egress gateway or FQDN policy to pick up.
 */
export const EGRESS_HOSTS_ANNOTATION = "mcp-warden.dev/egress-hosts";
/** JSON list of agent names declared without namespace, labels or CIDRs: nothing lets them in. */
export const UNSELECTABLE_AGENTS_ANNOTATION = "mcp-warden.dev/unselectable-agents";

const CONTAINER_NAME = "server";

/**
 * The ServiceAccount, Deployment and NetworkPolicy for one release of an MCP server, built from
 * the permissions its manifest declares.
 * @throws InputError INPUT_INVALID (every bad field listed) when the image is not pinned by
 *   digest, the server name or namespace is unusable, or the permissions cannot be provisioned
 */
export function generateKubernetesManifests(input: KubernetesManifestsInput): KubernetesManifests {
  const problems = validate(input);
  if (problems.length > 0)
    throw new InputError("INPUT_INVALID", "cannot generate Kubernetes manifests", { problems });

  const { permissions } = input;
  const name = deploymentName(input.serverName);
  const version = labelValue(input.version);
  const labels: Record<string, string> = {
    [NAME_LABEL]: name,
    ...(version === "" ? {} : { [VERSION_LABEL]: version }),
    [MANAGED_BY_LABEL]: MANAGED_BY,
  };
  const meta = { name, namespace: input.namespace, labels };
  const pod = podVolumes(permissions, name, input.serverName);
  const egress = egressRules(permissions?.egress ?? []);
  const ingress = ingressRules(permissions);

  const cilium = input.network === "cilium";
  const base = {
    serviceAccount: serviceAccount(meta),
    deployment: deployment(meta, input, pod),
    networkPolicy: networkPolicy(meta, egress, ingress, cilium),
  };
  const objects: KubernetesObject[] = [base.serviceAccount, base.deployment, base.networkPolicy];
  // Each rule says, in a comment, which declaration it comes from.
  const comments: NodeComment[] = [
    ...ingress.rules.map((r, i) => ({ object: 2, path: ["spec", "ingress", i], text: r.comment })),
    ...egress.rules.map((r, i) => ({ object: 2, path: ["spec", "egress", i], text: r.comment })),
  ];
  if (cilium) {
    const cnp = ciliumNetworkPolicy(
      metadata(meta),
      { [NAME_LABEL]: name },
      permissions?.egress ?? [],
    );
    objects.push(cnp.object);
    comments.push(...cnp.comments.map((c) => ({ object: 3, ...c })));
  }
  const header = headerComment(
    input,
    name,
    pod.staticKeys,
    cilium ? egress.unexpressed.filter((e) => !declaresHosts([e])) : egress.unexpressed,
    ingress,
    permissions,
  );
  if (input.gateway !== undefined && input.namespace !== undefined) {
    const behind = withGateway(
      base,
      { name, namespace: input.namespace, image: input.image, permissions, labels },
      input.gateway,
    );
    // The server's ingress rules are the gateway's now: their comments go with them.
    const kept = comments.filter((c) => !(c.object === 2 && c.path[1] === "ingress"));
    return {
      objects: behind.objects,
      yaml: renderYamlStream({
        // Behind the gateway, the declared agents reach the gateway, not the server.
        header: [
          ...header.map((l) =>
            l.endsWith("be reached only by the declared agents.")
              ? l.replace("the declared agents.", "its gateway (below).")
              : l,
          ),
          ...behind.header,
        ],
        objects: behind.objects,
        comments: [...kept, ...behind.comments],
      }),
    };
  }
  return { objects, yaml: renderYamlStream({ header, objects, comments }) };
}

/** What every object's metadata holds: the server's name and labels, and its namespace if given. */
interface SharedMetadata {
  name: string;
  namespace: string | undefined;
  labels: Record<string, string>;
}

function metadata(
  { name, namespace, labels }: SharedMetadata,
  annotations?: Record<string, string>,
): KubernetesObject["metadata"] {
  // Copies: no two objects share a map, so callers may edit one without changing another.
  return {
    name,
    ...(namespace === undefined ? {} : { namespace }),
    labels: { ...labels },
    ...(annotations !== undefined && Object.keys(annotations).length > 0
      ? { annotations: { ...annotations } }
      : {}),
  };
}

function serviceAccount(meta: SharedMetadata): ServiceAccount {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: metadata(meta),
    automountServiceAccountToken: false,
  };
}

function deployment(
  meta: SharedMetadata,
  input: KubernetesManifestsInput,
  pod: PodVolumes,
): Deployment {
  const serverAnnotations = {
    [SERVER_NAME_ANNOTATION]: input.serverName,
    [SERVER_VERSION_ANNOTATION]: input.version,
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(meta, serverAnnotations),
    spec: {
      replicas: 1,
      selector: { matchLabels: { [NAME_LABEL]: meta.name } },
      template: {
        metadata: { labels: { ...meta.labels }, annotations: { ...serverAnnotations } },
        spec: {
          serviceAccountName: meta.name,
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS_ID,
            runAsGroup: RUN_AS_ID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [container(input, pod)],
          volumes: pod.volumes,
        },
      },
    },
  };
}

function container(input: KubernetesManifestsInput, pod: PodVolumes): Container {
  const declared = input.permissions?.resources;
  const resources = {
    cpu: declared?.cpu ?? DEFAULT_RESOURCES.cpu,
    memory: declared?.memory ?? DEFAULT_RESOURCES.memory,
  };
  const ports = sortedPorts(input.permissions?.ingress.ports ?? []);
  return {
    name: CONTAINER_NAME,
    image: input.image,
    ...(ports.length === 0
      ? {}
      : {
          ports: ports.map((port) => ({
            name: `mcp-${port}`,
            containerPort: port,
            protocol: "TCP" as const,
          })),
        }),
    ...(pod.env.length === 0 ? {} : { env: pod.env }),
    resources: { limits: { ...resources }, requests: { ...resources } },
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumeMounts: pod.mounts,
  };
}

function networkPolicy(
  meta: SharedMetadata,
  egress: EgressRules,
  ingress: IngressRules,
  cilium: boolean,
): NetworkPolicy {
  const annotations: Record<string, string> = {};
  // With a CiliumNetworkPolicy the hosts are allowed by name, not left to an annotation.
  if (egress.unexpressed.length > 0 && !cilium)
    annotations[EGRESS_HOSTS_ANNOTATION] = JSON.stringify(
      egress.unexpressed.map((e) => ({
        host: e.host,
        ...(e.ports === undefined ? {} : { ports: sortedPorts(e.ports) }),
      })),
    );
  if (ingress.unselectable.length > 0)
    annotations[UNSELECTABLE_AGENTS_ANNOTATION] = JSON.stringify(ingress.unselectable);
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata(meta, annotations),
    spec: {
      podSelector: { matchLabels: { [NAME_LABEL]: meta.name } },
      policyTypes: ["Ingress", "Egress"],
      ingress: ingress.rules.map((r) => r.rule),
      egress: egress.rules.map((r) => r.rule),
    },
  };
}

function validate(input: KubernetesManifestsInput): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const parsed = parseImageReference(input.image);
  if (!parsed.ok) problems.push({ path: "image", message: parsed.error });
  else if (!isDigestPinned(parsed.value))
    problems.push({
      path: "image",
      message: "must be pinned by digest (repository@sha256:<64 lowercase hex>), not by tag",
    });
  if (input.serverName.trim() === "")
    problems.push({ path: "serverName", message: "must not be empty" });
  if (input.namespace !== undefined && !isDnsLabel(input.namespace))
    problems.push({ path: "namespace", message: "must be a DNS-1123 label" });
  const permissions = input.permissions;
  if (input.gateway !== undefined)
    problems.push(...gatewayProblems(input.gateway, input.namespace, permissions));
  if (permissions === undefined) return problems;

  permissions.filesystem.forEach((fs, i) => {
    if (fs.access !== "read-write") return;
    const path = fieldPath("permissions", "filesystem", i, "path");
    if (!fs.path.startsWith("/")) problems.push({ path, message: "must be an absolute path" });
    else if (normalisePath(fs.path) === "/")
      problems.push({ path, message: "cannot be writable: the root filesystem is read-only" });
    else if (fs.path.split("/").some((s) => s === ".." || s === "."))
      problems.push({ path, message: "must not contain . or .. segments" });
  });

  const seen = new Map<string, string>();
  permissions.credentials.forEach((c, i) => {
    const variable =
      c.kind === "static"
        ? envName(c.name)
        : c.kind === "workload-identity"
          ? `${envName(c.name)}_FILE`
          : undefined;
    if (variable === undefined) return;
    const path = fieldPath("permissions", "credentials", i, "name");
    const earlier = seen.get(variable);
    if (earlier !== undefined)
      problems.push({ path, message: `becomes variable ${variable}, as ${earlier} does` });
    else seen.set(variable, path);
  });
  return problems;
}

function headerComment(
  input: KubernetesManifestsInput,
  name: string,
  staticKeys: readonly string[],
  unexpressed: readonly EgressEndpoint[],
  ingress: IngressRules,
  permissions: DeclaredPermissions | undefined,
): string[] {
  const lines = [
    `Kubernetes manifests for the MCP server ${input.serverName} ${input.version}, generated by mcp-warden`,
    `from the permissions the server declares. Image: ${input.image}`,
    "",
    `ServiceAccount, Deployment and NetworkPolicy ${name}: the pod meets the Kubernetes "restricted"`,
    "profile, runs as a non-root user with a read-only root filesystem (emptyDir volumes for /tmp",
    "and the declared writable paths), holds no Kubernetes API token, and may talk only to DNS and",
    "the declared endpoints, and be reached only by the declared agents.",
  ];
  if (input.network === "cilium")
    lines.push(
      `CiliumNetworkPolicy ${name} allows the hosts declared by name (toFQDNs, on their ports) and`,
      "DNS through Cilium's DNS proxy; it needs Cilium as the cluster's network plugin.",
    );
  if (permissions === undefined)
    lines.push(
      "The server declares no permissions: no agent may connect and only DNS is reachable.",
    );
  const resources = permissions?.resources;
  if (resources?.cpu === undefined || resources.memory === undefined)
    lines.push(
      `Resources not declared default to cpu ${DEFAULT_RESOURCES.cpu} and memory ${DEFAULT_RESOURCES.memory} (limits and requests).`,
    );
  if (staticKeys.length > 0)
    lines.push(
      "",
      `Before applying, create the Secret ${name} with the keys ${staticKeys.join(", ")}; it is not`,
      "generated, so no credential passes through the release.",
    );
  if (permissions?.credentials.some((c) => c.kind === "workload-identity"))
    lines.push(
      "",
      `Workload-identity tokens are projected with the audience ${input.serverName}; change it to the`,
      "audience your identity provider expects. The file path is in the <NAME>_FILE variable.",
    );
  if (unexpressed.length > 0) {
    const hosts = unexpressed.map((e) =>
      e.ports === undefined ? `${e.host ?? ""} (any port)` : `${e.host ?? ""}:${e.ports.join(",")}`,
    );
    lines.push(
      "",
      "A NetworkPolicy matches addresses, not host names, and a rule with ports but no destination",
      "would open those ports to every address. These declared hosts are therefore NOT reachable",
      `through this NetworkPolicy: ${hosts.join(", ")}.`,
      "Host-based egress needs an egress gateway or a CNI with FQDN policies (for example Cilium",
      `toFQDNs); the ${EGRESS_HOSTS_ANNOTATION} annotation lists them.`,
    );
  }
  if (
    permissions !== undefined &&
    permissions.ingress.ports === undefined &&
    permissions.ingress.agents.length > 0
  )
    lines.push(
      "",
      "The server declares no ports (stdio only), so no agent may connect over the network.",
    );
  if (ingress.unselectable.length > 0)
    lines.push(
      "",
      `Agents declared without namespace, labels or CIDRs cannot be selected and are not let in: ${ingress.unselectable.join(", ")}.`,
    );
  return lines;
}
