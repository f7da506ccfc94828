import { isNode, isScalar, type Document } from "yaml";
import { isRecord } from "../../guards.ts";
import { DEFAULT_RESOURCES, RUN_AS_ID } from "../../deployment/kubernetes-manifests.ts";
import { uniqueName } from "../../deployment/kubernetes-names.ts";
import { fieldPath, parseFieldPath } from "../../field-path.ts";
import type { ClusterState } from "../cluster-state.ts";
import type { DecidedFinding } from "../engine.ts";
import { effectivePolicyTypes, selectingPolicies } from "../rules/network.ts";
import { parseImageReference } from "../image-reference.ts";
import { quantitySign } from "../quantity.ts";
import { isWindows } from "../rules/pod-security.ts";
import type { RuleSettings } from "../rule.ts";
import { serviceAccountOf, type ContainerRef, type Workload } from "../workload.ts";
import { defaultDenyPolicy, type Direction } from "./default-deny.ts";
import { marker, PLACEHOLDER } from "./markers.ts";
import { appendItem, ensureSeq, nodeAt, setField, type YamlPath } from "./yaml-edit.ts";
import { Horizon } from "../horizon.ts";

/**
 * The pure core of `mcp-warden fix`: given one workload in a parsed YAML document and what the
 * engine found, edit the document in place so the findings go away where the change is safe,
 * and list a decision wherever a person must choose (a removal that could break the workload, a
 * value only measurements can give, a peer only its operator knows). No I/O: image digests are
 * looked up by the edge and passed in.
 */

/** Something a person must settle, at a field of the workload's object. */
export interface FixDecision {
  path: string;
  what: string;
  /** The rules this leaves failing until it is settled; empty when the fix passes them already. */
  rules: string[];
}

/** What the registry said about an image reference, as written. */
export type DigestLookup = { digest: string } | { error: string };

export interface FixContext {
  cluster: ClusterState;
  settings: RuleSettings;
  /** Digests looked up with `--resolve-digests`; undefined when not asked for. */
  digests: ReadonlyMap<string, DigestLookup> | undefined;
  /** NetworkPolicies added for the workloads fixed before this one, as `namespace/name`. */
  added?: ReadonlySet<string>;
}

export interface FixResult {
  decisions: FixDecision[];
  /** A default-deny NetworkPolicy to add next to the workload (YAML), when one is needed. */
  networkPolicy?: string;
  /** Its `namespace/name`, to pass on in `added` when fixing the next workloads. */
  networkPolicyName?: string;
}

/** Where the workload's object sits in its document: `[]`, or `["items", 2]` in a List. */
export interface FixTarget {
  doc: Document;
  root: YamlPath;
  workload: Workload;
  findings: readonly DecidedFinding[];
}

const TMP_VOLUME = "tmp";
const API_VOLUME = "kube-api-access";
const API_TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
/** The kubelet refreshes a projected token before it expires; an hour, as the generator's. */
const TOKEN_EXPIRATION_SECONDS = 3600;

type Fixer = (fix: WorkloadFix, findings: DecidedFinding[]) => void;

/** One workload being fixed: the document, the decisions so far, volumes to add at the end. */
class WorkloadFix {
  readonly decisions: FixDecision[] = [];
  networkPolicy: string | undefined;
  networkPolicyName: string | undefined;
  readonly tmpFor = new Set<ContainerRef>();
  needsApiToken = false;
  readonly target: FixTarget;
  readonly context: FixContext;

  constructor(target: FixTarget, context: FixContext) {
    this.target = target;
    this.context = context;
  }

  get workload(): Workload {
    return this.target.workload;
  }

  yamlPath(path: string): YamlPath {
    return [...this.target.root, ...parseFieldPath(path)];
  }

  /** The value written at a field path of the workload, as the document holds it. */
  valueAt(path: string): unknown {
    const node = nodeAt(this.target.doc, this.yamlPath(path));
    return isScalar(node) ? node.value : node;
  }

  /** The field at a path of the workload as plain data. */
  plainAt(path: string): unknown {
    const node = nodeAt(this.target.doc, this.yamlPath(path));
    return isNode(node) ? node.toJSON() : node;
  }

