import { CATALOGUE } from "../policies/workload/catalogue.ts";
import { judgeWorkload } from "../policies/workload/engine.ts";
import { InputError, WardenError } from "../policies/errors.ts";
import { compileGlob, type Glob } from "../policies/glob.ts";
import { registryRulesEnabled, type CompiledPolicy } from "../policies/workload/policy.ts";
import { parseDocuments, type SourceDocument } from "./documents.ts";
import { CliError } from "./errors.ts";
import { readInputFiles } from "./input-files.ts";
import { compilePolicyFrom, DEFAULT_POLICY_FILE, loadPolicyFile } from "./load-policy.ts";
import { buildManifestSet } from "./manifest-set.ts";
import { evidenceFor, type RegistryAccess } from "./registry-access.ts";
import type { ImageEvidence } from "../policies/workload/image-evidence.ts";
import { imageReferences } from "../policies/workload/rules/image.ts";
import { formatJson } from "./report-json.ts";
import { formatSarif } from "./report-sarif.ts";
import { formatText } from "./report-text.ts";
import type { CheckReport } from "./report.ts";

export type ReportFormat = "text" | "json" | "sarif";

export interface CheckInputs {
  paths: string[];
  policyFile: string | undefined;
  rules: string[] | undefined;
  format: ReportFormat;
  now: Date;
  verifyImages: boolean;
  registry: RegistryAccess;
}

export interface CheckIo {
  stdin: AsyncIterable<Uint8Array>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

function parseRuleGlobs(rules: string[] | undefined): Glob[] | undefined {
  if (!rules) return undefined;
  const globs = rules
    .map((r) => r.trim())
    .filter((r) => r !== "")
    .map(compileGlob);
  const unknown = globs.filter((g) => !CATALOGUE.some((r) => g.matches(r.id)));
  if (globs.length === 0 || unknown.length > 0) {
    throw new CliError(
      "USAGE",
      `--rules ${unknown.map((g) => g.source).join(",") || "(empty)"} matches no rule; see the rule catalogue in the README`,
    );
  }
  return globs;
}

async function choosePolicy(
  policyFile: string | undefined,
  inlinePolicies: SourceDocument[],
): Promise<CompiledPolicy> {
  if (policyFile !== undefined) return loadPolicyFile(policyFile);
  const [inline, ...more] = inlinePolicies;
  if (more.length > 0) {
    throw new CliError(
      "USAGE",
      `the inputs hold ${inlinePolicies.length} MCPWardenPolicy documents: choose one with --policy`,
    );
  }
  if (inline) return compilePolicyFrom(inline, inline.object);
  return loadPolicyFile(DEFAULT_POLICY_FILE);
}

/** Evaluates every workload in the inputs; the report is what all output formats render. */
export async function check(inputs: CheckInputs, io: CheckIo): Promise<CheckReport> {
  const only = parseRuleGlobs(inputs.rules);
  const texts = await readInputFiles(inputs.paths, io.stdin);
  const documents: SourceDocument[] = [];
  const problems = [];
  for (const t of texts) {
    try {
      documents.push(...parseDocuments(t.source, t.text));
    } catch (e) {
      if (!(e instanceof WardenError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length > 0)
    throw new InputError("DOCUMENT_INVALID", "cannot parse the inputs", { problems });
  const set = buildManifestSet(documents);
  const policy = await choosePolicy(inputs.policyFile, set.policies);
  let evidence: ImageEvidence | undefined;
  if (inputs.verifyImages && registryRulesEnabled(policy).length > 0) {
    const images = set.workloads.flatMap(({ workload }) => imageReferences(workload));
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
  return { policy, results, skipped, documentOf: set.documentOf };
}

/** `mcp-warden check`: prints the report and returns the exit status (0 allowed, 1 denied). */
export async function runCheck(inputs: CheckInputs, io: CheckIo): Promise<number> {
  const report = await check(inputs, io);
  if (report.skipped.length > 0) {
    io.stderr(
      `note: ${report.skipped.join(", ")} need a registry and were skipped (add --verify-images to check them): an offline pass is not an admission pass\n`,
    );
  }
  const render = { text: formatText, json: formatJson, sarif: formatSarif }[inputs.format];
  io.stdout(render(report));
  return report.results.every((r) => r.decision.allowed) ? 0 : 1;
}
