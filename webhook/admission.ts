import { isDeepStrictEqual } from "node:util";
import { ADMISSION_ERROR } from "../policies/workload/catalogue.ts";
import type { ClusterState } from "../policies/workload/cluster-state.ts";
import { judgeWorkload, type Decision } from "../policies/workload/engine.ts";
import { errorMessage, WardenError } from "../policies/errors.ts";
import { isRecord } from "../policies/guards.ts";
import type { ImageEvidence } from "../policies/workload/image-evidence.ts";
import type { Horizon } from "../policies/workload/horizon.ts";
import { registryRulesEnabled, type CompiledPolicy } from "../policies/workload/policy.ts";
import { evidenceImages, imageReferences } from "../policies/workload/rules/image.ts";
import { compileSchema } from "../policies/schema-validator.ts";
import { judgeBinding } from "../policies/workload/binding-judge.ts";
import { parseRbacObject, type RbacObject } from "../policies/workload/rbac.ts";
import { isWorkloadKind, toWorkload, type Workload } from "../policies/workload/workload.ts";

/** The fields of an `admission.k8s.io/v1` AdmissionRequest this webhook reads. */
export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource?: { group?: string; version?: string; resource?: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: string;
  userInfo?: { username?: string; groups?: string[] };
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

const requestSchema = {
  type: "object",
  required: ["uid", "kind", "operation"],
  properties: {
    uid: { type: "string", minLength: 1 },
    kind: {
      type: "object",
      required: ["kind"],
      properties: {
        group: { type: "string" },
        version: { type: "string" },
        kind: { type: "string" },
      },
    },
    resource: { type: "object" },
    subResource: { type: "string" },
    name: { type: "string" },
    namespace: { type: "string" },
    operation: { type: "string" },
    userInfo: { type: "object" },
    dryRun: { type: "boolean" },
  },
} as const;
const requestValidator = compileSchema<AdmissionRequest>(requestSchema);

export type ReadReview =
  { ok: true; request: AdmissionRequest } | { ok: false; uid: string | undefined; message: string };

/** Validates an AdmissionReview body; a bad one keeps its uid when it has one, so it can be denied. */
export function readAdmissionReview(body: unknown): ReadReview {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, uid: undefined, message: "body must be an AdmissionReview object" };
  }
  const review = body as { apiVersion?: unknown; kind?: unknown; request?: unknown };
  const rawUid = (review.request as { uid?: unknown } | undefined)?.uid;
  const uid = typeof rawUid === "string" && rawUid !== "" ? rawUid : undefined;
  const request = review.request;
  const valid = requestValidator.is(request);
  if (valid && review.apiVersion === "admission.k8s.io/v1" && review.kind === "AdmissionReview") {
    return { ok: true, request };
  }
  // Only a bad review pays for listing every problem.
  const problems = [];
  if (review.apiVersion !== "admission.k8s.io/v1")
    problems.push("apiVersion must be admission.k8s.io/v1");
  if (review.kind !== "AdmissionReview") problems.push("kind must be AdmissionReview");
  if (!valid) {
    problems.push(
      ...requestValidator.problems(review.request, "request").map((p) => `${p.path} ${p.message}`),
    );
  }
  return { ok: false, uid, message: `malformed AdmissionReview: ${problems.join("; ")}` };
}

export interface JudgeInputs {
  /** Undefined when no valid policy could be loaded: every workload is then denied. */
  policy: CompiledPolicy | undefined;
  policyError?: string | undefined;
  cluster: ClusterState;
  now: Date;
  /**
   * Registry facts for the workload's images. Admission never skips the registry rules: without
   * facts, `image/signed` and `image/evaluated` deny ("not verified") unless the policy turns
   * them off.
   */
  evidence?: ImageEvidence | undefined;
}