  set(path: string, value: unknown, comment?: string): boolean {
    return setField(this.target.doc, this.yamlPath(path), value, comment);
  }

  decide(path: string, what: string, rules: string[]): void {
    if (this.decisions.some((d) => d.path === path && d.what === what)) return;
    this.decisions.push({ path, what, rules });
  }

  /** The finding stays: the decision says what it asks for, in the engine's words. */
  leave(f: DecidedFinding, why = ""): void {
    this.decide(f.path, why === "" ? f.message : `${f.message} (${why})`, [f.rule]);
  }

  containerAt(path: string): ContainerRef | undefined {
    return this.workload.containers.find((c) => path.startsWith(`${c.path}.`));
  }

  /** Sets a field the rule asks for, or leaves a decision when the document cannot take it. */
  setOrLeave(f: DecidedFinding, path: string, value: unknown, comment?: string): void {
    if (!this.set(path, value, comment))
      this.leave(f, "the YAML there is not a mapping mcp-warden can edit");
  }
}

const BREAKS = "removing it could break the workload, so mcp-warden leaves it to a person";

const seccompProfile: Fixer = (fix, findings) => {
  const { workload } = fix;
  const podProfile = workload.podSpec.securityContext?.seccompProfile;
  const missing: DecidedFinding[] = [];
  for (const f of findings) {
    const set = fix.containerAt(f.path)?.container.securityContext?.seccompProfile;
    // A profile written as something else (Unconfined) was chosen: only a person can drop it.
    if (set !== undefined || podProfile !== undefined) fix.leave(f, BREAKS);
    else missing.push(f);
  }
  const [first] = missing;
  if (first !== undefined)
    fix.setOrLeave(
      first,
      fieldPath(workload.specPath, "securityContext", "seccompProfile", "type"),
      "RuntimeDefault",
    );
};

/**
 * The API server rejects `allowPrivilegeEscalation: false` beside `privileged: true` or an added
 * `CAP_SYS_ADMIN` (spelled so; `SYS_ADMIN` is not compared), which grant escalation anyway.
 */
function grantsEscalation(ref: ContainerRef | undefined): boolean {
  const sc = ref?.container.securityContext;
  return sc?.privileged === true || (sc?.capabilities?.add ?? []).includes("CAP_SYS_ADMIN");
}

const allowPrivilegeEscalation: Fixer = (fix, findings) => {
  for (const f of findings) {
    if (fix.valueAt(f.path) === true) fix.leave(f, BREAKS);
    else if (grantsEscalation(fix.containerAt(f.path)))
      fix.leave(
        f,
        "the API server rejects it beside privileged: true or CAP_SYS_ADMIN, which only a person can drop",
      );
    else fix.setOrLeave(f, f.path, false);
  }
};

const capabilities: Fixer = (fix, findings) => {
  for (const f of findings) {
    if (!f.path.endsWith(".drop")) {
      fix.leave(f, BREAKS);
      continue;
    }
    const seq = ensureSeq(fix.target.doc, fix.yamlPath(f.path));
    if (seq === undefined) {
      fix.leave(f, "the YAML there is not a list mcp-warden can edit");
      continue;
    }
    // `all` in lowercase is not ALL to the kubelet: correct it where it is written.
    const lower = seq.items.find((n) => isScalar(n) && String(n.value).toUpperCase() === "ALL");
    if (isScalar(lower)) lower.value = "ALL";
    else seq.items.push(fix.target.doc.createNode("ALL"));
  }
};

