import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import { describeApiError as describe, withKind } from "../cluster/api.ts";
import {
  EGRESS_POLICY_RESOURCES,
  ENFORCE_LABEL,
  NEVER_JUDGED,
  parseState,
  RBAC_RESOURCES,
  type RawState,
} from "../cluster/state.ts";
import { createClusterState, type ClusterState } from "../policies/workload/cluster-state.ts";
import { isRecord } from "../policies/guards.ts";
import { compilePolicy, type CompiledPolicy } from "../policies/workload/policy.ts";
import type { RbacObject } from "../policies/workload/rbac.ts";
import type { StateSnapshot, StateSource } from "./state.ts";
import { WatchedResource } from "./watched-resource.ts";

const GROUP = "mcp-warden.dev";
const VERSION = "v1alpha1";
const RBAC_GROUP = "rbac.authorization.k8s.io";
const CRD_GROUP = "apiextensions.k8s.io";

type EgressResource = (typeof EGRESS_POLICY_RESOURCES)[number];

/** Whether a CustomResourceDefinition is established and serves the version read here. */
export function crdServes(crd: KubernetesObject | undefined, resource: EgressResource): boolean {
  const object: unknown = crd;
  const spec = isRecord(object) ? object.spec : undefined;
  const status = isRecord(object) ? object.status : undefined;
  const list = (o: unknown, key: string): unknown[] => {
    const v = isRecord(o) ? o[key] : undefined;
    return Array.isArray(v) ? v : [];
  };
  return (
    isRecord(spec) &&
    spec.group === resource.group &&
    list(spec, "versions").some(
      (v) => isRecord(v) && v.name === resource.version && v.served === true,
    ) &&
    list(status, "conditions").some(
      (c) => isRecord(c) && c.type === "Established" && c.status === "True",
    )
  );
}

export interface ClusterWatchOptions {
  kubeConfig: KubeConfig;
  /** Watch this MCPWardenPolicy; or judge with `policy`, fixed. */
  policyName?: string | undefined;
  policy?: CompiledPolicy | undefined;
  /** How long a broken watch may serve cached data before its rules deny. */
  staleAfterMs: number;
  logger: Logger;
  /** The webhook's clock, which stamps when a watch started failing; the system clock if unset. */
  now?: (() => Date) | undefined;
}

/**
 * Cluster state from list+watch caches: NetworkPolicies, Roles, ClusterRoles, RoleBindings,
 * ClusterRoleBindings and ConfigMaps in every namespace, MCPWardenExceptions in the policy's exception namespaces
 * only, and the MCPWardenPolicy the webhook enforces.
 * Objects are validated once per change, not per request.
 *
 * The host-naming egress policies (CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy,
 * ClusterNetworkPolicy) are watched while their CRD serves them: one watch per CRD, by name,
 * starts a kind's watch when its CRD is established and stops it when the CRD goes. A kind whose
 * CRD is not installed is absent, not stale; the CRD watches and the kinds' watches, once started,
 * are stale like the others and then deny the network rules.
 */
export class ClusterWatch implements StateSource {
  private readonly opts: ClusterWatchOptions;
  private readonly custom: CustomObjectsApi;
  private readonly networkPolicies: WatchedResource<KubernetesObject>;
  /** The CRD of each host-naming egress policy kind, by kind. */
  private readonly crdWatches: [EgressResource, WatchedResource<KubernetesObject>][];
  /** The host-naming egress policies of the kinds served now, by kind. */
  private readonly egressWatches = new Map<string, WatchedResource<KubernetesObject>>();
  private readonly rbacWatches: [kind: string, WatchedResource<KubernetesObject>][];
  /** ConfigMaps, for the credentials a container reads through configMapKeyRef and envFrom. */
  private readonly configMaps: WatchedResource<KubernetesObject>;
  /** Namespaces, for their opt-in label: bindings are judged for ServiceAccounts in judged ones. */
  private readonly namespaces: WatchedResource<KubernetesObject>;
  private rbac: RbacObject[] = [];
  private readonly policyWatch: WatchedResource<KubernetesObject> | undefined;
  private exceptionWatches = new Map<string, WatchedResource<KubernetesObject>>();
  private policy: CompiledPolicy | undefined;
  private policyError: string | undefined;
  private cluster: ClusterState | undefined;
  /** Namespaces judged (opted in, not excluded), rebuilt when a namespace changes, not per request. */
  private judged: readonly string[] | undefined;
  private invalidNetworkPolicy: string | undefined;
  private invalidRbac: string | undefined;