export interface AdmissionOutcome {
  allowed: boolean;
  /** Why it was denied, for `kubectl`: every denying rule id with its path and message. */
  message?: string;
  warnings: string[];
  /** Whether the engine judged the object (DELETE, status updates and other kinds are not). */
  evaluated: boolean;
  /** Rule ids of every finding that counted (denying, warning or audit). */
  rules: string[];
  exceptionsUsed: string[];
  images: string[];
  decision?: Decision;
  /** Why the request was admitted without evaluation. */
  skippedBecause?: string;
}

const EVALUATED_OPERATIONS = new Set(["CREATE", "UPDATE"]);
/** kubectl shows the whole message; keep it to what a terminal can hold. */
const MAX_LISTED_FINDINGS = 20;
/** The API server truncates longer warnings; keep the rule id and path at the start. */
const MAX_WARNING_LENGTH = 120;

function skip(reason: string): AdmissionOutcome {
  return {
    allowed: true,
    warnings: [],
    evaluated: false,
    rules: [],
    exceptionsUsed: [],
    images: [],
    skippedBecause: reason,
  };
}

/** A request that cannot be judged: denied as `admission/error` unless the policy audits that rule. */
export function errorOutcome(policy: CompiledPolicy | undefined, reason: string): AdmissionOutcome {
  const action = policy?.actionFor(ADMISSION_ERROR) ?? "enforce";
  const text = `[${ADMISSION_ERROR}] ${reason}`;
  return {
    allowed: action !== "enforce",
    ...(action === "enforce" ? { message: `mcp-warden cannot judge this request: ${text}` } : {}),
    warnings: action === "warn" ? [truncate(text, MAX_WARNING_LENGTH)] : [],
    evaluated: false,
    rules: [ADMISSION_ERROR],
    exceptionsUsed: [],
    images: [],
  };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Pod updates that leave spec, labels and annotations alone (finalizers, owner references, status)
 * change nothing we judge. Labels decide which NetworkPolicies select the pod and annotations which
 * exceptions it asks for, so `kubectl label` is judged like any other change.
 */
function unchangedPod(request: AdmissionRequest): boolean {
  const { object, oldObject } = request;
  if (!isRecord(object) || !isRecord(oldObject)) return false;
  const meta = (o: Record<string, unknown>, key: "labels" | "annotations") =>
    isRecord(o.metadata) ? o.metadata[key] : undefined;
  return (
    isDeepStrictEqual(object.spec, oldObject.spec) &&
    isDeepStrictEqual(meta(object, "labels"), meta(oldObject, "labels")) &&
    isDeepStrictEqual(meta(object, "annotations"), meta(oldObject, "annotations"))
  );
}

function whySkipped(request: AdmissionRequest): string | undefined {
  const kind = request.kind.kind;
  if (!EVALUATED_OPERATIONS.has(request.operation)) return `${request.operation} is not judged`;
  if (request.subResource !== undefined && request.subResource !== "") {
    if (kind === "Pod" && request.subResource === "ephemeralcontainers") return undefined;
    return `subresource ${request.subResource} is not judged`;
  }
  if (!isWorkloadKind(kind)) return `${kind} is not a workload kind`;
  if (
    isRecord(request.object) &&
    isRecord(request.object.metadata) &&
    request.object.metadata.deletionTimestamp
  ) {
    return "the object is being deleted";
  }
  if (request.operation === "UPDATE" && kind === "Pod" && unchangedPod(request)) {
    return "the update leaves the pod spec, labels and annotations unchanged";
  }
  return undefined;
}

function describeFinding(f: { rule: string; path: string; message: string }): string {
  return `[${f.rule}] ${f.path}: ${f.message}`;
}

function denialMessage(kind: string, namespace: string, name: string, decision: Decision): string {
  const denying = decision.findings.filter((f) => f.action === "enforce" && !f.exemptedBy);
  const listed = denying.slice(0, MAX_LISTED_FINDINGS).map(describeFinding);
  const more = denying.length - listed.length;
  return (
    `mcp-warden denied ${kind} ${namespace}/${name}: ${listed.join("; ")}` +
    (more > 0 ? `; and ${more} more (run mcp-warden check on the manifest for all)` : "")
  );
}

const NO_EVIDENCE: ImageEvidence = { forImage: () => undefined };

/** What the registry lookups of a request need: its images and whose pull secrets to use. */
export interface ImageLookup {
  images: string[];
  namespace: string;
  /** `imagePullSecrets` of the pod template, in order. */
  pullSecrets: string[];
  serviceAccount: string;
}

/** A request that will be judged: its workload, built once, and the policy to judge it by. */
export interface AdmissionSubject {
  request: AdmissionRequest;
  policy: CompiledPolicy;
  workload: Workload;
}

/** Anything thrown while building or judging a workload, as an `admission/error` outcome. */
function failedOutcome(policy: CompiledPolicy, e: unknown): AdmissionOutcome {
  if (e instanceof WardenError) {
    const fields = e.problems.map((p) => `${p.path} ${p.message}`).join("; ");
    return errorOutcome(policy, `${e.message}${fields ? `: ${fields}` : ""}`);
  }
  return errorOutcome(policy, `internal error: ${errorMessage(e)}`);
}

/**
 * The first step of judging a request, before any registry lookup: either its outcome already
 * (not judged, or it cannot be judged and fails closed) or the subject to judge.
 */
export function admissionSubject(
  request: AdmissionRequest,
  policy: CompiledPolicy | undefined,
  policyError?: string,
): { outcome: AdmissionOutcome } | { subject: AdmissionSubject } {
  const skipped = whySkipped(request);
  if (skipped !== undefined) return { outcome: skip(skipped) };
  if (!policy) {
    return {
      outcome: errorOutcome(
        undefined,
        `no valid policy is loaded (${policyError ?? "not loaded yet"})`,
      ),
    };
  }
  const object = request.object;
  if (!isRecord(object)) return { outcome: errorOutcome(policy, "request.object is missing") };
  if (object.kind !== undefined && object.kind !== request.kind.kind) {
    return {
      outcome: errorOutcome(
        policy,
        `request.object.kind ${JSON.stringify(object.kind)} does not match request.kind ${request.kind.kind}`,
      ),
    };
  }
  try {
    const workload = toWorkload(
      { ...object, kind: request.kind.kind },
      request.namespace || "default",
    );
    return { subject: { request, policy, workload } };
  } catch (e) {
    return { outcome: failedOutcome(policy, e) };
  }
}

/**
 * The registry lookups judging this subject needs; undefined when it names no image or the
 * policy runs no rule that the catalogue says needs a registry.
 */
export function registryLookup(subject: AdmissionSubject): ImageLookup | undefined {
  const { workload, policy } = subject;
  const images = evidenceImages(workload);
  if (images.length === 0 || registryRulesEnabled(policy).length === 0) return undefined;
  return {
    images,
    namespace: workload.namespace,
    pullSecrets: (workload.podSpec.imagePullSecrets ?? []).flatMap((r) => (r.name ? [r.name] : [])),
    serviceAccount: workload.podSpec.serviceAccountName || "default",
  };
}

/** Judges a subject with the shared engine. Never throws: errors become `admission/error`. */
export function judgeSubject(
  subject: AdmissionSubject,
  inputs: Pick<JudgeInputs, "cluster" | "now" | "evidence"> & { horizon?: Horizon },
): AdmissionOutcome {
  const { request, policy, workload } = subject;
  try {
    const decision = judgeWorkload(workload, {
      policy,
      cluster: inputs.cluster,
      now: inputs.now,
      evidence: inputs.evidence ?? NO_EVIDENCE,
      horizon: inputs.horizon,
    });
    const name = workload.name || request.name || "";
    const counted = decision.findings.filter((f) => !f.exemptedBy);
    return {
      allowed: decision.allowed,
      ...(decision.allowed
        ? {}
        : { message: denialMessage(workload.kind, workload.namespace, name, decision) }),
      warnings: counted
        .filter((f) => f.action === "warn")
        .map((f) => truncate(describeFinding(f), MAX_WARNING_LENGTH)),
      evaluated: true,
      rules: [...new Set(counted.map((f) => f.rule))],
      exceptionsUsed: decision.exceptionsUsed,
      images: imageReferences(workload),
      decision,
    };
  } catch (e) {
    return failedOutcome(policy, e);
  }
}

/**
 * Judges one admission request with the shared engine, without registry lookups. Never throws:
 * anything that cannot be judged becomes an `admission/error` outcome, so the webhook fails
 * closed.
 */
export function judgeAdmission(request: AdmissionRequest, inputs: JudgeInputs): AdmissionOutcome {
  const prepared = admissionSubject(request, inputs.policy, inputs.policyError);
  return "outcome" in prepared ? prepared.outcome : judgeSubject(prepared.subject, inputs);
}

/** The AdmissionReview answer for an outcome. */
export function admissionResponse(uid: string, outcome: AdmissionOutcome) {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    response: {
      uid,
      allowed: outcome.allowed,
      ...(outcome.allowed
        ? {}
        : { status: { code: 403, reason: "Forbidden", message: outcome.message ?? "denied" } }),
      ...(outcome.warnings.length > 0 ? { warnings: outcome.warnings } : {}),
    },
  };
}

