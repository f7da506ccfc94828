import { fieldPath } from "../field-path.ts";
import { escapeText } from "./description-safety/text.ts";

/**
 * What changed between two definitions a model reads (a tool, a prompt, a resource template, the
 * instructions), field by field, so a changed pin is reported as "description: "a" → "b"" rather
 * than only "description changed".
 */

/** One changed field: its path under the definition, and the value before and after (absent: `undefined`). */
export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Every leaf that differs between `before` and `after`, in document order, paths under `base`. */
export function diffValues(before: unknown, after: unknown, base = ""): FieldChange[] {
  const out: FieldChange[] = [];
  const walk = (a: unknown, b: unknown, path: string, depth: number): void => {
    if (depth < 64 && isObject(a) && isObject(b)) {
      const keys = [...Object.keys(a), ...Object.keys(b).filter((k) => !(k in a))];
      for (const k of keys) walk(a[k], b[k], fieldPath(path, k), depth + 1);
    } else if (depth < 64 && Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.max(a.length, b.length); i++)
        walk(a[i], b[i], fieldPath(path, i), depth + 1);
    } else if (JSON.stringify(a) !== JSON.stringify(b)) {
      out.push({ path: path === "" ? "(value)" : path, before: a, after: b });
    }
  };
  walk(before, after, base, 0);
  return out;
}

const WINDOW = 80;

/** Two strings shown around where they differ: `…common prefix tail` + the differing part, escaped. */
function differingParts(a: string, b: string): [string, string] {
  const x = [...a];
  const y = [...b];
  if (x.length <= WINDOW && y.length <= WINDOW) return [shown(a), shown(b)];
  let start = 0;
  while (start < x.length && start < y.length && x[start] === y[start]) start++;
  let end = 0;
  while (
    end < x.length - start &&
    end < y.length - start &&
    x[x.length - 1 - end] === y[y.length - 1 - end]
  )
    end++;
  const from = Math.max(0, start - 20);
  const show = (chars: string[]): string => {
    const stop = chars.length - end;
    const middle = chars.slice(from, Math.min(stop + 10, chars.length)).join("");
    const text = escapeText(middle, WINDOW);
    return `"${from > 0 ? "…" : ""}${text}${stop + 10 < chars.length && !text.endsWith("…") ? "…" : ""}"`;
  };
  return [show(x), show(y)];
}

function shown(value: unknown): string {
  if (value === undefined) return "(absent)";
  if (typeof value === "string") return `"${escapeText(value, WINDOW)}"`;
  return escapeText(JSON.stringify(value), WINDOW);
}

/** One change as `path: before → after`, long values cut around where they differ. */
export function formatChange(change: FieldChange): string {
  const [a, b] =
    typeof change.before === "string" && typeof change.after === "string"
      ? differingParts(change.before, change.after)
      : [shown(change.before), shown(change.after)];
  return `${change.path}: ${a} → ${b}`;
}

/** The changes as one line for a finding message: at most `max`, then "and N more". */
export function formatChanges(changes: readonly FieldChange[], max = 5): string {
  const listed = changes.slice(0, max).map(formatChange);
  if (changes.length > max) listed.push(`and ${changes.length - max} more`);
  return listed.join("; ");
}
