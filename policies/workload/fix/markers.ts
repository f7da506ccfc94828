import { isMap, isNode, isPair, isScalar, isSeq, type Document } from "yaml";
import { fieldPath } from "../../field-path.ts";

/**
 * Choices `fix` makes for a person to review are written into the YAML as comments that start
 * with {@link MARKER}. Reading them back from the output lists the same decisions on every run,
 * so a fixed file, fixed again, is unchanged and still says what a person must settle.
 */

export const MARKER = "mcp-warden:";

/** The comment text for a choice: `mcp-warden: placeholder, set from measurements`. */
export function marker(what: string): string {
  return `${MARKER} ${what}`;
}

export const PLACEHOLDER = marker("placeholder, set from measurements");

/** A marked choice: the field it is on and what it says. */
export interface MarkedChoice {
  path: string;
  what: string;
}

function markedText(comment: string | null | undefined): string[] {
  return (comment ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith(MARKER))
    .map((line) => line.slice(MARKER.length).trim());
}

/** Every marked comment in the document, at the field it is written on (or before). */
export function markedChoices(doc: Document): MarkedChoice[] {
  const out: MarkedChoice[] = [];
  const walk = (node: unknown, path: string): void => {
    if (isNode(node)) {
      for (const what of [...markedText(node.commentBefore), ...markedText(node.comment)])
        out.push({ path, what });
    }
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const at = fieldPath(path, key);
        if (isNode(pair.key)) {
          for (const what of markedText(pair.key.commentBefore)) out.push({ path: at, what });
        }
        walk(pair.value, at);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, fieldPath(path, i)));
    }
  };
  walk(doc.contents, "");
  return mergePlaceholders(out);
}

const RESOURCE_FIELD = /^(.*\.resources)\.((?:limits|requests)\.[A-Za-z0-9_.-]+)$/;

/** Placeholders of one container's resources are one decision: `limits.cpu, requests.cpu: …`. */
function mergePlaceholders(choices: MarkedChoice[]): MarkedChoice[] {
  const out: MarkedChoice[] = [];
  const byResources = new Map<string, { fields: string[]; what: string }>();
  for (const c of choices) {
    const m = RESOURCE_FIELD.exec(c.path);
    if (m === null || m[1] === undefined || m[2] === undefined) {
      out.push(c);
      continue;
    }
    const key = `${m[1]}\n${c.what}`;
    const group = byResources.get(key);
    if (group !== undefined) {
      group.fields.push(m[2]);
      continue;
    }
    const fields = [m[2]];
    byResources.set(key, { fields, what: c.what });
    out.push({
      path: m[1],
      get what() {
        return `${fields.join(", ")}: ${c.what}`;
      },
    });
  }
  return out.map((c) => ({ path: c.path, what: c.what }));
}
