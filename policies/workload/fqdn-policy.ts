/**
 * The egress policies that can name hosts, which a Kubernetes NetworkPolicy cannot: Cilium's
 * CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (cilium.io/v2, `toFQDNs`) and the
 * network-policy-api's ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2, `domainNames`).
 * Each is read as its published CRD validates it (the fields the network rules read, with the
 * CRD's patterns and enums) and reduced to one model: whom it selects, whether it makes their
 * egress default-deny, and what its egress rules allow.
 */
import { InputError, type FieldProblem } from "../errors.ts";
import { fieldPath } from "../field-path.ts";
import { isRecord } from "../guards.ts";
import { compileSchema } from "../schema-validator.ts";
import { parseCidr } from "./cidr.ts";
import type { LabelSelector, Labels } from "./k8s-types.ts";
import { labelSelectorSchema, NAMESPACE_NAME_LABEL, selectorMatches } from "./label-selector.ts";

export const CILIUM_API_VERSION = "cilium.io/v2";
export const CLUSTER_NETWORK_POLICY_API_VERSION = "policy.networking.k8s.io/v1alpha2";

const KINDS = {
  CiliumNetworkPolicy: CILIUM_API_VERSION,
  CiliumClusterwideNetworkPolicy: CILIUM_API_VERSION,
  ClusterNetworkPolicy: CLUSTER_NETWORK_POLICY_API_VERSION,
} as const;
export type EgressPolicyKind = keyof typeof KINDS;

/** Whether a document is one of the FQDN-capable policies (by kind and API group). */
export function isEgressPolicyKind(kind: unknown, apiVersion: unknown): kind is EgressPolicyKind {
  return (
    typeof kind === "string" &&
    Object.hasOwn(KINDS, kind) &&
    KINDS[kind as EgressPolicyKind] === apiVersion
  );
}

/** A destination an egress rule allows. */
export type EgressPeer =
  | { kind: "fqdn"; name: string; pattern: boolean }
  | { kind: "cidr"; cidr: string; except?: string[] }
  /** Pods of these namespaces (undefined: any namespace) matching `selector`. */
  | { kind: "pods"; namespaces: string[] | undefined; selector: LabelSelector }
  /** A Cilium entity (`cluster`, `kube-apiserver`...), or a node selector. */
  | { kind: "entity"; name: string }
  /** Every destination (`world`, `all`, or a rule with ports and no destination). */
  | { kind: "all"; why: string };

export interface EgressAllowance {
  /** Field path in the policy, e.g. `specs[1].egress[0]`. */
  path: string;
  peers: EgressPeer[];
  /** Port numbers, or why they cannot be listed (every port, a named port). */
  ports: number[] | string;
}

export interface EgressPolicy {
  kind: EgressPolicyKind;
  metadata: { name: string; namespace?: string };
  /**
   * Whether it selects a pod of `namespace` with `labels`. `namespaceLabels` are the namespace's
   * labels where the edge knows them; its name label is always known.
   */
  selects(namespace: string, labels: Labels, namespaceLabels?: Labels): boolean;
  /**
   * What applies to such a pod: whether its egress becomes default-deny, and what is allowed. A
   * Cilium policy applies those of its rules whose endpointSelector selects the pod.
   */
  egressFor(
    namespace: string,
    labels: Labels,
    namespaceLabels?: Labels,
  ): { isolates: boolean; egress: EgressAllowance[] };
}

// The patterns of the published CRDs (cilium v1.20 pkg/k8s/apis/cilium.io/client/crds/v2,
// network-policy-api v0.2.0 config/crd/experimental), for the fields read here.
export const CILIUM_MATCH_NAME = "^([-a-zA-Z0-9_]+[.]?)+$";
export const CILIUM_MATCH_PATTERN = "^([-a-zA-Z0-9_*]+[.]?)+$";
export const CILIUM_PORT =
  "^(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})|([a-zA-Z0-9]-?)*[a-zA-Z](-?[a-zA-Z0-9])*$";
export const DOMAIN_NAME =
  "^(\\*\\.)?([a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\\.)+[a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\\.?$";

