import { Document, isNode, visit } from "yaml";
import { KUBECTL_SAFE_OUTPUT } from "../kubectl-yaml.ts";
import type { KubernetesObject } from "./kubernetes-objects.ts";

/**
 * Kubernetes objects as one multi-document YAML stream, with comments, through the `yaml`
 * library's Document API. Whatever the objects hold (a version, a name or a host is data from
 * the release), the stream stays the same documents and comments: line breaks cannot end a comment
 * early, and no value can start a document of its own, for YAML 1.2 parsers (`mcp-warden check`)
 * and YAML 1.1 parsers (Kubernetes') alike.
 */

/** A comment on the line before the node at `path` in object number `object`. */
export interface NodeComment {
  object: number;
  path: readonly (string | number)[];
  text: string;
}

export interface YamlStream {
  /** The comment that opens the stream, a line each; "" for an empty comment line. */
  header: readonly string[];
  objects: readonly KubernetesObject[];
  comments?: readonly NodeComment[];
}

/** The stream as text: the header, then each object as a document, `---` between them. */
export function renderYamlStream({ header, objects, comments = [] }: YamlStream): string {
  // No aliases: each object reads on its own, whatever maps its builder shared. Written as YAML 1.1
  // (no directive is emitted), so a string that kubectl would read as a boolean or a number
  // (`on`, `y`, `0777`, `1:30`) is quoted.
  const documents = objects.map(
    (object) => new Document(object, { aliasDuplicateObjects: false, ...KUBECTL_SAFE_OUTPUT }),
  );
  for (const { object, path, text } of comments) {
    const node = documents[object]?.getIn(path, true);
    if (isNode(node)) node.commentBefore = ` ${commentText(text)}`;
  }
  for (const d of documents) quoteYaml11Breaks(d);
  return (
    header.map((line) => (line === "" ? "#" : `# ${commentText(line)}`)).join("\n") +
    "\n" +
    documents
      .map((d) =>
        d.toString({ lineWidth: 0 }).replace(YAML11_BREAKS, (c) => YAML11_ESCAPES[c] ?? c),
      )
      .join("---\n")
  );
}

/**
 * NEL, U+2028 and U+2029 are line breaks to YAML 1.1 parsers, Kubernetes' among them, and plain
 * text to YAML 1.2: written as they are in a plain scalar, a value such as `1.0<U+2028>---` would end
 * the document for `kubectl` but not for `mcp-warden check`. Scalars holding them are
 * double-quoted, where they are written as the `\N`, `\L` and `\P` escapes both read alike.
 */
const YAML11_BREAKS = /[\u0085\u2028\u2029]/g;
const YAML11_ESCAPES: Record<string, string> = {
  "\u0085": "\\N",
  "\u2028": "\\L",
  "\u2029": "\\P",
};

function quoteYaml11Breaks(doc: Document): void {
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value === "string" && /[\u0085\u2028\u2029]/.test(node.value))
        node.type = "QUOTE_DOUBLE";
    },
  });
}

/**
 * Characters a YAML comment line may not hold as they are: line breaks (CR and LF, and NEL, U+2028
 * and U+2029, which YAML 1.1 parsers such as Kubernetes' break lines on too) would end the comment
 * and let the rest of a value (a version, an agent or host name) become YAML of its own; other
 * control characters, a byte-order mark and non-characters are not allowed in a YAML stream.
 */
const NOT_COMMENT_TEXT =
  /[^\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]/gu;

/** `text` for one comment line: every character {@link NOT_COMMENT_TEXT} names is escaped (`\n`, `\u2028`). */
function commentText(text: string): string {
  return text.replace(NOT_COMMENT_TEXT, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    return `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`;
  });
}
