import { isMap, isSeq, parseAllDocuments, type Document } from "yaml";
import { KUBECTL_YAML } from "../policies/kubectl-yaml.ts";

/**
 * A file's YAML documents for editing, and the file written back: the documents `fix` did not
 * change are copied byte for byte, the changed ones re-serialised in the style they were written
 * in (indented or flush sequences, `[a, b]` flow lists), with their comments.
 */

export interface EditableFile {
  text: string;
  documents: Document[];
}

/**
 * Parses as `readDocuments` does, so document numbers and List items line up with findings, and
 * with the same YAML 1.1 scalars: `defaultMode: 0400` stays octal when the document is written.
 */
export function editableFile(text: string): EditableFile {
  const documents = parseAllDocuments(text, { uniqueKeys: true, ...KUBECTL_YAML });
  return { text, documents: Array.isArray(documents) ? documents : [] };
}

/** Where the object judged as item `position` of document `doc` sits: `[]` or `["items", n]`. */
export function objectRoot(doc: Document, position: number): (string | number)[] {
  const kind: unknown = isMap(doc.contents) ? doc.get("kind") : undefined;
  const isList = typeof kind === "string" && /^(?:[A-Z][A-Za-z0-9]*)?List$/.test(kind);
  return isList && isSeq(doc.get("items", true)) ? ["items", position] : [];
}

/** The line `fix` puts first in a JSON file it writes YAML into. */
export const JSON_AS_YAML = "# edited by mcp-warden fix: YAML from here on (the JSON is YAML too)";

/** Sequences written flush with their key (`key:\n- a`) rather than indented under it. */
function flushSequences(text: string): boolean {
  const lines = text.split("\n");
  for (let i = 0; i + 1 < lines.length; i++) {
    const key = /^( *)[^\s#-][^:#]*:\s*(#.*)?$/.exec(lines[i] ?? "");
    const item = /^( *)- /.exec(lines[i + 1] ?? "");
    if (key && item) return key[1] === item[1];
  }
  return false;
}

/**
 * The file with each document in `changed` re-serialised and `appended` (YAML documents) added at
 * the end; every other byte as it was.
 */
export function renderFile(
  file: EditableFile,
  changed: ReadonlySet<number>,
  appended: readonly string[],
): string {
  const { text, documents } = file;
  // Serialising writes LF: a file written with CRLF line breaks keeps them.
  const eol = /\r\n/.test(text) && !/(?<!\r)\n/.test(text) ? "\r\n" : "\n";
  const asWritten = (yaml: string) => (eol === "\n" ? yaml : yaml.replace(/\r?\n/g, eol));
  let out = "";
  let start = 0;
  documents.forEach((doc, i) => {
    const end = doc.range?.[2] ?? text.length;
    const original = text.slice(start, end);
    start = end;
    if (!changed.has(i)) {
      out += original;
      return;
    }
    const serialised = doc.toString({
      lineWidth: 0,
      indentSeq: !flushSequences(original),
      flowCollectionPadding: /[[{] [^\s\]}]/.test(original),
    });
    // The blank lines after the document belong to the layout of the file: keep them.
    const trailing = /(?:\r?\n)*$/.exec(original)?.[0] ?? "";
    out += asWritten(serialised).replace(/(?:\r?\n)*$/, trailing.length > 0 ? trailing : eol);
  });
  out += text.slice(start);
  for (const doc of appended) {
    if (out !== "" && !out.endsWith("\n")) out += eol;
    out += asWritten(`---\n${doc}`);
  }
  // kubectl reads a file that starts with `{` or `[` as a stream of JSON values, and fails at
  // the first YAML written into it (a `---`, a key without quotes): a comment first makes it
  // read the whole file as YAML, which the JSON is too.
  if (out !== text && /^\s*[{[]/.test(out) && !isJson(out)) out = `${JSON_AS_YAML}${eol}${out}`;
  return out;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