  constructor(opts: ClusterWatchOptions) {
    this.opts = opts;
    this.custom = opts.kubeConfig.makeApiClient(CustomObjectsApi);
    this.policy = opts.policy;
    this.policyError = opts.policy || opts.policyName ? undefined : "no policy configured";
    this.networkPolicies = this.watch(
      "networkpolicies",
      "/apis/networking.k8s.io/v1/networkpolicies",
      () =>
        // The generic list returns the objects as JSON (`from`), as the watch does; typed clients rename fields.
        this.custom.listClusterCustomObject({
          group: "networking.k8s.io",
          version: "v1",
          plural: "networkpolicies",
        }),
    );
    this.rbacWatches = RBAC_RESOURCES.map(([plural, kind]) => [
      kind,
      this.watch(plural, `/apis/${RBAC_GROUP}/v1/${plural}`, () =>
        this.custom.listClusterCustomObject({ group: RBAC_GROUP, version: "v1", plural }),
      ),
    ]);
    this.crdWatches = EGRESS_POLICY_RESOURCES.map((r) => {
      const fieldSelector = `metadata.name=${r.crd}`;
      return [
        r,
        this.watch(
          `customresourcedefinitions/${r.crd}`,
          `/apis/${CRD_GROUP}/v1/customresourcedefinitions`,
          () =>
            this.custom.listClusterCustomObject({
              group: CRD_GROUP,
              version: "v1",
              plural: "customresourcedefinitions",
              fieldSelector,
            }),
          fieldSelector,
        ),
      ];
    });
    const core = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.namespaces = this.watch("namespaces", "/api/v1/namespaces", () => core.listNamespace());
    this.configMaps = this.watch("configmaps", "/api/v1/configmaps", () =>
      core.listConfigMapForAllNamespaces(),
    );
    if (opts.policyName !== undefined) {
      this.policyError = `MCPWardenPolicy ${opts.policyName} not loaded yet`;
      this.policyWatch = this.watch(
        "mcpwardenpolicies",
        `/apis/${GROUP}/${VERSION}/mcpwardenpolicies`,
        () =>
          this.custom.listClusterCustomObject({
            group: GROUP,
            version: VERSION,
            plural: "mcpwardenpolicies",
          }),
      );
    }
    this.syncExceptionWatches();
  }

  private all(): WatchedResource<KubernetesObject>[] {
    return [
      this.networkPolicies,
      ...this.crdWatches.map(([, w]) => w),
      ...this.egressWatches.values(),
      ...this.rbacWatches.map(([, w]) => w),
      this.namespaces,
      this.configMaps,
      ...(this.policyWatch ? [this.policyWatch] : []),
      ...this.exceptionWatches.values(),
    ];
  }

