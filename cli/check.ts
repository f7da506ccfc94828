import { CATALOGUE } from "../policies/workload/catalogue.ts";
import { judgeWorkload } from "../policies/workload/engine.ts";
import { InputError, WardenError } from "../policies/errors.ts";
import { compileGlob, type Glob } from "../policies/glob.ts";
import { registryRulesEnabled, type CompiledPolicy } from "../policies/workload/policy.ts";
import {
  describeDocument,
  parseDocuments,
  readAllDocuments,
  type SourceDocument,
} from "./documents.ts";
import { CliError } from "./errors.ts";
import { readInputFiles } from "./input-files.ts";
import { compilePolicyFrom, DEFAULT_POLICY_FILE, loadPolicyFile } from "./load-policy.ts";
import { buildManifestSet } from "./manifest-set.ts";
import { oneOf, parseNow, parseOptions, registryAccess } from "./options.ts";
import { evidenceFor, REGISTRY_OPTIONS, type RegistryAccess } from "./registry-access.ts";
import type { ImageEvidence } from "../policies/workload/image-evidence.ts";
import { evidenceImages } from "../policies/workload/rules/image.ts";
import { formatJson } from "./report-json.ts";
import { formatSarif } from "./report-sarif.ts";
import { formatText } from "./report-text.ts";
import type { CheckReport } from "./report.ts";
import { isRecord } from "../policies/guards.ts";
import {
  EXCEPTION_KIND,
  parseException,
  type Exception,
} from "../policies/workload/exception-schema.ts";
import type { FieldProblem } from "../policies/errors.ts";

export type ReportFormat = "text" | "json" | "sarif";

export interface CheckInputs {
  paths: string[];
  policyFile: string | undefined;
  /** Files or directories of trusted MCPWardenExceptions, kept apart from the judged inputs. */
  exceptionPaths: string[];
  /** Trust MCPWardenException and MCPWardenPolicy documents among the judged inputs (local use). */
  trustInputs: boolean;
  rules: string[] | undefined;
  format: ReportFormat;
  now: Date;
  verifyImages: boolean;
  registry: RegistryAccess;
}

const FORMATS: readonly ReportFormat[] = ["text", "json", "sarif"];

/** `check`'s command line. @throws CliError USAGE */
export function parseCheckArgs(args: string[]): CheckInputs {
  const { values, positionals } = parseOptions({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      policy: { type: "string" },
      exceptions: { type: "string", multiple: true, default: [] },
      "trust-inputs": { type: "boolean", default: false },
      rules: { type: "string" },
      format: { type: "string", default: "text" },
      now: { type: "string" },
      "verify-images": { type: "boolean", default: false },
      ...REGISTRY_OPTIONS,
    },
  });
  const format = oneOf("format", values.format, FORMATS);
  const now = parseNow(values.now);
  if (positionals.length === 0) {
    throw new CliError("USAGE", "needs at least one file, directory or - (stdin)");
  }
  if (positionals.includes("-") && values.exceptions.includes("-")) {
    throw new CliError("USAGE", "stdin (-) can be the inputs or --exceptions, not both");
  }
  return {
    paths: positionals,
    policyFile: values.policy,
    exceptionPaths: values.exceptions,
    trustInputs: values["trust-inputs"],
    rules: values.rules?.split(","),
    format,
    now,
    verifyImages: values["verify-images"],
    registry: registryAccess(values),
  };
}

