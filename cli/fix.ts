import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { stat } from "node:fs/promises";
import { InputError, WardenError } from "../policies/errors.ts";
import { fieldPath } from "../policies/field-path.ts";
import { isRecord } from "../policies/guards.ts";
import { judgeWorkload, type DecidedFinding } from "../policies/workload/engine.ts";
import type { Exception } from "../policies/workload/exception-schema.ts";
import {
  fixWorkload,
  type DigestLookup,
  type FixDecision,
} from "../policies/workload/fix/fix-workload.ts";
import { markedChoices } from "../policies/workload/fix/markers.ts";
import { isDigestPinned, parseImageReference } from "../policies/workload/image-reference.ts";
import type { CompiledPolicy } from "../policies/workload/policy.ts";
import { choosePolicy, loadTrustedExceptions } from "./check.ts";
import { describeDocument, readAllDocuments, type SourceDocument } from "./documents.ts";
import { CliError } from "./errors.ts";
import { editableFile, objectRoot, renderFile } from "./fix-yaml.ts";
import { readInputFiles, type InputText } from "./input-files.ts";
import { buildManifestSet, type ManifestSet } from "./manifest-set.ts";
import { oneOf, registryAccess, parseOptions } from "./options.ts";
import { registryClient, type RegistryAccess } from "./registry-access.ts";

export interface FixInputs {
  paths: string[];
  out: string | undefined;
  inPlace: boolean;
  resolveDigests: boolean;
  format: "text" | "json";
  policyFile: string | undefined;
  exceptionPaths: string[];
  registry: RegistryAccess;
}

export interface FixIo {
  stdin: AsyncIterable<Uint8Array>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** A decision as reported: which file and document (1-based, in the file written) it is in. */
export interface ReportedDecision extends FixDecision {
  file: string;
  document: number;
}

/** A finding of the re-check that no decision accounts for. */
export interface RemainingFinding {
  file: string;
  document: number;
  kind: string;
  name: string;
  rule: string;
  path: string;
  message: string;
}

export interface FixedFile {
  /** The input as named. */
  file: string;
  /** Where the corrected copy went: a path, or undefined on stdout / in the JSON. */
  output: string | undefined;
  changed: boolean;
  text: string;
}

export function parseFixArgs(args: string[]): FixInputs {
  const { values, positionals } = parseOptions({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: "string" },
      "in-place": { type: "boolean", default: false },
      "resolve-digests": { type: "boolean", default: false },
      format: { type: "string", default: "text" },
      policy: { type: "string" },
      exceptions: { type: "string", multiple: true, default: [] },
      "registry-config": { type: "string" },
      "insecure-registry": { type: "string", multiple: true, default: [] },
      "registry-timeout": { type: "string", default: "10000" },
    },
  });
  if (positionals.length === 0)
    throw new CliError("USAGE", "fix needs at least one file, directory or - (stdin)");
  if (values.out !== undefined && values["in-place"])
    throw new CliError("USAGE", "--out and --in-place exclude each other");
  if (values["in-place"] && positionals.includes("-"))
    throw new CliError("USAGE", "--in-place cannot write back to stdin (-): use --out DIR");
  return {
    paths: positionals,
    out: values.out,
    inPlace: values["in-place"],
    resolveDigests: values["resolve-digests"],
    format: oneOf("format", values.format, ["text", "json"]),
    policyFile: values.policy,
    exceptionPaths: values.exceptions,
    registry: registryAccess(values),
  };
}

interface InputFile extends InputText {
  /** Path of the corrected copy under `--out`: relative to a directory input, else the name. */
  relative: string;
}

async function readInputs(
  inputs: FixInputs,
  stdin: AsyncIterable<Uint8Array>,
): Promise<InputFile[]> {
  const exclude = [
    ...inputs.exceptionPaths.filter((p) => p !== "-"),
    ...(inputs.policyFile !== undefined ? [inputs.policyFile] : []),
  ];
  const out: InputFile[] = [];
  for (const path of inputs.paths) {
    const isDir = path !== "-" && (await stat(path).catch(() => undefined))?.isDirectory() === true;
    for (const t of await readInputFiles([path], stdin, exclude))
      out.push({ ...t, relative: isDir ? relative(path, t.source) : basename(t.source) });
  }
  if (out.length > 1 && inputs.out === undefined && !inputs.inPlace)
    throw new CliError(
      "USAGE",
      `${out.length} input files: write the corrected copies with --out DIR or --in-place`,
    );
  return out;
}

