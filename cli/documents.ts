import { isMap, isSeq, LineCounter, parseAllDocuments, type Document } from "yaml";
import { KUBECTL_YAML } from "../policies/kubectl-yaml.ts";
import { errorMessage, InputError, type FieldProblem } from "../policies/errors.ts";
import { parseFieldPath } from "../policies/field-path.ts";
import { isRecord } from "../policies/guards.ts";

export interface SourcePosition {
  line: number;
  column: number;
}

/** One object read from an input, with where it came from and how to find its fields. */
export interface SourceDocument {
  source: string;
  /** 1-based position of the document in its file (items of a `List` share it). */
  index: number;
  line: number;
  object: unknown;
  /** Read from the API server (`check --cluster`): `source` names it `namespace/kind/name`, no file or line. */
  live?: boolean;
  /** Line and column of a field path, or of its deepest parent that exists. */
  locate(path: string): SourcePosition | undefined;
}

/** Names a document for people: `deploy.yaml document 2 (line 14)`. */
export function describeDocument(d: { source: string; index: number; line: number }): string {
  return `${d.source} document ${d.index} (line ${d.line})`;
}

function nodePosition(
  doc: Document,
  counter: LineCounter,
  path: (string | number)[],
): SourcePosition | undefined {
  const node: unknown = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (node && typeof node === "object" && "range" in node && Array.isArray(node.range)) {
    const pos = counter.linePos(node.range[0] as number);
    return { line: pos.line, column: pos.col };
  }
  return undefined;
}

function locator(doc: Document, counter: LineCounter, prefix: (string | number)[]) {
  return (path: string): SourcePosition | undefined => {
    const segments = [...prefix, ...parseFieldPath(path)];
    for (let n = segments.length; n >= 0; n--) {
      const pos = nodePosition(doc, counter, segments.slice(0, n));
      if (pos) return pos;
    }
    return undefined;
  };
}

/** `List`, or a typed list (`PodList`, `DeploymentList`...): kubectl reads each the same way. */
function isListKind(kind: unknown): boolean {
  return typeof kind === "string" && /^(?:[A-Z][A-Za-z0-9]*)?List$/.test(kind);
}

/**
 * Drops every null-valued mapping field, recursively: `null` is unset, as the API server decodes
 * optional fields (`allowPrivilegeEscalation: null` is admitted and means the default). Null
 * list items stay, so validation still names them.
 */
export function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== null && v !== undefined) out[k] = dropNulls(v);
  }
  return out;
}

/**
 * A schema's "must be string", with why a value written as text may not be one: files are read as
 * kubectl reads them (YAML 1.1).
 */
export function withQuoteHint(message: string): string {
  return message === "must be string"
    ? `${message} (quote it: kubectl, like YAML 1.1, reads an unquoted yes, no, on, off, y or n as a boolean and digits as a number, and the API server rejects the object)`
    : message;
}

/**
 * Reads every document of a YAML or JSON text (JSON is YAML). Empty documents are skipped;
 * `kind: List` and typed lists (`PodList`...) are expanded into their items, as kubectl does;
 * YAML merge keys are merged; null-valued fields are dropped
 * ({@link dropNulls}).
 * @throws InputError DOCUMENT_INVALID naming the file, document and line of every syntax error
 */
export function parseDocuments(source: string, text: string): SourceDocument[] {
  const { documents, problems } = readDocuments(source, text);
  if (problems.length > 0) {
    throw new InputError("DOCUMENT_INVALID", `${source}: not valid YAML or JSON`, { problems });
  }
  return documents;
}

/**
 * {@link parseDocuments} that keeps going: the documents that could be read, and a problem
 * (file, document, line) for each one that could not.
 */
export function readDocuments(
  source: string,
  text: string,
): { documents: SourceDocument[]; problems: FieldProblem[] } {
  const counter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: counter, uniqueKeys: true, ...KUBECTL_YAML });
  const list = Array.isArray(docs) ? docs : [];
  const out: SourceDocument[] = [];
  const problems: FieldProblem[] = [];
  for (const [i, doc] of list.entries()) {
    const index = i + 1;
    // The line of the document's first node, not of the `---` before it.
    const line = counter.linePos(doc.contents?.range[0] ?? doc.range[0]).line;
    for (const e of [...doc.errors]) {
      problems.push({
        path: `${source} document ${index} (line ${e.linePos?.[0].line ?? line})`,
        message: e.message.split("\n")[0] ?? e.code,
      });
    }
    if (doc.errors.length > 0 || doc.contents === null) continue;
    let object: unknown;
    try {
      object = dropNulls(doc.toJS({ maxAliasCount: 100 }));
    } catch (e) {
      problems.push({
        path: `${source} document ${index} (line ${line})`,
        message: errorMessage(e),
      });
      continue;
    }
    // A document of only comments (or `~`) is empty, as kubectl treats it.
    if (object === null || object === undefined) continue;
    const items =
      isMap(doc.contents) && isListKind(doc.get("kind")) && isSeq(doc.get("items", true));
    if (items && isRecord(object) && Array.isArray(object.items)) {
      object.items.forEach((item: unknown, j) => {
        out.push({
          source,
          index,
          line: nodePosition(doc, counter, ["items", j])?.line ?? line,
          object: item,
          locate: locator(doc, counter, ["items", j]),
        });
      });
    } else {
      out.push({ source, index, line, object, locate: locator(doc, counter, []) });
    }
  }
  return { documents: out, problems };
}

/** {@link readDocuments} of several texts: every document that could be read, every problem. */
export function readAllDocuments(texts: readonly { source: string; text: string }[]): {
  documents: SourceDocument[];
  problems: FieldProblem[];
} {
  const documents: SourceDocument[] = [];
  const problems: FieldProblem[] = [];
  for (const t of texts) {
    const read = readDocuments(t.source, t.text);
    documents.push(...read.documents);
    problems.push(...read.problems);
  }
  return { documents, problems };
}