const BINDING_KINDS = new Set(["RoleBinding", "ClusterRoleBinding"]);

/** Whether the request writes a RoleBinding or ClusterRoleBinding. */
export function isBindingRequest(request: AdmissionRequest): boolean {
  return request.kind.group === "rbac.authorization.k8s.io" && BINDING_KINDS.has(request.kind.kind);
}

/**
 * Judges the creation or update of a RoleBinding or ClusterRoleBinding: denied when it would grant
 * a ServiceAccount of a judged namespace what the rbac rules forbid. Never throws.
 */
export function judgeBindingRequest(
  request: AdmissionRequest,
  inputs: Pick<JudgeInputs, "policy" | "policyError" | "cluster" | "now"> & {
    rbac: readonly RbacObject[];
    judgedNamespaces: readonly string[];
  },
): AdmissionOutcome {
  if (!EVALUATED_OPERATIONS.has(request.operation))
    return skip(`${request.operation} is not judged`);
  const { policy } = inputs;
  if (!policy) {
    return errorOutcome(
      undefined,
      `no valid policy is loaded (${inputs.policyError ?? "not loaded yet"})`,
    );
  }
  try {
    const object = isRecord(request.object)
      ? { ...request.object, kind: request.kind.kind }
      : request.object;
    const binding = parseRbacObject(object, request.namespace || "default");
    if (binding.kind !== "RoleBinding" && binding.kind !== "ClusterRoleBinding") {
      return errorOutcome(policy, `request.object is a ${binding.kind}, not a binding`);
    }
    const decision = judgeBinding(binding, {
      policy,
      rbac: inputs.rbac,
      judgedNamespaces: inputs.judgedNamespaces,
      now: inputs.now,
      unavailable: inputs.cluster.unavailable?.rbac,
    });
    const name = `${binding.metadata.namespace ? `${binding.metadata.namespace}/` : ""}${binding.metadata.name}`;
    const denying = decision.findings.filter((f) => f.action === "enforce");
    const listed = denying.slice(0, MAX_LISTED_FINDINGS).map(describeFinding);
    return {
      allowed: decision.allowed,
      ...(decision.allowed
        ? {}
        : { message: `mcp-warden denied ${binding.kind} ${name}: ${listed.join("; ")}` }),
      warnings: decision.findings
        .filter((f) => f.action === "warn")
        .map((f) => truncate(describeFinding(f), MAX_WARNING_LENGTH)),
      evaluated: true,
      rules: [...new Set(decision.findings.map((f) => f.rule))],
      exceptionsUsed: [],
      images: [],
    };
  } catch (e) {
    return failedOutcome(policy, e);
  }
}
