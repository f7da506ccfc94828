import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { ClusterError, describeApiError } from "../cluster/api.ts";
import { applyObject, listManaged } from "../cluster/reports.ts";
import {
  clusterStateOf,
  listNamespaces,
  NEVER_JUDGED,
  readPolicyObject,
  readState,
} from "../cluster/state.ts";
import { listWorkloads } from "../cluster/workloads.ts";
import { InputError, WardenError, type FieldProblem } from "../policies/errors.ts";
import type { Glob } from "../policies/glob.ts";
import { CATALOGUE } from "../policies/workload/catalogue.ts";
import { judgeWorkload } from "../policies/workload/engine.ts";
import type { ImageEvidence } from "../policies/workload/image-evidence.ts";
import { registryRulesEnabled, type CompiledPolicy } from "../policies/workload/policy.ts";
import type { RelatedLocation } from "../policies/workload/rule.ts";
import { evidenceImages, imageReferences } from "../policies/workload/rules/image.ts";
import { toWorkload, type Workload } from "../policies/workload/workload.ts";
import { parseRuleGlobs, SKIPPED_NOTE } from "./check.ts";
import type { SourceDocument } from "./documents.ts";
import { CliError } from "./errors.ts";
import { compilePolicyFrom, DEFAULT_POLICY_FILE, loadPolicyFile } from "./load-policy.ts";
import { oneOf, parseNow, registryAccess, parseOptions } from "./options.ts";
import { evidenceFor, REGISTRY_OPTIONS, type RegistryAccess } from "./registry-access.ts";
import { formatJson } from "./report-json.ts";
import {
  buildReports,
  REPORT_KINDS,
  type ExtraResults,
  type PolicyReportObject,
} from "./report-policyreport.ts";
import { formatSarif } from "./report-sarif.ts";
import { formatText } from "./report-text.ts";
import type { CheckReport } from "./report.ts";
import {
  formatRescanText,
  openSource,
  rescanImages,
  rescanReportResults,
  type ImageUse,
  type RescannedImage,
} from "./rescan.ts";
import { isRecord } from "../policies/guards.ts";

export type ClusterReportFormat = "text" | "json" | "sarif" | "policyreport";
const FORMATS: readonly ClusterReportFormat[] = ["text", "json", "sarif", "policyreport"];

export interface ClusterCheckInputs {
  kubeconfig: string | undefined;
  /** Judge only these namespaces; all but the never-judged and exception namespaces otherwise. */
  namespaces: string[] | undefined;
  policyFile: string | undefined;
  /** The MCPWardenPolicy read from the cluster when there is no `--policy` (the webhook's). */
  policyName: string;
  rules: string[] | undefined;
  format: ClusterReportFormat;
  now: Date;
  verifyImages: boolean;
  registry: RegistryAccess;
  applyReports: boolean;
  /** Match each running image's signed SBOM against today's advisories (`--vulnerability-db`). */
  rescan: { vulnerabilityDb: string } | undefined;
}

export interface ClusterCheckIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** `$KUBECONFIG`, when set. */
  kubeconfig: string | undefined;
  /** In a pod: the service account's credentials. */
  inCluster: boolean;
}

/** Options only `check --cluster` takes: given without it, they name what they are for. */
export const CLUSTER_ONLY = [
  "--cluster",
  "--kubeconfig",
  "--namespace",
  "--policy-name",
  "--apply-reports",
  "--rescan",
  "--vulnerability-db",
] as const;

/** Whether a `check` command line is about the cluster: it gives --cluster or an option only it takes. */
export function isClusterCheck(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((a) =>
    CLUSTER_ONLY.some((o) => a === o || a.startsWith(`${o}=`)),
  );
}

