import { createHash } from "node:crypto";
import { Document, isMap, visit } from "yaml";
import { InputError, type FieldProblem } from "../policies/errors.ts";
import { fieldPath } from "../policies/field-path.ts";
import { isDigestPinned, parseImageReference } from "../policies/image-reference.ts";
import type {
  DeclaredCredential,
  DeclaredPermissions,
  EgressEndpoint,
  IngressAgent,
} from "../policies/evaluation/predicate.ts";

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
 * Pure: no filesystem, environment or clock; the same input gives the same bytes.
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
}

export interface KubernetesManifests {
  /** ServiceAccount, Deployment, NetworkPolicy, in that order. */
  objects: Record<string, unknown>[];
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

/** Lifetime of a projected workload-identity token; the kubelet refreshes it before it expires. */
export const TOKEN_EXPIRATION_SECONDS = 3600;

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
const TMP_VOLUME = "tmp";
const TOKEN_DIR = "/var/run/secrets/tokens";
const NAMESPACE_LABEL = "kubernetes.io/metadata.name";
const MAX_LABEL = 63;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function sha256Prefix(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

/**
 * `raw` as a DNS-1123 label: lowercase, runs of other characters as one `-`, at most 63
 * characters. A longer name keeps its start and gets a hash of the whole, so names stay distinct.
 */
export function dnsLabel(raw: string, fallback: string): string {
  const s = raw
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (s === "") return fallback;
  if (s.length <= MAX_LABEL) return s;
  return `${s.slice(0, MAX_LABEL - 9).replace(/-+$/, "")}-${sha256Prefix(raw)}`;
}

/** The Deployment's name: the last segment of the server name (`io.github.acme/weather` → `weather`). */
export function deploymentName(serverName: string): string {
  const last =
    serverName
      .split("/")
      .filter((s) => s.trim() !== "")
      .pop() ?? "";
  return dnsLabel(last, "mcp-server");
}

/** `raw` as a label value (`1.2.3+build.5` → `1.2.3-build.5`); empty when nothing is left. */
export function labelValue(raw: string): string {
  return raw
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, MAX_LABEL)
    .replace(/[^A-Za-z0-9]+$/, "");
}

/** A credential's name as an environment variable (`github.token` → `github_token`). */
function envName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

function tcpPorts(ports: readonly number[]): Record<string, unknown>[] {
  return [...new Set(ports)].sort((a, b) => a - b).map((port) => ({ port, protocol: "TCP" }));
}

function normalisePath(path: string): string {
  const trimmed = path.replace(/\/+/g, "/").replace(/\/$/, "");
  return trimmed === "" ? "/" : trimmed;
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
  if (
    input.namespace !== undefined &&
    !(DNS_LABEL.test(input.namespace) && input.namespace.length <= MAX_LABEL)
  )
    problems.push({ path: "namespace", message: "must be a DNS-1123 label" });
  const permissions = input.permissions;
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

interface Egress {
  rules: { rule: Record<string, unknown>; comment: string }[];
  /** Endpoints declared by host name only: no NetworkPolicy rule can allow them. */
  unexpressed: EgressEndpoint[];
}

function egressRules(endpoints: readonly EgressEndpoint[]): Egress {
  const rules: Egress["rules"] = [
    {
      comment: " DNS, through the cluster's kube-dns pods",
      rule: {
        to: [
          {
            namespaceSelector: { matchLabels: { [NAMESPACE_LABEL]: "kube-system" } },
            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
          },
        ],
        ports: [
          { port: 53, protocol: "UDP" },
          { port: 53, protocol: "TCP" },
        ],
      },
    },
  ];
  const unexpressed: EgressEndpoint[] = [];
  for (const endpoint of endpoints) {
    const cidrs = [...new Set(endpoint.cidrs ?? [])];
    if (cidrs.length === 0) {
      unexpressed.push(endpoint);
      continue;
    }
    const rule: Record<string, unknown> = { to: cidrs.map((cidr) => ({ ipBlock: { cidr } })) };
    if (endpoint.ports !== undefined) rule.ports = tcpPorts(endpoint.ports);
    const what =
      endpoint.host === undefined ? "declared endpoint" : `declared endpoint ${endpoint.host}`;
    const ports = endpoint.ports === undefined ? ", any port" : "";
    rules.push({ rule, comment: ` ${what} (${cidrs.join(", ")}${ports})` });
  }
  return { rules, unexpressed };
}

interface Ingress {
  rules: { rule: Record<string, unknown>; comment: string }[];
  unselectable: string[];
}

function agentPeers(agent: IngressAgent): Record<string, unknown>[] {
  const peers: Record<string, unknown>[] = [];
  const labels = agent.labels === undefined ? {} : sortedRecord(agent.labels);
  if (agent.namespace !== undefined || Object.keys(labels).length > 0) {
    const peer: Record<string, unknown> = {};
    if (agent.namespace !== undefined)
      peer.namespaceSelector = { matchLabels: { [NAMESPACE_LABEL]: agent.namespace } };
    if (Object.keys(labels).length > 0) peer.podSelector = { matchLabels: labels };
    peers.push(peer);
  }
  for (const cidr of new Set(agent.cidrs ?? [])) peers.push({ ipBlock: { cidr } });
  return peers;
}

function ingressRules(permissions: DeclaredPermissions | undefined): Ingress {
  const rules: Ingress["rules"] = [];
  const unselectable: string[] = [];
  const ports = permissions?.ingress.ports;
  // A server without ports is reached over stdio only: nothing may connect to it.
  if (permissions === undefined || ports === undefined) return { rules, unselectable };
  for (const agent of permissions.ingress.agents) {
    const from = agentPeers(agent);
    if (from.length === 0) {
      // Neither namespace, labels nor addresses: an empty `from` would admit everyone.
      unselectable.push(agent.name);
      continue;
    }
    const where = agent.namespace === undefined ? "" : ` in namespace ${agent.namespace}`;
    rules.push({ rule: { from, ports: tcpPorts(ports) }, comment: ` agent ${agent.name}${where}` });
  }
  return { rules, unselectable };
}

interface PodCredentials {
  env: Record<string, unknown>[];
  volumes: Record<string, unknown>[];
  mounts: Record<string, unknown>[];
  staticKeys: string[];
}

function credentials(
  declared: readonly DeclaredCredential[],
  name: string,
  audience: string,
  usedVolumes: Set<string>,
): PodCredentials {
  const out: PodCredentials = { env: [], volumes: [], mounts: [], staticKeys: [] };
  for (const c of declared) {
    if (c.kind === "static") {
      // The Secret is not generated: its value must never pass through a release workflow.
      const variable = envName(c.name);
      out.env.push({ name: variable, valueFrom: { secretKeyRef: { name, key: variable } } });
      out.staticKeys.push(variable);
    } else if (c.kind === "workload-identity") {
      const volume = uniqueName(`token-${dnsLabel(c.name, "credential")}`, usedVolumes);
      const dir = `${TOKEN_DIR}/${volume}`;
      out.volumes.push({
        name: volume,
        projected: {
          sources: [
            {
              serviceAccountToken: {
                audience,
                expirationSeconds: TOKEN_EXPIRATION_SECONDS,
                path: "token",
              },
            },
          ],
        },
      });
      out.mounts.push({ name: volume, mountPath: dir, readOnly: true });
      out.env.push({ name: `${envName(c.name)}_FILE`, value: `${dir}/token` });
    }
    // oauth: obtained per user at run time; nothing to provision.
  }
  return out;
}

function uniqueName(base: string, used: Set<string>): string {
  let name = dnsLabel(base, "volume");
  for (let i = 2; used.has(name); i++) name = dnsLabel(`${base}-${i}`, "volume");
  used.add(name);
  return name;
}

function filesystemVolumes(
  permissions: DeclaredPermissions | undefined,
  used: Set<string>,
): { volumes: Record<string, unknown>[]; mounts: Record<string, unknown>[] } {
  const paths = new Set<string>(["/tmp"]);
  for (const fs of permissions?.filesystem ?? [])
    if (fs.access === "read-write") paths.add(normalisePath(fs.path));
  const volumes: Record<string, unknown>[] = [];
  const mounts: Record<string, unknown>[] = [];
  for (const path of paths) {
    const name = path === "/tmp" ? TMP_VOLUME : uniqueName(`fs-${path}`, used);
    used.add(name);
    volumes.push({ name, emptyDir: {} });
    mounts.push({ name, mountPath: path });
  }
  return { volumes, mounts };
}

function metadata(
  name: string,
  namespace: string | undefined,
  labels: Record<string, string>,
  annotations?: Record<string, string>,
): Record<string, unknown> {
  const meta: Record<string, unknown> = { name };
  // Copies: no two objects share a map, so the YAML has no aliases and callers may edit freely.
  if (namespace !== undefined) meta.namespace = namespace;
  meta.labels = { ...labels };
  if (annotations !== undefined && Object.keys(annotations).length > 0)
    meta.annotations = { ...annotations };
  return meta;
}

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

  const { permissions, namespace } = input;
  const name = deploymentName(input.serverName);
  const version = labelValue(input.version);
  const labels: Record<string, string> = { [NAME_LABEL]: name };
  if (version !== "") labels[VERSION_LABEL] = version;
  labels[MANAGED_BY_LABEL] = MANAGED_BY;
  const selector = { [NAME_LABEL]: name };
  const serverAnnotations = {
    [SERVER_NAME_ANNOTATION]: input.serverName,
    [SERVER_VERSION_ANNOTATION]: input.version,
  };

  const resources = {
    cpu: permissions?.resources?.cpu ?? DEFAULT_RESOURCES.cpu,
    memory: permissions?.resources?.memory ?? DEFAULT_RESOURCES.memory,
  };
  const usedVolumes = new Set<string>([TMP_VOLUME]);
  const fs = filesystemVolumes(permissions, usedVolumes);
  const creds = credentials(permissions?.credentials ?? [], name, input.serverName, usedVolumes);
  const ingressPorts = [...new Set(permissions?.ingress.ports ?? [])].sort((a, b) => a - b);

  const container: Record<string, unknown> = { name: CONTAINER_NAME, image: input.image };
  if (ingressPorts.length > 0)
    container.ports = ingressPorts.map((port) => ({
      name: `mcp-${port}`,
      containerPort: port,
      protocol: "TCP",
    }));
  if (creds.env.length > 0) container.env = creds.env;
  container.resources = { limits: { ...resources }, requests: { ...resources } };
  container.securityContext = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
  };
  container.volumeMounts = [...fs.mounts, ...creds.mounts];