const runAsNonRoot: Fixer = (fix, findings) => {
  const { workload } = fix;
  const podContext = workload.podSpec.securityContext;
  let podLevel = false;
  for (const f of findings) {
    // An explicit false is someone's statement that the image needs root.
    if (fix.valueAt(f.path) === false) fix.leave(f, BREAKS);
    else podLevel = true;
  }
  if (!podLevel || podContext?.runAsNonRoot !== undefined) return;
  const first = findings[0];
  if (first === undefined) return;
  fix.setOrLeave(first, fieldPath(workload.specPath, "securityContext", "runAsNonRoot"), true);
  // runAsNonRoot alone stops an image whose default user is root (or a name) from starting.
  const everyContainer = workload.containers.every(
    (c) => c.container.securityContext?.runAsUser !== undefined,
  );
  // A pod declared Windows may not set runAsUser: its user is a name (windowsOptions).
  if (podContext?.runAsUser === undefined && !everyContainer && !isWindows(workload.podSpec))
    fix.set(
      fieldPath(workload.specPath, "securityContext", "runAsUser"),
      RUN_AS_ID,
      marker(
        "chosen non-root user id: the image's own user is not known here; set it if the image has one",
      ),
    );
};

const readOnlyRootFilesystem: Fixer = (fix, findings) => {
  for (const f of findings) {
    const ref = fix.containerAt(f.path);
    const wasFalse = fix.valueAt(f.path) === false;
    const comment = wasFalse
      ? marker(
          "was false: the container gets an emptyDir at /tmp; mount one wherever else it writes",
        )
      : undefined;
    if (!fix.set(f.path, true, comment)) {
      fix.leave(f, "the YAML there is not a mapping mcp-warden can edit");
      continue;
    }
    if (ref !== undefined) fix.tmpFor.add(ref);
  }
};

/** A quantity that is set and not zero, as the rule requires. */
function quantity(value: unknown): string | number | undefined {
  if (typeof value === "number") return value === 0 ? undefined : value;
  return typeof value === "string" && value !== "" && value !== "0" ? value : undefined;
}

const UNITS: Record<string, number> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** A Kubernetes quantity as a number (`500m` → 0.5, `1Gi` → 2^30); undefined if unusual. */
function amount(q: string | number): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(String(q));
  const unit = m?.[2] !== undefined ? UNITS[m[2]] : undefined;
  return m?.[1] === undefined || unit === undefined ? undefined : Number(m[1]) * unit;
}

/** The default, or the request when that is larger (or cannot be compared). */
function atLeast(request: string | number | undefined, fallback: string): string | number {
  if (request === undefined) return fallback;
  const r = amount(request);
  const f = amount(fallback);
  return r === undefined || f === undefined || r > f ? request : fallback;
}

const resourceLimits: Fixer = (fix, findings) => {
  for (const f of findings) {
    const ref = fix.containerAt(f.path);
    const resource = parseFieldPath(f.path).at(-1);
    if (ref === undefined || (resource !== "cpu" && resource !== "memory")) {
      fix.leave(f);
      continue;
    }
    // A limit written as something else than a quantity (`1gi`, `-1`) was meant as some amount:
    // a placeholder would silently replace it.
    const written = ref.container.resources?.limits?.[resource];
    const requested = ref.container.resources?.requests?.[resource];
    const unreadable = (q: string | number | undefined) =>
      q !== undefined && !["zero", "positive"].includes(quantitySign(q) ?? "");
    if ((written !== undefined && quantitySign(written) !== "zero") || unreadable(requested)) {
      fix.leave(f, "only a person knows which amount was meant");
      continue;
    }
    // A limit below the request is rejected by the API server: never go under the request.
    const request = quantity(ref.container.resources?.requests?.[resource]);
    const value = atLeast(request, DEFAULT_RESOURCES[resource]);
    fix.setOrLeave(f, f.path, value, PLACEHOLDER);
    if (request === undefined)
      fix.set(fieldPath(ref.path, "resources", "requests", resource), value, PLACEHOLDER);
  }
};

const serviceAccountToken: Fixer = (fix, findings) => {
  // A pod that gets no token now (its ServiceAccount says so) is not given one by the fix.
  const hadToken = mountsToken(fix);
  for (const f of findings) fix.setOrLeave(f, f.path, false);
  if (findings.length > 0 && hadToken && usesApi(fix)) fix.needsApiToken = true;
};