export function parseClusterCheckArgs(args: string[]): ClusterCheckInputs {
  const { values, positionals } = parseOptions({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      cluster: { type: "boolean", default: false },
      kubeconfig: { type: "string" },
      namespace: { type: "string", multiple: true, default: [] },
      policy: { type: "string" },
      "policy-name": { type: "string" },
      rules: { type: "string" },
      format: { type: "string", default: "text" },
      now: { type: "string" },
      "verify-images": { type: "boolean", default: false },
      "apply-reports": { type: "boolean", default: false },
      rescan: { type: "boolean", default: false },
      "vulnerability-db": { type: "string" },
      ...REGISTRY_OPTIONS,
    },
  });
  if (!values.cluster) {
    const given = CLUSTER_ONLY.filter((o) => args.some((a) => a === o || a.startsWith(`${o}=`)));
    throw new CliError(
      "USAGE",
      `${given.join(", ")} ${given.length === 1 ? "is" : "are"} for --cluster`,
    );
  }
  if (positionals.length > 0) {
    throw new CliError(
      "USAGE",
      "check --cluster judges what the cluster runs: it takes no files (got " +
        `${positionals.join(" ")})`,
    );
  }
  if (values["vulnerability-db"] !== undefined && !values.rescan)
    throw new CliError("USAGE", "--vulnerability-db is for --rescan");
  if (values.policy !== undefined && values["policy-name"] !== undefined)
    throw new CliError("USAGE", "give either --policy FILE or --policy-name NAME, not both");
  return {
    kubeconfig: values.kubeconfig,
    namespaces: values.namespace.length > 0 ? values.namespace : undefined,
    policyFile: values.policy,
    policyName: values["policy-name"] ?? "default",
    rules: values.rules?.split(","),
    format: oneOf("format", values.format, FORMATS),
    now: parseNow(values.now),
    verifyImages: values["verify-images"],
    registry: registryAccess(values),
    applyReports: values["apply-reports"],
    rescan: values.rescan ? { vulnerabilityDb: values["vulnerability-db"] ?? "osv" } : undefined,
  };
}