interface Judged {
  documents: SourceDocument[];
  set: ManifestSet;
  results: { document: SourceDocument; findings: DecidedFinding[] }[];
}

/** Reads and judges the texts as `check` does; any document that cannot be read is bad input. */
function judge(
  texts: readonly InputText[],
  policy: CompiledPolicy,
  exceptions: readonly Exception[],
  now: Date,
): Judged {
  const { documents, problems } = readAllDocuments(texts);
  const set = buildManifestSet(documents, { trustInputs: false, trustedExceptions: exceptions });
  problems.push(...set.problems);
  if (problems.length > 0)
    throw new InputError("DOCUMENT_INVALID", "cannot fix inputs that cannot be read", {
      problems,
    });
  const results = set.workloads.map(({ workload, document }) => ({
    document,
    findings: judgeWorkload(workload, { policy, cluster: set.cluster, now }).findings,
  }));
  return { documents, set, results };
}

/** Looks up the digest of every unpinned, valid reference the findings name. */
async function lookUpDigests(
  references: readonly string[],
  access: RegistryAccess,
): Promise<Map<string, DigestLookup>> {
  const client = await registryClient(access);
  const out = new Map<string, DigestLookup>();
  for (const reference of new Set(references)) {
    const parsed = parseImageReference(reference);
    if (!parsed.ok || isDigestPinned(parsed.value)) continue;
    try {
      out.set(reference, { digest: (await client.resolve(reference)).digest });
    } catch (e) {
      if (!(e instanceof WardenError)) throw e;
      out.set(reference, { error: e.message });
    }
  }
  return out;
}

function referencesToPin(judged: Judged): string[] {
  return judged.results.flatMap(({ document, findings }) =>
    findings
      .filter((f) => f.rule === "image/digest-pinned" && f.action === "enforce")
      .flatMap((f) => {
        const value = valueAtPath(document.object, f.path);
        return typeof value === "string" ? [value] : [];
      }),
  );
}

function valueAtPath(object: unknown, path: string): unknown {
  let node = object;
  for (const m of path.matchAll(/([A-Za-z_$][\w$]*)|\[(\d+)\]/g)) {
    const key = m[1] ?? Number(m[2]);
    node = isRecord(node) ? node[key] : Array.isArray(node) ? node[key as number] : undefined;
  }
  return node;
}

export interface FixReport {
  files: FixedFile[];
  decisions: ReportedDecision[];
  remaining: RemainingFinding[];
}

/**
 * Fixes every workload in the inputs, then judges the corrected files again: the decisions are
 * what the fixes left to a person, `remaining` what fails without any decision to account for it.
 */
