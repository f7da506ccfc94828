import fc from "fast-check";

/**
 * Arbitraries that break JSON documents the way hostile or buggy clients do: values of the wrong
 * type, missing fields, unicode (lone surrogates, bidi controls, NUL), huge arrays and deep
 * nesting, applied at any path of a well-formed document.
 */

type Json = unknown;
type Path = (string | number)[];

/** Strings a name, an image or a label may be turned into. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "\ud800",
    "\udfff",
    "a\ud83d",
    "\u202e",
    "\ufeff",
    "😀",
    "ñ",
    "İ",
    "../../etc/passwd",
    "__proto__",
    "constructor",
    "toString",
    "a".repeat(5000),
    "nginx:latest",
    `ghcr.io/acme/mcp@sha256:${"a".repeat(64)}`,
    "localhost:5000/x@sha256:zz",
    "1e309",
    "-0",
  ),
);

/** A value of some JSON type, most often not the one the field wants. */
export const wrongValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53 + 2, -1e308, [], {}, [null], { "": "" }),
  hostileString,
  fc.jsonValue({ maxDepth: 3 }),
);

export type Mutation =
  | { op: "delete"; at: number }
  | { op: "replace"; at: number; value: Json }
  | { op: "string"; at: number; value: string }
  | { op: "huge-array"; at: number; length: number }
  | { op: "nest"; at: number; depth: number; asArray: boolean }
  | { op: "add-key"; at: number; key: string; value: Json };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("replace" as const), at: fc.nat(), value: wrongValue }),
  fc.record({ op: fc.constant("string" as const), at: fc.nat(), value: hostileString }),
  fc.record({
    op: fc.constant("huge-array" as const),
    at: fc.nat(),
    length: fc.integer({ min: 100, max: 20_000 }),
  }),
  fc.record({
    op: fc.constant("nest" as const),
    at: fc.nat(),
    depth: fc.integer({ min: 1, max: 100 }),
    asArray: fc.boolean(),
  }),
  fc.record({
    op: fc.constant("add-key" as const),
    at: fc.nat(),
    key: fc.oneof(hostileString, fc.constantFrom("kind", "spec", "metadata", "status")),
    value: wrongValue,
  }),
);

function isContainer(v: Json): v is Record<string, Json> | Json[] {
  return typeof v === "object" && v !== null;
}

/** Every path of `doc`, the root first, in a stable order. */
export function pathsOf(doc: Json, limit = 5000): Path[] {
  const out: Path[] = [];
  const walk = (v: Json, path: Path) => {
    if (out.length >= limit) return;
    out.push(path);
    if (Array.isArray(v)) v.forEach((item, i) => walk(item, [...path, i]));
    else if (isContainer(v)) for (const [k, child] of Object.entries(v)) walk(child, [...path, k]);
  };
  walk(doc, []);
  return out;
}

function at(doc: Json, path: Path): Json {
  let v = doc;
  for (const k of path) v = (v as Record<string | number, Json>)[k];
  return v;
}

/** Replaces (or, with `undefined`, deletes) the value at `path`; returns the new root. */
function setAt(doc: Json, path: Path, value: Json): Json {
  if (path.length === 0) return value === undefined ? null : value;
  const parent = at(doc, path.slice(0, -1)) as Record<string | number, Json> | Json[];
  const key = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof key === "number") {
    if (value === undefined) parent.splice(key, 1);
    else parent[key] = value;
  } else if (value === undefined) {
    delete (parent as Record<string, Json>)[key];
  } else {
    Object.defineProperty(parent, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return doc;
}

/** Applies mutations in order to a copy of `doc`. */
export function mutate(doc: Json, mutations: readonly Mutation[]): Json {
  let out = structuredClone(doc);
  for (const m of mutations) {
    const paths = pathsOf(out);
    const path = paths[m.at % paths.length]!;
    const current = at(out, path);
    switch (m.op) {
      case "delete":
        out = setAt(out, path, undefined);
        break;
      case "replace":
        out = setAt(out, path, structuredClone(m.value));
        break;
      case "string":
        out = setAt(out, path, m.value);
        break;
      case "huge-array": {
        // Small items, each its own copy: the body stays near the size limit, not far beyond it.
        const item = JSON.stringify(current ?? null).length <= 64 ? current : 0;
        out = setAt(
          out,
          path,
          Array.from({ length: m.length }, () => structuredClone(item)),
        );
        break;
      }
      case "nest": {
        let v = current;
        for (let i = 0; i < m.depth; i++) v = m.asArray ? [v] : { a: v };
        out = setAt(out, path, v);
        break;
      }
      case "add-key":
        if (isContainer(current) && !Array.isArray(current)) {
          Object.defineProperty(current, m.key, {
            value: structuredClone(m.value),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        break;
    }
  }
  return out;
}

/** JSON nested `depth` levels deep, as text (too deep for JSON.stringify of a built value). */
export function deeplyNestedText(depth: number, asArray: boolean): string {
  return asArray
    ? `${"[".repeat(depth)}1${"]".repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

export type TextMutation =
  | { op: "truncate"; at: number }
  | { op: "delete"; at: number; length: number }
  | { op: "insert"; at: number; text: string }
  | { op: "repeat"; at: number; length: number; times: number };

/** Damage to a text file: cut short, a slice removed or repeated, hostile text spliced in. */
export const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({
    op: fc.constant("delete" as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 200 }),
  }),
  fc.record({
    op: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.oneof(
      hostileString,
      fc.constantFrom(
        "\n",
        ":",
        '"',
        "'",
        "{",
        "}",
        "[",
        "]",
        "=",
        "\n  - ",
        "\t",
        "#",
        "@",
        "\r\n",
      ),
    ),
  }),
  fc.record({
    op: fc.constant("repeat" as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 200 }),
    times: fc.integer({ min: 2, max: 50 }),
  }),
);

/** Applies text mutations in order. */
export function mutateText(text: string, mutations: readonly TextMutation[]): string {
  let out = text;
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    switch (m.op) {
      case "truncate":
        out = out.slice(0, at);
        break;
      case "delete":
        out = out.slice(0, at) + out.slice(at + m.length);
        break;
      case "insert":
        out = out.slice(0, at) + m.text + out.slice(at);
        break;
      case "repeat":
        out = out.slice(0, at) + out.slice(at, at + m.length).repeat(m.times) + out.slice(at);
        break;
    }
  }
  return out;
}
