import type { FieldProblem } from "../policies/errors.ts";
import type { Decision } from "../policies/workload/engine.ts";
import type { CompiledPolicy } from "../policies/workload/policy.ts";
import type { RelatedLocation } from "../policies/workload/rule.ts";
import type { SourceDocument } from "./documents.ts";

// What `check` produced, apart from check.ts so that the report writers need not import it.

export interface WorkloadResult {
  kind: string;
  namespace: string;
  name: string;
  document: SourceDocument;
  decision: Decision;
}

export interface CheckReport {
  policy: CompiledPolicy;
  /** Where the policy came from: the `--policy` file, an input file (`--trust-inputs`) or `default`. */
  policySource: string;
  results: WorkloadResult[];
  skipped: string[];
  /** Documents that could not be read or judged (file, document, line); exit status 2. */
  problems: FieldProblem[];
  /** The input document holding an object a finding relates to (a binding, a role). */
  documentOf: (ref: Omit<RelatedLocation, "path">) => SourceDocument | undefined;
}