export async function fix(inputs: FixInputs, io: FixIo, now: Date): Promise<FixReport> {
  const exceptions = await loadTrustedExceptions(inputs.exceptionPaths, io.stdin);
  const files = await readInputs(inputs, io.stdin);
  const { policy } = await choosePolicy(inputs.policyFile, []);
  const judged = judge(files, policy, exceptions, now);
  for (const doc of judged.set.untrusted)
    io.stderr(
      `note: ignored ${String(isRecord(doc.object) ? doc.object.kind : "")} (${describeDocument(doc)}): pass exceptions with --exceptions PATH and the policy with --policy FILE\n`,
    );
  const digests = inputs.resolveDigests
    ? await lookUpDigests(referencesToPin(judged), inputs.registry)
    : undefined;

  const decisions: ReportedDecision[] = [];
  const fixed: FixedFile[] = [];
  // The NetworkPolicies added so far: the next workload's may not take one of their names.
  const added = new Set<string>();
  for (const file of files) {
    const editable = editableFile(file.text);
    const changed = new Set<number>();
    const appended: string[] = [];
    judged.results.forEach(({ document, findings }, i) => {
      if (document.source !== file.source) return;
      const doc = editable.documents[document.index - 1];
      if (doc === undefined) return;
      const root = objectRoot(doc, itemPosition(judged, document));
      const before = doc.toString();
      const workload = judged.set.workloads[i]?.workload;
      if (workload === undefined) return;
      const result = fixWorkload(
        { doc, root, workload, findings },
        { cluster: judged.set.cluster, settings: policy.settings, digests, added },
      );
      if (doc.toString() !== before) changed.add(document.index - 1);
      if (result.networkPolicy !== undefined) appended.push(result.networkPolicy);
      if (result.networkPolicyName !== undefined) added.add(result.networkPolicyName);
      // Paths are in the document, as the marked choices' are: `items[1].spec…` in a List.
      const prefix = fieldPath("", ...root);
      for (const d of result.decisions)
        decisions.push({
          file: file.source,
          document: document.index,
          ...d,
          path: prefix === "" ? d.path : `${prefix}.${d.path}`,
        });
    });
    const text = renderFile(editable, changed, appended);
    fixed.push({
      file: file.source,
      output: outputPath(inputs, file),
      changed: text !== file.text,
      // The byte order mark the file started with, as it was.
      text: file.bom === true ? `\uFEFF${text}` : text,
    });
  }
  // The marked choices are read back from what is written, so a second run lists them too.
  for (const f of fixed) {
    editableFile(f.text).documents.forEach((doc, i) => {
      for (const c of markedChoices(doc))
        decisions.push({ file: f.file, document: i + 1, path: c.path, what: c.what, rules: [] });
    });
  }
  // Grouped by file and document, as a person reads them; within one, fixes before marks.
  const order = new Map(fixed.map((f, i) => [f.file, i]));
  decisions.sort(
    (a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || a.document - b.document,
  );
  const recheck = judge(
    fixed.map((f) => ({ source: f.file, text: f.text })),
    policy,
    exceptions,
    now,
  );
  const remaining: RemainingFinding[] = [];
  for (const { document, findings } of recheck.results) {
    const object = isRecord(document.object) ? document.object : {};
    const meta = isRecord(object.metadata) ? object.metadata : {};
    for (const f of findings) {
      if (f.action !== "enforce" || f.exemptedBy !== undefined) continue;
      const covered = decisions.some(
        (d) =>
          d.file === document.source && d.document === document.index && d.rules.includes(f.rule),
      );
      if (!covered)
        remaining.push({
          file: document.source,
          document: document.index,
          kind: String(object.kind),
          name: typeof meta.name === "string" ? meta.name : "",
          rule: f.rule,
          path: f.path,
          message: f.message,
        });
    }
  }
  return { files: fixed, decisions, remaining };
}

/** Which item of its document an object is (items of a List share their document number). */
function itemPosition(judged: Judged, document: SourceDocument): number {
  return judged.documents
    .filter((d) => d.source === document.source && d.index === document.index)
    .indexOf(document);
}

function outputPath(inputs: FixInputs, file: InputFile): string | undefined {
  if (inputs.inPlace) return file.source;
  if (inputs.out !== undefined) return join(inputs.out, file.relative);
  return undefined;
}

function formatText(report: FixReport): string {
  const lines: string[] = [];
  for (const d of report.decisions) {
    const rules = d.rules.length > 0 ? ` [leaves ${d.rules.join(", ")}]` : "";
    lines.push(
      `DECIDE ${d.file} document ${d.document} ${d.path || "(document)"}: ${d.what}${rules}`,
    );
  }
  for (const r of report.remaining)
    lines.push(
      `FAIL   ${r.file} document ${r.document} ${r.kind} ${r.name} [${r.rule}] ${r.path}: ${r.message}`,
    );
  const written = report.files.filter((f) => f.output !== undefined && f.changed);
  for (const f of written) lines.push(`wrote  ${f.output ?? ""}`);
  lines.push(
    `${report.decisions.length} decision${report.decisions.length === 1 ? "" : "s"} for a person, ${report.remaining.length} finding${report.remaining.length === 1 ? "" : "s"} left unfixed`,
  );
  return `${lines.join("\n")}\n`;
}

function formatJson(report: FixReport): string {
  const files = report.files.map((f) => ({
    file: f.file,
    changed: f.changed,
    ...(f.output === undefined ? { content: f.text } : { output: f.output }),
  }));
  return `${JSON.stringify({ decisions: report.decisions, remaining: report.remaining, files }, null, 2)}\n`;
}

/** `mcp-warden fix`: exit 0 when the output passes check with nothing to decide, 1 otherwise. */
export async function runFix(inputs: FixInputs, io: FixIo, now = new Date()): Promise<number> {
  const report = await fix(inputs, io, now);
  for (const f of report.files) {
    if (f.output === undefined || (inputs.inPlace && !f.changed)) continue;
    await mkdir(dirname(f.output), { recursive: true });
    await writeFile(f.output, f.text);
  }
  if (inputs.format === "json") io.stdout(formatJson(report));
  else {
    const [only] = report.files;
    if (only !== undefined && only.output === undefined) io.stdout(only.text);
    io.stderr(formatText(report));
  }
  return report.decisions.length === 0 && report.remaining.length === 0 ? 0 : 1;
}