function kubeConfigFor(inputs: ClusterCheckInputs, io: ClusterCheckIo): KubeConfig {
  const kc = new KubeConfig();
  const file = inputs.kubeconfig ?? io.kubeconfig;
  try {
    if (file !== undefined) kc.loadFromFile(file);
    else if (io.inCluster) kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (err) {
    throw new InputError(
      "INPUT_INVALID",
      `cannot read the kubeconfig${file ? ` ${file}` : ""}: ${describeApiError(err)}`,
      { cause: err },
    );
  }
  if (!kc.getCurrentCluster()) {
    throw new CliError(
      "USAGE",
      "check --cluster needs a cluster: --kubeconfig FILE, $KUBECONFIG or ~/.kube/config",
    );
  }
  return kc;
}

/** `--policy`, else the cluster's MCPWardenPolicy as the webhook enforces it, else the default. */
async function choosePolicy(
  kc: KubeConfig,
  inputs: ClusterCheckInputs,
  io: ClusterCheckIo,
): Promise<{ policy: CompiledPolicy; source: string }> {
  if (inputs.policyFile !== undefined)
    return { policy: await loadPolicyFile(inputs.policyFile), source: inputs.policyFile };
  const object = await readPolicyObject(kc, inputs.policyName);
  if (object) {
    const source = `cluster MCPWardenPolicy/${inputs.policyName}`;
    return { policy: compilePolicyFrom({ source, index: 1, line: 1 }, object), source };
  }
  io.stderr(
    `note: the cluster has no MCPWardenPolicy ${inputs.policyName}: judging with the default policy\n`,
  );
  return { policy: await loadPolicyFile(DEFAULT_POLICY_FILE), source: "default" };
}

/** An object read from the API server, named `namespace/kind/name`: it has no file or line. */
function liveDocument(object: unknown, source: string): SourceDocument {
  return { source, index: 1, line: 0, object, live: true, locate: () => undefined };
}

function liveName(kind: string, namespace: string | undefined, name: string): string {
  return [namespace, kind, name].filter((p) => p !== undefined && p !== "").join("/");
}

/** The rules that run for every workload under the policy and `--rules`. */
function ranRules(policy: CompiledPolicy, only: readonly Glob[] | undefined): string[] {
  return CATALOGUE.map((r) => r.id).filter(
    (id) => policy.actionFor(id) !== "off" && (!only || only.some((g) => g.matches(id))),
  );
}

export interface ClusterCheck {
  report: CheckReport;
  /** The namespaces judged: one report each. */
  namespaces: string[];
  ranRules: string[];
  /** Every image the judged workloads run, with the workloads that run it. */
  images: Map<string, ImageUse[]>;
}

/**
 * Judges the workloads the cluster runs now, with its NetworkPolicies, RBAC and exceptions, in
 * one list call per resource; the report is what the output formats render.
 */
export async function checkCluster(
  kc: KubeConfig,
  inputs: ClusterCheckInputs,
  io: ClusterCheckIo,
): Promise<ClusterCheck> {
  const only = parseRuleGlobs(inputs.rules);
  const { policy, source: policySource } = await choosePolicy(kc, inputs, io);
  const excluded = new Set([...NEVER_JUDGED, ...policy.exceptionNamespaces]);
  const [parsed, all, objects] = await Promise.all([
    readState(kc, policy),
    listNamespaces(kc),
    listWorkloads(kc, inputs.namespaces),
  ]);
  const namespaces = inputs.namespaces ?? all.map((n) => n.name).filter((n) => !excluded.has(n));
  for (const e of parsed.invalidExceptions) io.stderr(`note: ${e}; it grants nothing\n`);
  for (const e of parsed.invalidConfigMaps)
    io.stderr(`note: ${e}; the credentials a container reads from it are not judged\n`);
  const cluster = clusterStateOf(parsed, all);
  const judged = new Set(namespaces);
  const problems: FieldProblem[] = [];
  const workloads: { workload: Workload; document: SourceDocument }[] = [];
  for (const o of objects) {
    const ns = o.metadata?.namespace ?? "";
    if (!judged.has(ns)) continue;
    const name = liveName(o.kind ?? "", ns, o.metadata?.name ?? "");
    try {
      workloads.push({ workload: toWorkload(o, ns), document: liveDocument(o, name) });
    } catch (e) {
      if (!(e instanceof WardenError)) throw e;
      const fields = e.problems.map((p) => `${p.path || "(object)"} ${p.message}`).join("; ");
      problems.push({ path: name, message: `${e.message}: ${fields}` });
    }
  }
  let evidence: ImageEvidence | undefined;
  if (inputs.verifyImages && registryRulesEnabled(policy).length > 0) {
    const images = workloads.flatMap(({ workload }) => evidenceImages(workload));
    evidence = await (await evidenceFor(inputs.registry)).provide(images, policy);
  }
  const results = workloads.map(({ workload, document }) => ({
    kind: workload.kind,
    namespace: workload.namespace,
    name: workload.name,
    document,
    decision: judgeWorkload(workload, { policy, cluster, now: inputs.now, only, evidence }),
  }));
  const images = new Map<string, ImageUse[]>();
  for (const { workload } of workloads) {
    const meta = isRecord(workload.object.metadata) ? workload.object.metadata : {};
    const use: ImageUse = {
      namespace: workload.namespace,
      kind: workload.kind,
      name: workload.name,
      apiVersion: typeof workload.object.apiVersion === "string" ? workload.object.apiVersion : "",
      ...(typeof meta.uid === "string" ? { uid: meta.uid } : {}),
    };
    for (const ref of new Set(imageReferences(workload))) {
      images.set(ref, [...(images.get(ref) ?? []), use]);
    }
  }
  const report: CheckReport = {
    policy,
    policySource,
    results,
    skipped: [...new Set(results.flatMap((r) => r.decision.skipped))],
    problems,
    documentOf: (ref: Omit<RelatedLocation, "path">) =>
      liveDocument(undefined, liveName(ref.kind, ref.namespace, ref.name)),
  };
  return {
    report,
    namespaces: [...namespaces].sort(),
    ranRules: ranRules(policy, only),
    images,
  };
}

/**
 * Writes one report of each kind per judged namespace by server-side apply, and empties the
 * reports mcp-warden wrote earlier in judged namespaces that no longer hold workloads. A kind
 * whose CRD is not installed is skipped with a note; neither installed is an error.
 */
async function applyReports(
  kc: KubeConfig,
  reports: Map<(typeof REPORT_KINDS)[number], PolicyReportObject[]>,
  io: ClusterCheckIo,
): Promise<void> {
  let written = 0;
  for (const [kind, objects] of reports) {
    try {
      for (const o of objects) await applyObject(kc, o, kind.plural);
      written += objects.length;
    } catch (err) {
      if (err instanceof ClusterError && err.status === 404) {
        io.stderr(
          `note: ${kind.kind} (${kind.apiVersion}) is not installed in the cluster: not written\n`,
        );
        continue;
      }
      throw err;
    }
  }
  if (written === 0 && [...reports.values()].some((list) => list.length > 0)) {
    throw new ClusterError(
      "API_ERROR",
      "--apply-reports: neither PolicyReport (wgpolicyk8s.io/v1alpha2) nor Report (openreports.io/v1alpha1) is installed",
    );
  }
  io.stderr(`wrote ${written} report(s)\n`);
}

/** The reports of each kind for the judged namespaces, plus those mcp-warden wrote before. */
async function reportsToWrite(
  kc: KubeConfig,
  check: ClusterCheck,
  now: Date,
  extra: ExtraResults | undefined,
  listExisting: boolean,
): Promise<Map<(typeof REPORT_KINDS)[number], PolicyReportObject[]>> {
  const out = new Map<(typeof REPORT_KINDS)[number], PolicyReportObject[]>();
  const judged = new Set(check.namespaces);
  for (const kind of REPORT_KINDS) {
    const namespaces = new Set(check.report.results.map((r) => r.namespace));
    if (listExisting) {
      // A namespace whose workloads are gone gets an empty report, not a stale one.
      let existing: KubernetesObject[] = [];
      try {
        existing = await listManaged(kc, kind.apiVersion, kind.kind, kind.plural);
      } catch (err) {
        if (!(err instanceof ClusterError && err.status === 404)) throw err;
      }
      for (const o of existing) {
        const ns = o.metadata?.namespace;
        if (ns !== undefined && judged.has(ns)) namespaces.add(ns);
      }
    }
    out.set(
      kind,
      buildReports(check.report, {
        kind,
        namespaces: [...namespaces].sort(),
        ranRules: check.ranRules,
        now,
        ...(extra ? { extra } : {}),
      }),
    );
  }
  return out;
}

/** `mcp-warden check --cluster`: prints the report and returns the exit status (0, 1, 2). */
export async function runClusterCheck(args: string[], io: ClusterCheckIo): Promise<number> {
  const inputs = parseClusterCheckArgs(args);
  const kc = kubeConfigFor(inputs, io);
  const check = await checkCluster(kc, inputs, io);
  const { report } = check;
  if (report.skipped.length > 0) io.stderr(SKIPPED_NOTE(report.skipped));
  let rescanned: RescannedImage[] | undefined;
  if (inputs.rescan) {
    const source = await openSource(inputs.rescan.vulnerabilityDb);
    rescanned = await rescanImages(check.images, report.policy, inputs.registry, source);
  }
  const extra = rescanned ? rescanReportResults(rescanned, report.policy, inputs.now) : undefined;
  const wantReports = inputs.format === "policyreport" || inputs.applyReports;
  const reports = wantReports
    ? await reportsToWrite(kc, check, inputs.now, extra, inputs.applyReports)
    : undefined;
  if (inputs.format === "policyreport") {
    const objects = reports?.get(REPORT_KINDS[0]) ?? [];
    // Results share objects (a timestamp, resources): written out, not as YAML aliases.
    io.stdout(objects.map((o) => stringify(o, { aliasDuplicateObjects: false })).join("---\n"));
  } else if (inputs.format === "json" && rescanned) {
    const json = JSON.parse(formatJson(report)) as Record<string, unknown>;
    io.stdout(`${JSON.stringify({ ...json, rescan: rescanned }, null, 2)}\n`);
  } else {
    const render = { text: formatText, json: formatJson, sarif: formatSarif }[inputs.format];
    io.stdout(render(report));
    if (rescanned && inputs.format === "text") io.stdout(`\n${formatRescanText(rescanned)}`);
    if (rescanned && inputs.format === "sarif")
      io.stderr("note: --rescan results are in the text, json and policyreport formats only\n");
  }
  if (inputs.applyReports && reports) await applyReports(kc, reports, io);
  if (report.problems.length > 0) {
    const error = new InputError(
      "DOCUMENT_INVALID",
      `${report.problems.length} object(s) in the cluster cannot be evaluated; the results printed are for the others`,
      { problems: report.problems },
    );
    io.stderr(`mcp-warden: ${error.describe()}\n`);
    return 2;
  }
  return report.results.every((r) => r.decision.allowed) ? 0 : 1;
}
