/**
 * Alpine package versions, ordered as apk-tools orders them (src/version.c):
 * `{digits}{.digits}…{letter}{_suffix{digits}}…{~hash}{-r{digits}}`. Pre-release suffixes
 * (`alpha`, `beta`, `pre`, `rc`) sort below the release, post-release ones (`cvs`, `svn`, `git`,
 * `hg`, `p`) above it; a number after a `.` with leading zeros sorts below one without
 * (`1.02` < `1.2`, as a fraction). Versions apk-tools
 * refuses compare as far as they can be read, as they do there.
 */

type Kind = "digitOrZero" | "digit" | "letter" | "suffix" | "suffixNo" | "hash" | "revisionNo";
// The order of token kinds when one version goes on where the other has another kind of token.
const RANK: Record<Kind | "end" | "invalid", number> = {
  invalid: -1,
  digitOrZero: 0,
  digit: 1,
  letter: 2,
  suffix: 3,
  suffixNo: 4,
  hash: 5,
  revisionNo: 6,
  end: 7,
};

const PRE = ["alpha", "beta", "pre", "rc"];
const POST = ["cvs", "svn", "git", "hg", "p"];

/** A position in a version string and the kind of the token there (apk-tools' `get_token` state). */
interface Cursor {
  s: string;
  i: number;
  kind: Kind | "end" | "invalid";
}

/**
 * Reads the token at the cursor, as the kind the cursor holds, and moves to the next token.
 * @returns its value: numbers as BigInt (dates and timestamps overflow 32 bits), leading zeros
 *   negative, letters by code, suffixes by rank (pre-release ones negative); -1 for a bad suffix
 */
function readToken(c: Cursor): bigint {
  const { s } = c;
  if (c.i >= s.length) {
    c.kind = "end";
    return 0n;
  }
  let value = 0n;
  let next: Kind | undefined;
  switch (c.kind) {
    case "digitOrZero":
    case "digit":
    case "suffixNo":
    case "revisionNo": {
      if (c.kind === "digitOrZero" && s[c.i] === "0") {
        // Leading zeros: the more there are, the lower (a fraction); the digits after them are a
        // number of their own.
        let zeros = 0;
        while (s[c.i] === "0") {
          zeros++;
          c.i++;
        }
        value = BigInt(-zeros);
        next = "digit";
        break;
      }
      const start = c.i;
      while (c.i < s.length && isDigit(s[c.i])) c.i++;
      value = start === c.i ? 0n : BigInt(s.slice(start, c.i));
      break;
    }
    case "letter":
      value = BigInt(s.charCodeAt(c.i));
      c.i++;
      break;
    case "suffix": {
      const rest = s.slice(c.i);
      const pre = PRE.findIndex((p) => rest.startsWith(p));
      const post = pre >= 0 ? -1 : POST.findIndex((p) => rest.startsWith(p));
      if (pre >= 0) {
        value = BigInt(pre - PRE.length);
        c.i += (PRE[pre] ?? "").length;
      } else if (post >= 0) {
        value = BigInt(post);
        c.i += (POST[post] ?? "").length;
      } else {
        c.kind = "invalid";
        return -1n;
      }
      break;
    }
    case "hash": {
      // A commit hash orders nothing: only its presence counts.
      const start = c.i;
      while (c.i < s.length && /[0-9a-f]/.test(s[c.i] ?? "")) c.i++;
      if (start === c.i) {
        c.kind = "invalid";
        return -1n;
      }
      break;
    }
    case "end":
    case "invalid":
      return -1n;
  }
  if (c.i >= s.length) c.kind = "end";
  else if (next !== undefined) c.kind = next;
  else [c.kind, c.i] = nextKind(c.kind, s, c.i);
  return value;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/** apk-tools' `next_token`: the kind of the token at `i`, and where its value starts. */
function nextKind(kind: Kind, s: string, i: number): [Kind | "invalid", number] {
  const c = s[i] ?? "";
  let n: Kind | "invalid" = "invalid";
  let at = i;
  if ((kind === "digit" || kind === "digitOrZero") && c >= "a" && c <= "z") n = "letter";
  else if (kind === "letter" && isDigit(c)) n = "digit";
  else if (kind === "suffix" && isDigit(c)) n = "suffixNo";
  else {
    if (c === ".") n = "digitOrZero";
    else if (c === "_") n = "suffix";
    else if (c === "~") n = "hash";
    else if (c === "-" && s[i + 1] === "r") {
      n = "revisionNo";
      at++;
    }
    at++;
  }
  if (n !== "invalid" && RANK[n] < RANK[kind]) {
    const allowed =
      (n === "digitOrZero" && kind === "digit") ||
      (n === "suffix" && kind === "suffixNo") ||
      (n === "digit" && kind === "letter");
    if (!allowed) n = "invalid";
  }
  return [n, at];
}

/** Whether apk-tools accepts the version. */
export function validApkVersion(version: string): boolean {
  if (version === "") return false;
  const c: Cursor = { s: version, i: 0, kind: "digit" };
  while (c.kind !== "end" && c.kind !== "invalid") readToken(c);
  return c.kind === "end";
}

/** Compares two versions as `apk version -t` does (apk-tools' `apk_version_compare`). */
export function compareApkVersions(a: string, b: string): number {
  const x: Cursor = { s: a, i: 0, kind: "digit" };
  const y: Cursor = { s: b, i: 0, kind: "digit" };
  let av = 0n;
  let bv = 0n;
  while (x.kind === y.kind && x.kind !== "end" && x.kind !== "invalid" && av === bv) {
    av = readToken(x);
    bv = readToken(y);
  }
  if (av !== bv) return av < bv ? -1 : 1;
  if (x.kind === y.kind) return 0;
  // Equal so far: the version that goes on is greater, unless what follows is a pre-release suffix.
  if (x.kind === "suffix" && readToken({ ...x }) < 0n) return -1;
  if (y.kind === "suffix" && readToken({ ...y }) < 0n) return 1;
  return RANK[x.kind] > RANK[y.kind] ? -1 : 1;
}
