import {
  isAlias,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  type Document,
  type Node,
  YAMLMap,
  YAMLSeq,
} from "yaml";

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

/**
 * The node an alias (`*sc`) stands for, so an edit reaches the anchored node it shares with the
 * other places that name it; every other node as it is.
 */
function resolved(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

/** A merge key (`<<: *base`), as the parser marks it when merge keys are on. */
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === "symbol" && key.value.description === "<<";
}

/**
 * A mapping's node at `key`: its own, else the one a merge key brings in (`<<: *base`, the
 * earlier source first), as kubectl reads it; undefined when neither has it.
 */
function valueIn(doc: Document, map: YAMLMap, key: string): unknown {
  const own: unknown = map.get(key, true);
  if (own !== undefined) return resolved(doc, own);
  for (const pair of map.items) {
    if (!isMergeKey(pair.key)) continue;
    const source = resolved(doc, pair.value);
    for (const item of isSeq(source) ? source.items : [source]) {
      const from = resolved(doc, item);
      const value = isMap(from) ? valueIn(doc, from, key) : undefined;
      if (value !== undefined) return value;
    }
  }
  return undefined;
}

/** The node at `path`, through aliases and merge keys as kubectl reads them; undefined when absent. */
export function nodeAt(doc: Document, path: YamlPath): unknown {
  let node: unknown = resolved(doc, doc.contents);
  for (const segment of path) {
    if (typeof segment === "number")
      node = isSeq(node) ? resolved(doc, node.items[segment]) : undefined;
    else node = isMap(node) ? valueIn(doc, node, segment) : undefined;
  }
  return node;
}

/**
 * The mappings from the document's root down to `path`, created where the path ends early;
 * undefined when something else than a mapping (or a sequence, at a number) is in the way.
 */
function mapsAlong(doc: Document, path: YamlPath): Node[] | undefined {
  let node: unknown = resolved(doc, doc.contents);
  const along: Node[] = [];
  for (const segment of path) {
    if (typeof segment === "number") {
      if (!isSeq(node)) return undefined;
      along.push(node);
      node = resolved(doc, node.items[segment]);
      continue;
    }
    if (!isMap(node)) return undefined;
    along.push(node);
    // A mapping merged in (`<<: *base`) is edited where it is written: a new one here would
    // replace it whole.
    let child: unknown = valueIn(doc, node, segment);
    if (child === undefined || isNullScalar(child)) {
      child = new YAMLMap();
      node.set(doc.createNode(segment), child);
    }
    node = child;
  }
  if (!isMap(node)) return undefined;
  along.push(node);
  return along;
}

/** Collections written as blocks from here on, because a comment inside `{ … }` ends the line. */
function asBlocks(nodes: readonly Node[]): void {
  for (const n of nodes) if (isCollection(n) && n.flow === true) n.flow = false;
}

/**
 * Sets the field at `path` (its parent mappings created), with a line comment when given. A
 * scalar already there keeps its node, and so its comment.
 */
export function setField(doc: Document, path: YamlPath, value: unknown, comment?: string): boolean {
  const key = path[path.length - 1];
  if (typeof key !== "string") return false;
  const along = mapsAlong(doc, path.slice(0, -1));
  const parent = along?.at(-1);
  if (along === undefined || !isMap(parent)) return false;
  const existing: unknown = parent.get(key, true);
  // A comment inside `{ … }` would end the line: a commented field is written in a block.
  if (comment !== undefined) asBlocks(along);
  if (isScalar(existing) && (typeof value !== "object" || value === null)) {
    existing.value = value;
    if (comment !== undefined) existing.comment = ` ${comment}`;
    return true;
  }
  const node = doc.createNode(value) as Node;
  if (comment !== undefined) node.comment = ` ${comment}`;
  parent.set(doc.createNode(key), node);
  return true;
}

/** The sequence at `path`, created (block style) when missing; undefined when something else. */
export function ensureSeq(doc: Document, path: YamlPath): YAMLSeq | undefined {
  const key = path[path.length - 1];
  if (typeof key !== "string") return undefined;
  const along = mapsAlong(doc, path.slice(0, -1));
  const parent = along?.at(-1);
  if (along === undefined || !isMap(parent)) return undefined;
  const existing: unknown = resolved(doc, parent.get(key, true));
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
  if (comment !== undefined) {
    node.commentBefore = ` ${comment}`;
    const along = mapsAlong(doc, path.slice(0, -1));
    if (along !== undefined) asBlocks([...along, seq]);
  }
  seq.items.push(node);
  return true;
}