const metadata = (namespaced: boolean) =>
  ({
    type: "object",
    required: ["name"],
    properties: {
      name: { type: "string", minLength: 1 },
      ...(namespaced ? { namespace: { type: "string" } } : {}),
    },
  }) as const;

const ciliumPorts = {
  type: "array",
  items: {
    type: "object",
    properties: {
      ports: {
        type: "array",
        items: {
          type: "object",
          required: ["port"],
          properties: {
            port: { type: "string", pattern: CILIUM_PORT },
            endPort: { type: "integer" },
            protocol: {
              enum: [
                "TCP",
                "UDP",
                "SCTP",
                "VRRP",
                "IGMP",
                "GRE",
                "IPIP",
                "IPV6",
                "ESP",
                "AH",
                "ANY",
              ],
            },
          },
        },
      },
    },
  },
} as const;

const oneOfNameOrPattern = [
  {
    required: ["matchName"],
    properties: { matchName: { type: "string" } },
    not: { required: ["matchPattern"], properties: { matchPattern: { type: "string" } } },
  },
  {
    required: ["matchPattern"],
    properties: { matchPattern: { type: "string" } },
    not: { required: ["matchName"], properties: { matchName: { type: "string" } } },
  },
] as const;

const ciliumRule = {
  type: "object",
  properties: {
    endpointSelector: labelSelectorSchema,
    nodeSelector: labelSelectorSchema,
    enableDefaultDeny: {
      type: "object",
      properties: { egress: { type: "boolean" }, ingress: { type: "boolean" } },
    },
    egress: {
      type: "array",
      items: {
        type: "object",
        properties: {
          toFQDNs: {
            type: "array",
            items: {
              type: "object",
              properties: {
                matchName: { type: "string", maxLength: 255, pattern: CILIUM_MATCH_NAME },
                matchPattern: { type: "string", maxLength: 255, pattern: CILIUM_MATCH_PATTERN },
              },
              oneOf: oneOfNameOrPattern,
            },
          },
          toEndpoints: { type: "array", items: labelSelectorSchema },
          toEntities: {
            type: "array",
            items: {
              enum: [
                "all",
                "world",
                "cluster",
                "cluster-mesh",
                "host",
                "init",
                "ingress",
                "unmanaged",
                "remote-node",
                "health",
                "none",
                "kube-apiserver",
              ],
            },
          },
          toCIDR: { type: "array", items: { type: "string" } },
          toCIDRSet: {
            type: "array",
            items: {
              type: "object",
              properties: {
                cidr: { type: "string" },
                except: { type: "array", items: { type: "string" } },
              },
            },
          },
          toPorts: ciliumPorts,
        },
      },
    },
    egressDeny: { type: "array", items: { type: "object" } },
  },
  // As the CRD requires: exactly one of endpointSelector and nodeSelector.
  oneOf: [
    {
      required: ["endpointSelector"],
      properties: { endpointSelector: { type: "object" } },
      not: { required: ["nodeSelector"], properties: { nodeSelector: { type: "object" } } },
    },
    {
      required: ["nodeSelector"],
      properties: { nodeSelector: { type: "object" } },
      not: { required: ["endpointSelector"], properties: { endpointSelector: { type: "object" } } },
    },
  ],
} as const;

const ciliumSchema = (kind: string, namespaced: boolean) =>
  ({
    type: "object",
    required: ["apiVersion", "kind", "metadata"],
    properties: {
      apiVersion: { const: CILIUM_API_VERSION },
      kind: { const: kind },
      metadata: metadata(namespaced),
      spec: ciliumRule,
      specs: { type: "array", items: ciliumRule },
    },
  }) as const;

const portNumber = { type: "integer", minimum: 1, maximum: 65535 } as const;
const destinationPort = {
  type: "object",
  properties: {
    destinationPort: {
      type: "object",
      properties: {
        number: portNumber,
        range: {
          type: "object",
          required: ["start", "end"],
          properties: { start: portNumber, end: portNumber },
        },
      },
    },
  },
} as const;
const pods = {
  type: "object",
  required: ["podSelector"],
  properties: { namespaceSelector: labelSelectorSchema, podSelector: labelSelectorSchema },
} as const;

