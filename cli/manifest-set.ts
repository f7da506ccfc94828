import {
  createClusterState,
  parseNamespace,
  type ClusterState,
} from "../policies/workload/cluster-state.ts";
import { WardenError, type FieldProblem } from "../policies/errors.ts";
import {
  EXCEPTION_KIND,
  parseException,
  type Exception,
} from "../policies/workload/exception-schema.ts";
import { isRecord } from "../policies/guards.ts";
import type { Labels, NetworkPolicy } from "../policies/workload/k8s-types.ts";
import { parseNetworkPolicy } from "../policies/workload/network-policy.ts";
import {
  isEgressPolicyKind,
  parseEgressPolicy,
  type EgressPolicy,
} from "../policies/workload/fqdn-policy.ts";
import { POLICY_KIND } from "../policies/workload/policy-schema.ts";
import { isRbacKind, parseRbacObject, type RbacObject } from "../policies/workload/rbac.ts";
import {
  CONFIG_MAP_KIND,
  parseConfigMap,
  type ConfigMapObject,
} from "../policies/workload/config-map.ts";
import type { RelatedLocation } from "../policies/workload/rule.ts";
import { isWorkloadKind, toWorkload, type Workload } from "../policies/workload/workload.ts";
import { describeDocument, withQuoteHint, type SourceDocument } from "./documents.ts";

export interface SourcedWorkload {
  workload: Workload;
  document: SourceDocument;
}

/** The documents of a `check` run, sorted into what is judged and what is cluster state. */
export interface ManifestSet {
  workloads: SourcedWorkload[];
  cluster: ClusterState;
  /** MCPWardenPolicy documents among the inputs: used only when the inputs are trusted. */
  policies: SourceDocument[];
  /** MCPWardenException and MCPWardenPolicy documents among untrusted inputs: not used. */
  untrusted: SourceDocument[];
  /** Every document that cannot be judged or read as cluster state, named by file, document, line. */
  problems: FieldProblem[];
  /** Documents of kinds that are neither workloads nor cluster state (Services, Secrets...). */
  ignored: SourceDocument[];
  /** The document that holds an object of the cluster state a finding relates to. */
  documentOf: (ref: Omit<RelatedLocation, "path">) => SourceDocument | undefined;
}

const refKey = (kind: string, namespace: string | undefined, name: string) =>
  `${kind}/${namespace ?? ""}/${name}`;

export interface ManifestSetOptions {
  /**
   * Whether MCPWardenException and MCPWardenPolicy documents among the inputs count. When not,
   * they are listed under `untrusted` and grant nothing: a manifest's author cannot exempt it.
   */
  trustInputs: boolean;
  /** Exceptions from trusted sources (`--exceptions`), added to the cluster state. */
  trustedExceptions?: readonly Exception[];
}

/**
 * Sorts documents by kind and validates each. A bad document does not stop the others: each is
 * listed under `problems`, named by file, document number and line.
 */
export function buildManifestSet(
  documents: readonly SourceDocument[],
  options: ManifestSetOptions = { trustInputs: true },
): ManifestSet {
  const problems: FieldProblem[] = [];
  const workloads: SourcedWorkload[] = [];
  const networkPolicies: NetworkPolicy[] = [];
  const egressPolicies: EgressPolicy[] = [];
  const exceptions: Exception[] = [...(options.trustedExceptions ?? [])];
  const rbac: RbacObject[] = [];
  const configMaps: ConfigMapObject[] = [];
  const namespaces: { name: string; labels: Labels }[] = [];
  const sources = new Map<string, SourceDocument>();
  const policies: SourceDocument[] = [];
  const ignored: SourceDocument[] = [];
  const untrusted: SourceDocument[] = [];
  /** Where each NetworkPolicy (`namespace/name`) is defined first. */
  const policyNames = new Map<string, string>();
  for (const doc of documents) {
    const where = describeDocument(doc);
    const object = doc.object;
    if (!isRecord(object)) {
      problems.push({ path: where, message: "must be a mapping with apiVersion and kind" });
      continue;
    }
    if (typeof object.kind !== "string" || object.kind === "") {
      problems.push({ path: where, message: "has no kind" });
      continue;
    }
    if (!options.trustInputs && (object.kind === EXCEPTION_KIND || object.kind === POLICY_KIND)) {
      untrusted.push(doc);
      continue;
    }
    try {
      if (isWorkloadKind(object.kind)) {
        const workload = toWorkload(object);
        workloads.push({ workload, document: doc });
        sources.set(refKey(workload.kind, workload.namespace, workload.name), doc);
      } else if (object.kind === CONFIG_MAP_KIND) {
        const parsed = parseConfigMap(object);
        configMaps.push(parsed);
        sources.set(refKey(CONFIG_MAP_KIND, parsed.metadata.namespace, parsed.metadata.name), doc);
      } else if (object.kind === "NetworkPolicy") {
        const parsed = parseNetworkPolicy(object);
        // Applied together, the later one replaces the earlier: which of them isolates the pod
        // depends on the order they reach the API server, so neither can be cluster state.
        const key = `${parsed.metadata.namespace ?? "default"}/${parsed.metadata.name ?? ""}`;
        const first = parsed.metadata.name === undefined ? undefined : policyNames.get(key);
        if (first !== undefined)
          problems.push({
            path: where,
            message: `NetworkPolicy ${key} is also defined by ${first}: one would replace the other when applied; give each its own name`,
          });
        else {
          if (parsed.metadata.name !== undefined) policyNames.set(key, where);
          networkPolicies.push(parsed);
        }
      } else if (object.kind === "Namespace") namespaces.push(parseNamespace(object));
      else if (isEgressPolicyKind(object.kind, object.apiVersion))
        egressPolicies.push(parseEgressPolicy(object));
      else if (object.kind === EXCEPTION_KIND) exceptions.push(parseException(object));
      else if (isRbacKind(object.kind)) {
        const parsed = parseRbacObject(object);
        rbac.push(parsed);
        const { namespace, name } = parsed.metadata;
        sources.set(refKey(parsed.kind, namespace, name), doc);
      } else if (object.kind === POLICY_KIND) policies.push(doc);
      else ignored.push(doc);
    } catch (e) {
      if (!(e instanceof WardenError)) throw e;
      const fields = e.problems
        .map((p) => `${p.path || "(document)"} ${withQuoteHint(p.message)}`)
        .join("; ");
      problems.push({ path: where, message: `${e.message}: ${fields}` });
    }
  }
  return {
    problems,
    workloads,
    cluster: createClusterState({
      networkPolicies,
      exceptions,
      rbac,
      configMaps,
      egressPolicies,
      namespaces,
    }),
    policies,
    untrusted,
    ignored,
    documentOf: (ref) => sources.get(refKey(ref.kind, ref.namespace, ref.name)),
  };
}
