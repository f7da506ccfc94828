import { InputError, type FieldProblem } from "../errors.ts";
import { fieldPath } from "../field-path.ts";
import { isRecord } from "../guards.ts";
import type { Container, ObjectMeta, PodSpec } from "./k8s-types.ts";
import { compileSchema } from "../schema-validator.ts";
import { objectMetaSchema, podSpecSchema } from "./workload-schema.ts";

export const WORKLOAD_KINDS = [
  "Pod",
  "Deployment",
  "ReplicaSet",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "CronJob",
  "ReplicationController",
] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export type ContainerKind = "containers" | "initContainers" | "ephemeralContainers";
export const CONTAINER_KINDS: readonly ContainerKind[] = [
  "containers",
  "initContainers",
  "ephemeralContainers",
];

export interface ContainerRef {
  container: Container;
  kind: ContainerKind;
  index: number;
  /** Field path of the container in the object as submitted. */
  path: string;
  /** How a person is told which container: `container "app"`, `init container "#0"`. */
  label: string;
}

const CONTAINER_NOUN: Record<ContainerKind, string> = {
  containers: "container",
  initContainers: "init container",
  ephemeralContainers: "ephemeral container",
};

/** Names a container for a person: `container "app"`, `init container "#0"` when it has no name. */
export function containerLabel(ref: ContainerRef): string {
  return ref.label;
}

/**
 * The pod's ServiceAccount as the API server resolves it: `serviceAccountName`, else the
 * deprecated `serviceAccount` it copies over when the name is empty, else `default`.
 */
export function serviceAccountOf(spec: PodSpec): string {
  return spec.serviceAccountName || spec.serviceAccount || "default";
}

/** The field that names the pod's ServiceAccount, as written (`serviceAccountName` when neither is). */
export function serviceAccountField(spec: PodSpec): "serviceAccountName" | "serviceAccount" {
  return !spec.serviceAccountName && spec.serviceAccount ? "serviceAccount" : "serviceAccountName";
}

/** A workload reduced to what the rules judge: its pod template, located in the submitted object. */
export interface Workload {
  kind: WorkloadKind;
  name: string;
  namespace: string;
  /** Metadata of the pod (Pod) or of the pod template (controllers). */
  podMeta: ObjectMeta;
  podSpec: PodSpec;
  /** Where the pod metadata and spec sit in the submitted object. */
  metaPath: string;
  specPath: string;
  containers: readonly ContainerRef[];
  object: Readonly<Record<string, unknown>>;
}

const POD_TEMPLATE_PATH: Record<WorkloadKind, readonly string[]> = {
  Pod: [],
  Deployment: ["spec", "template"],
  ReplicaSet: ["spec", "template"],
  StatefulSet: ["spec", "template"],
  DaemonSet: ["spec", "template"],
  Job: ["spec", "template"],
  ReplicationController: ["spec", "template"],
  CronJob: ["spec", "jobTemplate", "spec", "template"],
};

const podSpecValidator = compileSchema<PodSpec>(podSpecSchema);
const metaValidator = compileSchema<ObjectMeta>(objectMetaSchema);

export function isWorkloadKind(kind: unknown): kind is WorkloadKind {
  return typeof kind === "string" && (WORKLOAD_KINDS as readonly string[]).includes(kind);
}

/** Walks `segments` from `root`, reporting (when given `problems`) the first segment that is not an object. */
function descend(
  root: Record<string, unknown>,
  segments: readonly string[],
  problems: FieldProblem[] = [],
): Record<string, unknown> | undefined {
  let node: Record<string, unknown> = root;
  let path = "";
  for (const s of segments) {
    path = fieldPath(path, s);
    const next = node[s];
    if (!isRecord(next)) {
      problems.push({ path, message: next === undefined ? "is required" : "must be object" });
      return undefined;
    }
    node = next;
  }
  return node;
}

/**
 * A value no label can hold (label values have no spaces): stands for what the API server fills in
 * later (a Job's uid, a CronJob's Job names), so no selector's `In` value can equal it, while
 * `Exists`, `NotIn` and `DoesNotExist` see the label as the running pod will carry it.
 */