const clusterNetworkPolicySchema = {
  type: "object",
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: { const: CLUSTER_NETWORK_POLICY_API_VERSION },
    kind: { const: "ClusterNetworkPolicy" },
    metadata: metadata(false),
    spec: {
      type: "object",
      required: ["priority", "subject", "tier"],
      properties: {
        // The CRD lists Admin and Baseline, but kube-apiserver v1.34 admits any string here (found on
        // the real API server): another tier is state, and selects like the others.
        tier: { type: "string" },
        priority: { type: "integer", minimum: 0, maximum: 1000 },
        subject: {
          type: "object",
          minProperties: 1,
          maxProperties: 1,
          properties: { namespaces: labelSelectorSchema, pods },
        },
        egress: {
          type: "array",
          maxItems: 25,
          items: {
            type: "object",
            required: ["action", "to"],
            properties: {
              name: { type: "string" },
              action: { enum: ["Accept", "Deny", "Pass"] },
              to: {
                type: "array",
                minItems: 1,
                maxItems: 25,
                items: {
                  type: "object",
                  minProperties: 1,
                  maxProperties: 1,
                  properties: {
                    namespaces: labelSelectorSchema,
                    pods,
                    nodes: labelSelectorSchema,
                    networks: {
                      type: "array",
                      minItems: 1,
                      maxItems: 25,
                      items: { type: "string" },
                    },
                    domainNames: {
                      type: "array",
                      minItems: 1,
                      maxItems: 25,
                      items: { type: "string", pattern: DOMAIN_NAME },
                    },
                  },
                },
              },
              protocols: {
                type: "array",
                minItems: 1,
                maxItems: 25,
                items: {
                  type: "object",
                  minProperties: 1,
                  maxProperties: 1,
                  properties: {
                    tcp: destinationPort,
                    udp: destinationPort,
                    sctp: destinationPort,
                    destinationNamedPort: { type: "string" },
                  },
                },
              },
            },
          },
        },
        ingress: { type: "array", maxItems: 25, items: { type: "object" } },
      },
    },
  },
} as const;

interface CiliumRuleInput {
  endpointSelector?: LabelSelector;
  nodeSelector?: LabelSelector;
  enableDefaultDeny?: { egress?: boolean };
  egress?: {
    toFQDNs?: { matchName?: string; matchPattern?: string }[];
    toEndpoints?: LabelSelector[];
    toEntities?: string[];
    toCIDR?: string[];
    toCIDRSet?: { cidr?: string; except?: string[] }[];
    toPorts?: { ports?: { port: string; endPort?: number; protocol?: string }[] }[];
  }[];
  egressDeny?: unknown[];
}
interface CiliumInput {
  apiVersion: string;
  kind: "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy";
  metadata: { name: string; namespace?: string };
  spec?: CiliumRuleInput;
  specs?: CiliumRuleInput[];
}
type PodsInput = { namespaceSelector?: LabelSelector; podSelector: LabelSelector };
type PortInput = { destinationPort?: { number?: number; range?: { start: number; end: number } } };
interface ClusterNetworkPolicyInput {
  apiVersion: string;
  kind: "ClusterNetworkPolicy";
  metadata: { name: string };
  spec: {
    tier: string;
    priority: number;
    subject: { namespaces?: LabelSelector; pods?: PodsInput };
    egress?: {
      action: "Accept" | "Deny" | "Pass";
      to: {
        namespaces?: LabelSelector;
        pods?: PodsInput;
        nodes?: LabelSelector;
        networks?: string[];
        domainNames?: string[];
      }[];
      protocols?: {
        tcp?: PortInput;
        udp?: PortInput;
        sctp?: PortInput;
        destinationNamedPort?: string;
      }[];
    }[];
  };
}

const validators = {
  CiliumNetworkPolicy: compileSchema<CiliumInput>(ciliumSchema("CiliumNetworkPolicy", true)),
  CiliumClusterwideNetworkPolicy: compileSchema<CiliumInput>(
    ciliumSchema("CiliumClusterwideNetworkPolicy", false),
  ),
  ClusterNetworkPolicy: compileSchema<ClusterNetworkPolicyInput>(clusterNetworkPolicySchema),
};