/** Whether the kubelet mounts an API token in the pod as written: the pod's say, else its account's. */
function mountsToken(fix: WorkloadFix): boolean {
  const { workload, context } = fix;
  const own = workload.podSpec.automountServiceAccountToken;
  if (own !== undefined) return own;
  const account = serviceAccountOf(workload.podSpec);
  return context.cluster.rbac?.automountsToken?.(workload.namespace, account) !== false;
}

/** The pod's service account is granted something by the RBAC among the inputs. */
function usesApi(fix: WorkloadFix): boolean {
  const { workload, context } = fix;
  const account = serviceAccountOf(workload.podSpec);
  const granted = context.cluster.rbac?.grantsTo(workload.namespace, account);
  return granted !== undefined && granted.grants.length + granted.bindings.length > 0;
}

const digestPinned: Fixer = (fix, findings) => {
  for (const f of findings) {
    const reference = fix.valueAt(f.path);
    const lookup = typeof reference === "string" ? fix.context.digests?.get(reference) : undefined;
    // A reference that does not parse (a malformed digest) cannot be looked up or pinned: the
    // engine's message says what is wrong with it.
    if (
      typeof reference !== "string" ||
      /^[a-z][a-z0-9+.-]*:\/\//.test(reference) ||
      !parseImageReference(reference).ok
    ) {
      fix.leave(f);
    } else if (fix.context.digests === undefined) {
      fix.decide(
        f.path,
        `${reference} is not pinned by digest: run fix with --resolve-digests, or pin it by hand as ${reference}@$(crane digest ${reference})`,
        [f.rule],
      );
    } else if (lookup === undefined || "error" in lookup) {
      const why = lookup === undefined ? "it was not looked up" : lookup.error;
      fix.decide(f.path, `${reference} could not be pinned: ${why}`, [f.rule]);
    } else if (reference.includes("@")) {
      fix.leave(f, "it names a digest already; check which one is meant");
    } else {
      fix.setOrLeave(f, f.path, `${reference}@${lookup.digest}`);
    }
  }
};

const network: Fixer = (fix, findings) => {
  const ctx = {
    workload: fix.workload,
    cluster: fix.context.cluster,
    settings: fix.context.settings,
    evidence: undefined,
    now: new Date(0),
    horizon: new Horizon(),
  };
  const selecting = selectingPolicies(ctx);
  const restricted = (d: Direction) => selecting.some((np) => effectivePolicyTypes(np).includes(d));
  const directions: Direction[] = [];
  for (const f of findings) {
    const direction: Direction = f.rule === "network/egress-restricted" ? "Egress" : "Ingress";
    // No NetworkPolicy isolates a pod on the node's network: dropping hostNetwork is a person's call.
    if (fix.workload.podSpec.hostNetwork === true) {
      fix.leave(f, BREAKS);
      continue;
    }
    // Another NetworkPolicy restricts this direction but too little: only its owner can narrow it.
    if (restricted(direction)) fix.leave(f, "mcp-warden does not edit existing NetworkPolicies");
    else if (!directions.includes(direction)) directions.push(direction);
  }
  if (directions.length === 0) return;
  directions.sort((a, b) => (a === "Ingress" ? -1 : b === "Ingress" ? 1 : 0));
  const { namespace } = fix.workload;
  const taken = new Set(
    fix.context.cluster.networkPoliciesIn(namespace).flatMap((np) => np.metadata.name ?? []),
  );
  for (const key of fix.context.added ?? [])
    if (key.startsWith(`${namespace}/`)) taken.add(key.slice(namespace.length + 1));
  const policy = defaultDenyPolicy({
    workload: fix.workload,
    directions,
    usesApi: usesApi(fix),
    taken,
  });
  if (policy === undefined) {
    for (const f of findings)
      fix.leave(f, "the pod has no labels a NetworkPolicy could select it by: add some");
    return;
  }
  fix.networkPolicy = policy.yaml;
  fix.networkPolicyName = `${namespace}/${policy.name}`;
};

const rbac: Fixer = (fix, findings) => {
  // Whether the server needs a right cannot be read from the manifests: never revoke silently.
  for (const f of findings) fix.leave(f, "revoke it in the role if the server does not need it");
};