  const serviceAccount = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: metadata(name, namespace, labels),
    automountServiceAccountToken: false,
  };

  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(name, namespace, labels, serverAnnotations),
    spec: {
      replicas: 1,
      selector: { matchLabels: { ...selector } },
      template: {
        metadata: { labels: { ...labels }, annotations: { ...serverAnnotations } },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS_ID,
            runAsGroup: RUN_AS_ID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [container],
          volumes: [...fs.volumes, ...creds.volumes],
        },
      },
    },
  };

  const egress = egressRules(permissions?.egress ?? []);
  const ingress = ingressRules(permissions);
  const policyAnnotations: Record<string, string> = {};
  if (egress.unexpressed.length > 0)
    policyAnnotations[EGRESS_HOSTS_ANNOTATION] = JSON.stringify(
      egress.unexpressed.map((e) => ({
        host: e.host,
        ...(e.ports === undefined ? {} : { ports: [...new Set(e.ports)].sort((a, b) => a - b) }),
      })),
    );
  if (ingress.unselectable.length > 0)
    policyAnnotations[UNSELECTABLE_AGENTS_ANNOTATION] = JSON.stringify(ingress.unselectable);

  const networkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata(name, namespace, labels, policyAnnotations),
    spec: {
      podSelector: { matchLabels: { ...selector } },
      policyTypes: ["Ingress", "Egress"],
      ingress: ingress.rules.map((r) => r.rule),
      egress: egress.rules.map((r) => r.rule),
    },
  };

  const objects: Record<string, unknown>[] = [serviceAccount, deployment, networkPolicy];
  const header = headerComment(
    input,
    name,
    creds.staticKeys,
    egress.unexpressed,
    ingress,
    permissions,
  );
  const documents = objects.map((object) => new Document(object, { aliasDuplicateObjects: false }));
  commentRules(documents[2], "ingress", ingress.rules);
  commentRules(documents[2], "egress", egress.rules);
  for (const d of documents) quoteYaml11Breaks(d);
  const yaml =
    header.map((line) => (line === "" ? "#" : `# ${commentText(line)}`)).join("\n") +
    "\n" +
    documents
      .map((d) =>
        d.toString({ lineWidth: 0 }).replace(YAML11_BREAKS, (c) => YAML11_ESCAPES[c] ?? c),
      )
      .join("---\n");
  return { objects, yaml };
}