/** CIDRs the CRDs check with `isCIDR` or a format: a malformed one is refused. */
function cidrProblems(cidrs: readonly (readonly [string, string | undefined])[]): FieldProblem[] {
  return cidrs.flatMap(([path, cidr]) =>
    cidr !== undefined && parseCidr(cidr) === undefined
      ? [{ path, message: "must be a valid CIDR" }]
      : [],
  );
}

// Cilium labels carry a source prefix (`k8s:app`, `any:app`); a pod's namespace and
// ServiceAccount are labels too.
const CILIUM_NAMESPACE = "io.kubernetes.pod.namespace";
const stripSource = (key: string) => key.replace(/^(k8s|any):/, "");
function ciliumSelector(sel: LabelSelector | undefined): LabelSelector {
  return {
    ...(sel?.matchLabels
      ? {
          matchLabels: Object.fromEntries(
            Object.entries(sel.matchLabels).map(([k, v]) => [stripSource(k), v]),
          ),
        }
      : {}),
    ...(sel?.matchExpressions
      ? { matchExpressions: sel.matchExpressions.map((e) => ({ ...e, key: stripSource(e.key) })) }
      : {}),
  };
}
/** Cilium gives each endpoint its namespace's labels, prefixed. */
const CILIUM_NAMESPACE_LABELS = "io.cilium.k8s.namespace.labels.";
const ciliumLabels = (namespace: string, labels: Labels, namespaceLabels: Labels = {}): Labels => ({
  ...Object.fromEntries(
    Object.entries(namespaceLabels).map(([k, v]) => [`${CILIUM_NAMESPACE_LABELS}${k}`, v]),
  ),
  ...labels,
  [CILIUM_NAMESPACE]: namespace,
});

/** The namespaces a Cilium selector names by its namespace label; undefined when unbounded. */
function ciliumNamespaces(sel: LabelSelector): string[] | undefined {
  const named = sel.matchLabels?.[CILIUM_NAMESPACE];
  if (named !== undefined) return [named];
  const inList = sel.matchExpressions?.find(
    (e) => e.key === CILIUM_NAMESPACE && e.operator === "In",
  );
  return inList?.values ? [...inList.values] : undefined;
}

function ciliumPortsOf(
  toPorts: NonNullable<CiliumRuleInput["egress"]>[number]["toPorts"],
): number[] | string {
  const entries = (toPorts ?? []).flatMap((p) => p.ports ?? []);
  if (entries.length === 0) return "every port";
  const out = new Set<number>();
  for (const e of entries) {
    if (!/^[0-9]+$/.test(e.port)) return `named port ${JSON.stringify(e.port)}`;
    const first = Number(e.port);
    if (first === 0) return "every port";
    const last = e.endPort !== undefined && e.endPort > first ? e.endPort : first;
    for (let p = first; p <= last; p++) out.add(p);
  }
  return [...out].sort((a, b) => a - b);
}

