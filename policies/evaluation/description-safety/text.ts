/**
 * Showing text a model reads, safely: every invisible, control or unusual space character is
 * written `\u{XXXX}`, so a finding never carries the payload it reports.
 */

const INVISIBLE_OR_CONTROL =
  // eslint-disable-next-line no-misleading-character-class -- these characters are what is looked for
  /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\u00A0\u2000-\u200A\u202F\u205F\u3000\u180B-\u180F\u17B4\u17B5\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/u;

/** `text` with every invisible, control or unusual space character written `\u{XXXX}`, truncated. */
export function escapeText(text: string, max = 120): string {
  let out = "";
  let count = 0;
  for (const ch of text) {
    if (count >= max) {
      out += "…";
      break;
    }
    count++;
    if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (INVISIBLE_OR_CONTROL.test(ch)) {
      out += `\\u{${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}}`;
    } else out += ch;
  }
  return out;
}

/** `"text"`, trimmed, escaped and truncated. */
export const quote = (text: string, max = 100): string => `"${escapeText(text.trim(), max)}"`;

/** The text around `index`, escaped: where a hidden character sits. */
export function around(text: string, index: number): string {
  const start = Math.max(0, index - 30);
  const snippet = escapeText(text.slice(start, index + 40), 50);
  return `${start > 0 ? "…" : ""}"${snippet}"`;
}

/** `U+200B, U+2060`: the distinct code points of `chars`, at most six. */
export const codePoints = (chars: string[]): string =>
  [...new Set(chars)]
    .slice(0, 6)
    .map((c) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`)
    .join(", ");