export const SET_BY_API_SERVER = "(set by the API server)";

/**
 * The labels a Job's pods carry: those of its template plus the ones the API server adds when the
 * Job is created (unless `manualSelector`), which NetworkPolicies may select on either way. A
 * CronJob's Jobs are named after it and the schedule, so their name is not known yet.
 */
function withJobLabels(
  kind: WorkloadKind,
  object: Record<string, unknown>,
  name: string | undefined,
  podMeta: ObjectMeta,
): ObjectMeta {
  if (kind !== "Job" && kind !== "CronJob") return podMeta;
  const jobSpec = descend(object, kind === "Job" ? ["spec"] : ["spec", "jobTemplate", "spec"]);
  if (jobSpec?.manualSelector === true) return podMeta;
  const jobName = kind === "Job" && name ? name : SET_BY_API_SERVER;
  const added: Record<string, string> = {
    "batch.kubernetes.io/controller-uid": SET_BY_API_SERVER,
    "batch.kubernetes.io/job-name": jobName,
    "controller-uid": SET_BY_API_SERVER,
    "job-name": jobName,
  };
  // What the object already carries wins: at admission the API server has already set them.
  return { ...podMeta, labels: { ...added, ...(podMeta.labels ?? {}) } };
}

/**
 * Reads a workload object into the model the rules judge. Every shape problem in the fields the
 * rules read is reported at once, with its path in the submitted object.
 * @throws InputError WORKLOAD_INVALID
 */
export function toWorkload(object: unknown, defaultNamespace = "default"): Workload {
  if (!isRecord(object)) throw new InputError("WORKLOAD_INVALID", "object must be a mapping");
  const kind = object.kind;
  if (!isWorkloadKind(kind))
    throw new InputError("WORKLOAD_INVALID", `kind ${JSON.stringify(kind)} is not a workload kind`);

  const problems: FieldProblem[] = [];
  const metadata = object.metadata ?? {};
  problems.push(...metaValidator.problems(metadata, "metadata"));
  const templateSegments = POD_TEMPLATE_PATH[kind];
  const template = descend(object, templateSegments, problems);
  const metaPath = fieldPath("", ...templateSegments, "metadata");
  const specPath = fieldPath("", ...templateSegments, "spec");
  let podMetaValue: unknown = metadata;
  let podSpecValue: unknown;
  if (template) {
    if (templateSegments.length > 0) {
      podMetaValue = template.metadata ?? {};
      problems.push(...metaValidator.problems(podMetaValue, metaPath));
    }
    podSpecValue = template.spec;
    if (podSpecValue === undefined) problems.push({ path: specPath, message: "is required" });
    else problems.push(...podSpecValidator.problems(podSpecValue, specPath));
  }
  if (problems.length > 0 || podSpecValue === undefined) {
    throw new InputError("WORKLOAD_INVALID", `${kind} cannot be evaluated`, { problems });
  }
  // Each part passed its validator above; validating again only to narrow the types cost the warm
  // path a second run of each.
  const meta = metadata as ObjectMeta;
  const podMeta = podMetaValue as ObjectMeta;
  const podSpec = podSpecValue as PodSpec;
  const name = meta.name ?? (meta.generateName ? `${meta.generateName}*` : "");
  const containers: ContainerRef[] = [];
  for (const ck of CONTAINER_KINDS) {
    (podSpec[ck] ?? []).forEach((container, index) => {
      // Several rules name each container on every decision: each is labelled once, here.
      const label = `${CONTAINER_NOUN[ck]} ${JSON.stringify(container.name ?? `#${index}`)}`;
      containers.push({ container, kind: ck, index, path: fieldPath(specPath, ck, index), label });
    });
  }
  return {
    kind,
    name,
    namespace: meta.namespace || defaultNamespace,
    podMeta: withJobLabels(kind, object, meta.name, podMeta),
    podSpec,
    metaPath,
    specPath,
    containers,
    object,
  };
}