function ciliumPolicy(input: CiliumInput): EgressPolicy {
  const namespace = input.kind === "CiliumNetworkPolicy" ? input.metadata.namespace : undefined;
  const rules = input.spec ? [["spec", input.spec] as const] : [];
  const listed = (input.specs ?? []).map((r, i) => [fieldPath("specs", i), r] as const);
  const all = [...rules, ...listed];
  const selecting = (rule: CiliumRuleInput, ns: string, labels: Labels, nsLabels?: Labels) =>
    rule.endpointSelector !== undefined &&
    (namespace === undefined || namespace === ns) &&
    selectorMatches(ciliumSelector(rule.endpointSelector), ciliumLabels(ns, labels, nsLabels));
  // Selection is per rule: a policy's rules can select different pods.
  const perRule = all.map(([base, rule]) => ({
    rule,
    isolates:
      (rule.egress !== undefined || rule.egressDeny !== undefined) &&
      rule.enableDefaultDeny?.egress !== false,
    egress: (rule.egress ?? []).map((e, i): EgressAllowance => {
      const peers: EgressPeer[] = [];
      for (const f of e.toFQDNs ?? []) {
        const pattern = f.matchPattern !== undefined;
        const name = (f.matchName ?? f.matchPattern ?? "").toLowerCase().replace(/\.$/, "");
        peers.push({ kind: "fqdn", name, pattern });
      }
      for (const sel of e.toEndpoints ?? []) {
        const s = ciliumSelector(sel);
        peers.push({
          kind: "pods",
          namespaces: ciliumNamespaces(s) ?? (namespace === undefined ? undefined : [namespace]),
          selector: s,
        });
      }
      for (const entity of e.toEntities ?? []) {
        if (entity === "world" || entity === "all")
          peers.push({ kind: "all", why: `toEntities ${entity}` });
        else peers.push({ kind: "entity", name: entity });
      }
      for (const cidr of e.toCIDR ?? []) peers.push({ kind: "cidr", cidr });
      for (const set of e.toCIDRSet ?? [])
        if (set.cidr !== undefined)
          peers.push({
            kind: "cidr",
            cidr: set.cidr,
            ...(set.except ? { except: set.except } : {}),
          });
      const hasL3 =
        (e.toFQDNs ?? []).length +
          (e.toEndpoints ?? []).length +
          (e.toEntities ?? []).length +
          (e.toCIDR ?? []).length +
          (e.toCIDRSet ?? []).length >
        0;
      // A rule with ports and no destination allows those ports to every destination.
      if (!hasL3) peers.push({ kind: "all", why: "no destination (toPorts only)" });
      return { path: fieldPath(base, "egress", i), peers, ports: ciliumPortsOf(e.toPorts) };
    }),
  }));
  const applying = (ns: string, labels: Labels, nsLabels?: Labels) =>
    perRule.filter((r) => selecting(r.rule, ns, labels, nsLabels));
  return {
    kind: input.kind,
    metadata: { name: input.metadata.name, ...(namespace !== undefined ? { namespace } : {}) },
    selects: (ns, labels, nsLabels) => applying(ns, labels, nsLabels).length > 0,
    egressFor: (ns, labels, nsLabels) => {
      const rules = applying(ns, labels, nsLabels);
      return { isolates: rules.some((r) => r.isolates), egress: rules.flatMap((r) => r.egress) };
    },
  };
}

function clusterPorts(
  protocols: NonNullable<ClusterNetworkPolicyInput["spec"]["egress"]>[number]["protocols"],
): number[] | string {
  if (!protocols || protocols.length === 0) return "every port";
  const out = new Set<number>();
  for (const p of protocols) {
    if (p.destinationNamedPort !== undefined)
      return `named port ${JSON.stringify(p.destinationNamedPort)}`;
    const d = (p.tcp ?? p.udp ?? p.sctp)?.destinationPort;
    if (!d) return "every port";
    if (d.number !== undefined) out.add(d.number);
    else if (d.range) for (let n = d.range.start; n <= d.range.end; n++) out.add(n);
    else return "every port";
  }
  return [...out].sort((a, b) => a - b);
}

/** Namespaces selected by a namespace selector, read by the name label; undefined when unbounded. */
function namespacesOf(sel: LabelSelector | undefined): string[] | undefined {
  if (!sel) return undefined;
  const named = sel.matchLabels?.[NAMESPACE_NAME_LABEL];
  if (named !== undefined) return [named];
  const inList = sel.matchExpressions?.find(
    (e) => e.key === NAMESPACE_NAME_LABEL && e.operator === "In",
  );
  return inList?.values ? [...inList.values] : undefined;
}