const FIXERS: Record<string, Fixer> = {
  "pod-security/seccomp-profile": seccompProfile,
  "pod-security/allow-privilege-escalation": allowPrivilegeEscalation,
  "pod-security/capabilities": capabilities,
  "pod-security/run-as-non-root": runAsNonRoot,
  "sandbox/read-only-root-filesystem": readOnlyRootFilesystem,
  "sandbox/resource-limits": resourceLimits,
  "sandbox/service-account-token": serviceAccountToken,
  "image/digest-pinned": digestPinned,
  "network/egress-restricted": network,
  "network/ingress-restricted": network,
};

/** Rules whose fix would remove something the workload may need: always a person's call. */
const LEFT_TO_A_PERSON = /^pod-security\/|^sandbox\/volume-isolation$/;

/** Fixes one workload in its document; the document is edited in place. */
export function fixWorkload(target: FixTarget, context: FixContext): FixResult {
  const fix = new WorkloadFix(target, context);
  // What fails `check` is fixed: exempted findings and warnings are left as they are.
  const open = target.findings.filter((f) => f.action === "enforce" && f.exemptedBy === undefined);
  const byFixer = new Map<Fixer, DecidedFinding[]>();
  for (const f of open) {
    const fixer = FIXERS[f.rule];
    if (fixer === undefined) {
      if (f.rule.startsWith("rbac/")) rbac(fix, [f]);
      else fix.leave(f, LEFT_TO_A_PERSON.test(f.rule) ? BREAKS : "");
      continue;
    }
    byFixer.set(fixer, [...(byFixer.get(fixer) ?? []), f]);
  }
  for (const [fixer, findings] of byFixer) fixer(fix, findings);
  addVolumes(fix);
  return {
    decisions: fix.decisions,
    ...(fix.networkPolicy === undefined || fix.networkPolicyName === undefined
      ? {}
      : { networkPolicy: fix.networkPolicy, networkPolicyName: fix.networkPolicyName }),
  };
}

/** Whether a container's volumeMounts already put something at /tmp. */
function mountsTmp(mounts: unknown): boolean {
  return (
    Array.isArray(mounts) &&
    mounts.some((m) => isRecord(m) && String(m.mountPath).replace(/\/+$/, "") === "/tmp")
  );
}

function volumeNames(fix: WorkloadFix): Set<string> {
  return new Set((fix.workload.podSpec.volumes ?? []).flatMap((v) => (v.name ? [v.name] : [])));
}

/** The emptyDir for /tmp of read-only containers, and the projected API token when needed. */
function addVolumes(fix: WorkloadFix): void {
  const { doc } = fix.target;
  const specPath = fix.yamlPath(fix.workload.specPath);
  const used = volumeNames(fix);
  const needTmp = [...fix.tmpFor].filter(
    (ref) => !mountsTmp(fix.plainAt(`${ref.path}.volumeMounts`)),
  );
  if (needTmp.length > 0) {
    const name = uniqueName(TMP_VOLUME, used);
    appendItem(doc, [...specPath, "volumes"], { name, emptyDir: {} });
    for (const ref of needTmp)
      appendItem(doc, [...fix.yamlPath(ref.path), "volumeMounts"], { name, mountPath: "/tmp" });
  }
  if (fix.needsApiToken) {
    const name = uniqueName(API_VOLUME, used);
    // What the kubelet would have mounted, written out: the token expires and is rotated, and
    // the grant is visible in review. No audience: the API server's own, which a client needs.
    appendItem(
      doc,
      [...specPath, "volumes"],
      {
        name,
        projected: {
          sources: [
            { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: "token" } },
            { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
            {
              downwardAPI: {
                items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }],
              },
            },
          ],
        },
      },
      marker(
        "projected Kubernetes API token: the service account is granted API access among the inputs; remove this volume and its mounts if the server does not call the API",
      ),
    );
    for (const ref of fix.workload.containers.filter((c) => c.kind === "containers"))
      appendItem(doc, [...fix.yamlPath(ref.path), "volumeMounts"], {
        name,
        mountPath: API_TOKEN_DIR,
        readOnly: true,
      });
  }
}
