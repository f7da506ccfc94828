import { isMap, isScalar, isSeq, type Document, type Node, YAMLMap, YAMLSeq } from "yaml";

/**
 * Edits of a parsed `yaml` Document in place, so the comments and layout of everything not
 * edited stay as written. Each edit returns false when the document holds something else than a
 * mapping where one is needed (an alias, a scalar): the caller then lists a decision rather
 * than overwrite what a person wrote.
 */

export type YamlPath = readonly (string | number)[];

/** A value that is written but means "unset" (`securityContext:` or `~`). */
function isNullScalar(node: unknown): boolean {
  return isScalar(node) && (node.value === null || node.value === undefined);
}

/** The collection at `path`; mappings are created (block style) where the path ends early. */
export function ensureMap(doc: Document, path: YamlPath): YAMLMap | undefined {
  let node: unknown = doc.contents;
  for (const segment of path) {
    if (typeof segment === "number") {
      if (!isSeq(node)) return undefined;
      node = node.items[segment];
      continue;
    }
    if (!isMap(node)) return undefined;
    let child: unknown = node.get(segment, true);
    if (child === undefined || isNullScalar(child)) {
      unflowEmpty(node);
      child = new YAMLMap();
      node.set(doc.createNode(segment), child);
    }
    node = child;
  }
  if (!isMap(node)) return undefined;
  unflowEmpty(node);
  return node;
}

/** `resources: {}` that gets fields is written as a block, as the rest of the document is. */
function unflowEmpty(node: YAMLMap): void {
  if (node.flow === true && node.items.length === 0) node.flow = false;
}

/** Sets the field at `path` (its parent mappings created), with a line comment when given. */
export function setField(doc: Document, path: YamlPath, value: unknown, comment?: string): boolean {
  const parent = ensureMap(doc, path.slice(0, -1));
  const key = path[path.length - 1];
  if (parent === undefined || typeof key !== "string") return false;
  const node = doc.createNode(value) as Node;
  if (comment !== undefined) node.comment = ` ${comment}`;
  parent.set(doc.createNode(key), node);
  return true;
}

/** The sequence at `path`, created (block style) when missing; undefined when something else. */
export function ensureSeq(doc: Document, path: YamlPath): YAMLSeq | undefined {
  const parent = ensureMap(doc, path.slice(0, -1));
  const key = path[path.length - 1];
  if (parent === undefined || typeof key !== "string") return undefined;
  const existing: unknown = parent.get(key, true);
  if (existing !== undefined && !isNullScalar(existing))
    return isSeq(existing) ? existing : undefined;
  const seq = new YAMLSeq();
  parent.set(doc.createNode(key), seq);
  return seq;
}

/** Appends an item to the sequence at `path`, with a comment on the line before it. */
export function appendItem(
  doc: Document,
  path: YamlPath,
  value: unknown,
  comment?: string,
): boolean {
  const seq = ensureSeq(doc, path);
  if (seq === undefined) return false;
  const node = doc.createNode(value) as Node;
  if (comment !== undefined) node.commentBefore = ` ${comment}`;
  // Block items in a flow sequence would be written inline: keep the sequence's own style.
  seq.items.push(node);
  return true;
}