  start(): void {
    this.networkPolicies.start();
    for (const [, w] of this.crdWatches) w.start();
    for (const [, w] of this.rbacWatches) w.start();
    this.namespaces.start();
    this.configMaps.start();
    this.policyWatch?.start();
    for (const w of this.exceptionWatches.values()) w.start();
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((w) => w.stop()));
  }

  snapshot(now: Date): StateSnapshot {
    const t = now.getTime();
    const watches = this.all().map((w) => w.status(t));
    this.cluster ??= this.buildClusterState();
    const stale = (...prefixes: string[]) => {
      const bad = watches.filter(
        (w) =>
          prefixes.some((p) => w.resource.startsWith(p)) &&
          (!w.synced || w.failingForMs > this.opts.staleAfterMs),
      );
      if (bad.length === 0) return undefined;
      return bad
        .map((w) =>
          w.synced
            ? `the ${w.resource} watch has been failing for ${Math.round(w.failingForMs / 1000)}s`
            : `the ${w.resource} watch has not synced`,
        )
        .join("; ");
    };
    const unavailable = {
      networkPolicies:
        this.invalidNetworkPolicy ??
        stale(
          "networkpolicies",
          "customresourcedefinitions/",
          ...EGRESS_POLICY_RESOURCES.map((r) => r.plural),
        ),
      exceptions: stale("mcpwardenexceptions"),
      rbac: this.invalidRbac ?? stale(...RBAC_RESOURCES.map(([plural]) => plural)),
      configMaps: stale("configmaps"),
      namespaces: stale("namespaces"),
    };
    const cluster: ClusterState =
      unavailable.networkPolicies ||
      unavailable.exceptions ||
      unavailable.rbac ||
      unavailable.configMaps ||
      unavailable.namespaces
        ? {
            ...this.cluster,
            unavailable: Object.fromEntries(
              Object.entries(unavailable).filter(([, v]) => v !== undefined),
            ),
          }
        : this.cluster;
    const unsynced = watches.filter((w) => !w.synced).map((w) => w.resource);
    const notReady = !this.policy
      ? `no valid policy: ${this.policyError ?? "not loaded"}`
      : unsynced.length > 0
        ? `waiting for the first sync of ${unsynced.join(", ")}`
        : undefined;
    const judged = (this.judged ??= [
      ...new Set(
        this.namespaces
          .list()
          .filter((n) => n.metadata?.labels?.[ENFORCE_LABEL] === "true")
          .map((n) => n.metadata?.name ?? "")
          .filter((n) => !NEVER_JUDGED.has(n)),
      ),
    ]);
    return {
      policy: this.policy,
      policyError: this.policyError,
      cluster,
      rbac: this.rbac,
      judgedNamespaces: judged,
      ready: notReady === undefined,
      notReady,
      watches,
    };
  }

  private watch(
    resource: string,
    path: string,
    list: () => Promise<unknown>,
    fieldSelector?: string,
  ): WatchedResource<KubernetesObject> {
    return new WatchedResource<KubernetesObject>({
      kubeConfig: this.opts.kubeConfig,
      resource,
      path,
      list: () => list() as Promise<KubernetesListObject<KubernetesObject>>,
      fieldSelector,
      onChange: () => this.changed(resource),
      now: this.opts.now ?? (() => new Date()),
      onError: (err) =>
        this.opts.logger.warn(
          { resource, err: describe(err) },
          "watch failed; retrying with backoff",
        ),
    });
  }

  private changed(resource: string): void {
    this.cluster = undefined;
    if (resource === "namespaces") this.judged = undefined;
    if (resource === "mcpwardenpolicies") this.reloadPolicy();
    if (resource.startsWith("customresourcedefinitions/")) this.syncEgressWatches();
  }

  /** One watch per host-naming egress policy kind whose CRD serves it now. */
  private syncEgressWatches(): void {
    for (const [r, crds] of this.crdWatches) {
      const served = crdServes(
        crds.list().find((o) => o.metadata?.name === r.crd),
        r,
      );
      const current = this.egressWatches.get(r.kind);
      if (!served && current) {
        void current.stop();
        this.egressWatches.delete(r.kind);
        this.opts.logger.info({ kind: r.kind, crd: r.crd }, "CRD gone: no longer watched");
      } else if (served && !current) {
        const w = this.watch(r.plural, `/apis/${r.group}/${r.version}/${r.plural}`, () =>
          this.custom.listClusterCustomObject({
            group: r.group,
            version: r.version,
            plural: r.plural,
          }),
        );
        this.egressWatches.set(r.kind, w);
        w.start();
        this.opts.logger.info({ kind: r.kind, crd: r.crd }, "CRD served: watching");
      }
    }
    this.cluster = undefined;
  }

  private reloadPolicy(): void {
    const name = this.opts.policyName;
    const object = this.policyWatch?.list().find((o) => o.metadata?.name === name);
    if (!object) {
      this.policy = undefined;
      this.policyError = `MCPWardenPolicy ${name ?? ""} does not exist`;
      this.opts.logger.error({ policy: name }, this.policyError);
      return;
    }
    try {
      this.policy = compilePolicy(withKind(object, `${GROUP}/${VERSION}`, "MCPWardenPolicy"));
      this.policyError = undefined;
      this.opts.logger.info(
        { policy: name, resourceVersion: object.metadata?.resourceVersion },
        "policy loaded",
      );
      this.syncExceptionWatches();
    } catch (err) {
      // Keep judging with the last valid policy; say loudly that the new one was refused.
      this.policyError = `MCPWardenPolicy ${name ?? ""} is invalid: ${describe(err)}`;
      this.opts.logger.error(
        { policy: name, err: describe(err) },
        "policy refused; the previous one stays in force",
      );
    }
  }

  /** One exception watch per exception namespace of the current policy. */
  private syncExceptionWatches(): void {
    const wanted = new Set(this.policy?.exceptionNamespaces ?? []);
    for (const [ns, w] of this.exceptionWatches) {
      if (!wanted.has(ns)) {
        void w.stop();
        this.exceptionWatches.delete(ns);
      }
    }
    for (const ns of wanted) {
      if (this.exceptionWatches.has(ns)) continue;
      const w = this.watch(
        `mcpwardenexceptions/${ns}`,
        `/apis/${GROUP}/${VERSION}/namespaces/${ns}/mcpwardenexceptions`,
        () =>
          this.custom.listNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace: ns,
            plural: "mcpwardenexceptions",
          }),
      );
      this.exceptionWatches.set(ns, w);
      w.start();
    }
    this.cluster = undefined;
  }

  private buildClusterState(): ClusterState {
    const raw: RawState = {
      networkPolicies: this.networkPolicies.list(),
      egressPolicies: [...this.egressWatches].map(([kind, w]) => [kind, w.list()] as const),
      rbac: this.rbacWatches.map(([kind, w]) => [kind, w.list()] as const),
      exceptions: [...this.exceptionWatches.values()].flatMap((w) => w.list()),
      configMaps: this.configMaps.list(),
    };
    const parsed = parseState(raw);
    for (const err of parsed.invalidNetworkPolicies)
      this.opts.logger.error({ err }, "unreadable network policy");
    for (const err of parsed.invalidExceptions)
      this.opts.logger.error({ err }, "invalid MCPWardenException ignored");
    for (const err of parsed.invalidRbac) this.opts.logger.error({ err }, "unreadable RBAC object");
    for (const err of parsed.invalidConfigMaps)
      this.opts.logger.error({ err }, "unreadable ConfigMap: its keys are not judged");
    // Unreadable objects make their rules deny and say why (see parseState).
    this.invalidNetworkPolicy = parsed.invalidNetworkPolicies.join("; ") || undefined;
    this.invalidRbac = parsed.invalidRbac.join("; ") || undefined;
    this.rbac = parsed.rbac;
    return createClusterState({
      networkPolicies: parsed.networkPolicies,
      egressPolicies: parsed.egressPolicies,
      exceptions: parsed.exceptions,
      rbac: parsed.rbac,
      configMaps: parsed.configMaps,
      // Every namespace, as the cluster labels it: runtime/gateway-required selects by these.
      namespaces: this.namespaces.list().map((n) => ({
        name: n.metadata?.name ?? "",
        labels: { ...(n.metadata?.labels ?? {}) },
      })),
      namespacesComplete: true,
    });
  }
}