function commentRules(
  doc: Document | undefined,
  field: "ingress" | "egress",
  rules: readonly { comment: string }[],
): void {
  rules.forEach((r, i) => {
    const node = doc?.getIn(["spec", field, i], true);
    if (isMap(node)) node.commentBefore = commentText(r.comment);
  });
}

/**
 * NEL, U+2028 and U+2029 are line breaks to YAML 1.1 parsers, Kubernetes' among them, and plain
 * text to YAML 1.2: written as they are in a plain scalar, a value such as `1.0<U+2028>---` would end
 * the document for `kubectl` but not for `mcp-warden check`. Scalars holding them are
 * double-quoted, where they are written as the `\N`, `\L` and `\P` escapes both read alike.
 */
const YAML11_BREAKS = /[\u0085\u2028\u2029]/g;
const YAML11_ESCAPES: Record<string, string> = {
  "\u0085": "\\N",
  "\u2028": "\\L",
  "\u2029": "\\P",
};

function quoteYaml11Breaks(doc: Document): void {
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value === "string" && /[\u0085\u2028\u2029]/.test(node.value))
        node.type = "QUOTE_DOUBLE";
    },
  });
}

/**
 * Characters a YAML comment line may not hold as they are: line breaks (CR and LF, and NEL, U+2028
 * and U+2029, which YAML 1.1 parsers such as Kubernetes' break lines on too) would end the comment
 * and let the rest of a value (a version, an agent or host name) become YAML of its own; other
 * control characters, a byte-order mark and non-characters are not allowed in a YAML stream.
 */
const NOT_COMMENT_TEXT =
  /[^\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]/gu;

/** `text` for one comment line: every character {@link NOT_COMMENT_TEXT} names is escaped (`\n`, `\u2028`). */
function commentText(text: string): string {
  return text.replace(NOT_COMMENT_TEXT, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    return `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`;
  });
}

function headerComment(
  input: KubernetesManifestsInput,
  name: string,
  staticKeys: readonly string[],
  unexpressed: readonly EgressEndpoint[],
  ingress: Ingress,
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
