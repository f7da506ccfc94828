const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
// Paths are built from a small vocabulary of field names; remember which need quoting.
const identifierMemo = new Map<string, boolean>();

function isIdentifier(segment: string): boolean {
  let known = identifierMemo.get(segment);
  if (known === undefined) {
    known = IDENTIFIER.test(segment);
    if (identifierMemo.size < 4096) identifierMemo.set(segment, known);
  }
  return known;
}

/**
 * Appends segments to a field path in the notation kubectl and Kubernetes' own errors use:
 * `spec.template.spec.containers[1].securityContext`, `metadata.annotations["a.b/c"]`.
 */
export function fieldPath(base: string, ...segments: (string | number)[]): string {
  let out = base;
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (isIdentifier(s)) out += out === "" ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Turns an RFC 6901 JSON pointer (as ajv reports) into a field path under `base`. */
export function pointerToFieldPath(base: string, pointer: string): string {
  if (pointer === "") return base;
  const segments = pointer
    .split("/")
    .slice(1)
    .map((raw) => raw.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
  return fieldPath(base, ...segments);
}

/** Splits a field path made by `fieldPath` back into its segments. */
export function parseFieldPath(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  const re = /([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\./gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < path.length && (m = re.exec(path)) !== null) {
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else if (m[3] !== undefined) segments.push(JSON.parse(m[3]) as string);
  }
  return segments;
}