export interface CheckIo {
  stdin: AsyncIterable<Uint8Array>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export function parseRuleGlobs(rules: string[] | undefined): Glob[] | undefined {
  if (!rules) return undefined;
  const globs = rules
    .map((r) => r.trim())
    .filter((r) => r !== "")
    .map(compileGlob);
  const unknown = globs.filter((g) => !CATALOGUE.some((r) => g.matches(r.id)));
  if (globs.length === 0 || unknown.length > 0) {
    throw new CliError(
      "USAGE",
      `--rules ${unknown.map((g) => g.source).join(",") || "(empty)"} matches no rule; mcp-warden rules lists them`,
    );
  }
  return globs;
}

export async function choosePolicy(
  policyFile: string | undefined,
  inlinePolicies: SourceDocument[],
): Promise<{ policy: CompiledPolicy; source: string }> {
  if (policyFile !== undefined)
    return { policy: await loadPolicyFile(policyFile), source: policyFile };
  const [inline, ...more] = inlinePolicies;
  if (more.length > 0) {
    throw new CliError(
      "USAGE",
      `the inputs hold ${inlinePolicies.length} MCPWardenPolicy documents: choose one with --policy`,
    );
  }
  if (inline) return { policy: compilePolicyFrom(inline, inline.object), source: inline.source };
  return { policy: await loadPolicyFile(DEFAULT_POLICY_FILE), source: "default" };
}

/**
 * Reads the trusted exceptions of `--exceptions`: every document must be an MCPWardenException.
 * @throws InputError INPUT_INVALID / DOCUMENT_INVALID naming every bad file and document
 */
export async function loadTrustedExceptions(
  paths: readonly string[],
  stdin: AsyncIterable<Uint8Array>,
): Promise<Exception[]> {
  if (paths.length === 0) return [];
  const texts = await readInputFiles(paths, stdin);
  const exceptions: Exception[] = [];
  const problems: FieldProblem[] = [];
  for (const t of texts) {
    let docs: SourceDocument[];
    try {
      docs = parseDocuments(t.source, t.text);
    } catch (e) {
      if (!(e instanceof WardenError)) throw e;
      problems.push(...e.problems);
      continue;
    }
    for (const doc of docs) {
      const where = describeDocument(doc);
      if (!isRecord(doc.object) || doc.object.kind !== EXCEPTION_KIND) {
        problems.push({
          path: where,
          message: `--exceptions holds only ${EXCEPTION_KIND} documents`,
        });
        continue;
      }
      try {
        exceptions.push(parseException(doc.object));
      } catch (e) {
        if (!(e instanceof WardenError)) throw e;
        const fields = e.problems.map((p) => `${p.path || "(document)"} ${p.message}`).join("; ");
        problems.push({ path: where, message: `${e.message}: ${fields}` });
      }
    }
  }
  if (problems.length > 0)
    throw new InputError("DOCUMENT_INVALID", "cannot read the exceptions", { problems });
  return exceptions;
}

function objectName(doc: SourceDocument): string {
  const meta = isRecord(doc.object) && isRecord(doc.object.metadata) ? doc.object.metadata : {};
  const ns = typeof meta.namespace === "string" ? `${meta.namespace}/` : "";
  return `${ns}${typeof meta.name === "string" ? meta.name : "(unnamed)"}`;
}

/** Evaluates every workload in the inputs; the report is what all output formats render. */
export async function check(inputs: CheckInputs, io: CheckIo): Promise<CheckReport> {
  const only = parseRuleGlobs(inputs.rules);
  const trustedExceptions = await loadTrustedExceptions(inputs.exceptionPaths, io.stdin);
  const exclude = [
    ...inputs.exceptionPaths.filter((p) => p !== "-"),
    ...(inputs.policyFile !== undefined ? [inputs.policyFile] : []),
  ];
  const texts = await readInputFiles(inputs.paths, io.stdin, exclude);
  const { documents, problems } = readAllDocuments(texts);
  const set = buildManifestSet(documents, { trustInputs: inputs.trustInputs, trustedExceptions });
  for (const doc of set.untrusted) {
    const kind = isRecord(doc.object) ? String(doc.object.kind) : "";
    const how = kind === EXCEPTION_KIND ? "--exceptions PATH" : "--policy FILE";
    io.stderr(
      `note: ignored ${kind} ${objectName(doc)} (${describeDocument(doc)}): the judged inputs cannot exempt or set policy for themselves; pass it with ${how}, or --trust-inputs for local use\n`,
    );
  }
  const { policy, source: policySource } = await choosePolicy(inputs.policyFile, set.policies);
  let evidence: ImageEvidence | undefined;
  if (inputs.verifyImages && registryRulesEnabled(policy).length > 0) {
    const images = set.workloads.flatMap(({ workload }) => evidenceImages(workload));
    evidence = await (await evidenceFor(inputs.registry)).provide(images, policy);
  }
  const results = set.workloads.map(({ workload, document }) => ({
    kind: workload.kind,
    namespace: workload.namespace,
    name: workload.name,
    document,
    decision: judgeWorkload(workload, {
      policy,
      cluster: set.cluster,
      now: inputs.now,
      only,
      evidence,
    }),
  }));
  const skipped = [...new Set(results.flatMap((r) => r.decision.skipped))];
  problems.push(...set.problems);
  return { policy, policySource, results, skipped, problems, documentOf: set.documentOf };
}

/** What stderr says when registry rules were skipped. */
export const SKIPPED_NOTE = (skipped: readonly string[]): string =>
  `note: ${skipped.join(", ")} need a registry and were skipped (add --verify-images to check them): an offline pass is not an admission pass\n`;

/** `mcp-warden check`: prints the report and returns the exit status (0 allowed, 1 denied). */
export async function runCheck(inputs: CheckInputs, io: CheckIo): Promise<number> {
  const report = await check(inputs, io);
  // Before the results, where it is read: after a long report it scrolls by unseen.
  if (report.skipped.length > 0) io.stderr(SKIPPED_NOTE(report.skipped));
  const render = { text: formatText, json: formatJson, sarif: formatSarif }[inputs.format];
  // With bad documents, the results of the rest are still printed; none is printed when nothing
  // could be judged, so that a bad input alone gives an error and no empty report.
  if (report.problems.length === 0 || report.results.length > 0) io.stdout(render(report));
  if (report.problems.length > 0) {
    const judged =
      report.results.length > 0
        ? `; the results printed are for the other documents, judged without them`
        : "";
    const error = new InputError(
      "DOCUMENT_INVALID",
      `${report.problems.length} document(s) cannot be evaluated${judged}`,
      { problems: report.problems },
    );
    io.stderr(`mcp-warden: ${error.describe()}\n`);
    return 2;
  }
  return report.results.every((r) => r.decision.allowed) ? 0 : 1;
}