function clusterNetworkPolicy(input: ClusterNetworkPolicyInput): EgressPolicy {
  const { subject } = input.spec;
  const namespaceLabels = (ns: string, known: Labels = {}): Labels => ({
    ...known,
    [NAMESPACE_NAME_LABEL]: ns,
  });
  const egress = (input.spec.egress ?? []).map((r, i) => ({
    rule: r,
    path: fieldPath("spec", "egress", i),
  }));
  const allowances: EgressAllowance[] = [];
  let isolates = false;
  for (const { rule, path } of egress) {
    const peers: EgressPeer[] = [];
    for (const to of rule.to) {
      for (const d of to.domainNames ?? []) {
        const name = d.toLowerCase().replace(/\.$/, "");
        peers.push({ kind: "fqdn", name, pattern: name.startsWith("*.") });
      }
      for (const cidr of to.networks ?? []) peers.push({ kind: "cidr", cidr });
      if (to.namespaces)
        peers.push({ kind: "pods", namespaces: namespacesOf(to.namespaces), selector: {} });
      if (to.pods)
        peers.push({
          kind: "pods",
          namespaces: namespacesOf(to.pods.namespaceSelector),
          selector: to.pods.podSelector,
        });
      if (to.nodes) peers.push({ kind: "entity", name: "nodes" });
    }
    const ports = clusterPorts(rule.protocols);
    if (rule.action === "Deny") {
      // A Deny of every address on every port is the default deny this API writes.
      const nets = peers.flatMap((p) => (p.kind === "cidr" ? [p.cidr] : []));
      if (ports === "every port" && nets.includes("0.0.0.0/0") && nets.includes("::/0"))
        isolates = true;
      continue;
    }
    // Pass hands the traffic to the NetworkPolicy tier, which may allow it: judged as allowed.
    allowances.push({ path, peers, ports });
  }
  return {
    kind: "ClusterNetworkPolicy",
    metadata: { name: input.metadata.name },
    egressFor: () => ({ isolates, egress: allowances }),
    selects: (ns, labels, nsLabels) =>
      subject.namespaces
        ? selectorMatches(subject.namespaces, namespaceLabels(ns, nsLabels))
        : subject.pods !== undefined &&
          selectorMatches(subject.pods.namespaceSelector, namespaceLabels(ns, nsLabels)) &&
          selectorMatches(subject.pods.podSelector, labels),
  };
}

/**
 * Validates a CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy or ClusterNetworkPolicy as its
 * CRD would admit it (for the fields the network rules read) and reduces it to the model.
 * @throws InputError DOCUMENT_INVALID listing every bad field
 */
export function parseEgressPolicy(object: unknown, defaultNamespace = "default"): EgressPolicy {
  const kind = isRecord(object) ? object.kind : undefined;
  if (kind === "ClusterNetworkPolicy") {
    const v = validators.ClusterNetworkPolicy;
    const problems = v.problems(object, "");
    if (problems.length > 0 || !v.is(object))
      throw new InputError("DOCUMENT_INVALID", "invalid ClusterNetworkPolicy", { problems });
    const cidrs = cidrProblems(
      (object.spec.egress ?? []).flatMap((r, i) =>
        r.to.flatMap((to, j) =>
          (to.networks ?? []).map(
            (c, k) => [fieldPath("spec", "egress", i, "to", j, "networks", k), c] as const,
          ),
        ),
      ),
    );
    if (cidrs.length > 0)
      throw new InputError("DOCUMENT_INVALID", "invalid ClusterNetworkPolicy", { problems: cidrs });
    return clusterNetworkPolicy(object);
  }
  const v =
    kind === "CiliumClusterwideNetworkPolicy"
      ? validators.CiliumClusterwideNetworkPolicy
      : validators.CiliumNetworkPolicy;
  const problems = v.problems(object, "");
  if (problems.length > 0 || !v.is(object))
    throw new InputError("DOCUMENT_INVALID", `invalid ${String(kind)}`, { problems });
  const rules: [string, CiliumRuleInput][] = [
    ...(object.spec ? [["spec", object.spec] as [string, CiliumRuleInput]] : []),
    ...(object.specs ?? []).map((r, i) => [fieldPath("specs", i), r] as [string, CiliumRuleInput]),
  ];
  const cidrs = cidrProblems(
    rules.flatMap(([base, r]) =>
      (r.egress ?? []).flatMap((e, i) => [
        ...(e.toCIDR ?? []).map((c, k) => [fieldPath(base, "egress", i, "toCIDR", k), c] as const),
        ...(e.toCIDRSet ?? []).map(
          (s, k) => [fieldPath(base, "egress", i, "toCIDRSet", k, "cidr"), s.cidr] as const,
        ),
      ]),
    ),
  );
  if (cidrs.length > 0)
    throw new InputError("DOCUMENT_INVALID", `invalid ${String(kind)}`, { problems: cidrs });
  const namespaced =
    object.kind === "CiliumNetworkPolicy"
      ? {
          ...object,
          metadata: {
            ...object.metadata,
            namespace: object.metadata.namespace || defaultNamespace,
          },
        }
      : object;
  return ciliumPolicy(namespaced);
}
