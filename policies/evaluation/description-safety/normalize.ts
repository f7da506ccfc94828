import { brotliDecompressSync } from "node:zlib";
import { decodeCarriers, decodeMore, fromBase32With, fromEbcdic } from "./decoders.ts";
import type { SeverityLevel } from "../predicate.ts";
import { around, codePoints, quote } from "./text.ts";

/**
 * What a text hides, and the text as a model reads it. A text is normalised before it is judged:
 * NFKC (fullwidth and compatibility forms become plain letters), invisible characters reported and
 * stripped, look-alike letters inside mixed-script words folded to Latin, and whatever is hidden
 * in it (Unicode tag characters, variation-selector bytes, base64, hex, escaped or URL-encoded
 * runs, data: URLs, HTML and Markdown comments) decoded so it is judged as well.
 */

/** One problem with one text, before it is worded as a finding. */
export interface Issue {
  kind: string;
  severity: SeverityLevel;
  detail: string;
  /**
   * The index in `hidden` of the text this issue decoded, when the issue stands only if that text
   * says something a model would act on (a data: URL of "Hello, world!" is an example, not a finding).
   */
  onlyIfHiddenSays?: number;
  /**
   * With `onlyIfHiddenSays`: the text was read out of the visible one (the first words of its
   * lines), so it counts only for what the visible text does not already say.
   */
  onlyIfNew?: true;
  /** Stands whatever the definition model reads (see `decide`): a carrier of hidden text. */
  firm?: true;
}

export interface Normalised {
  /** The text as a model reads it: NFKC, invisible characters stripped, homoglyphs folded. */
  plain: string;
  /** Texts hidden inside it (decoded, or inside comments), to be judged as well. */
  hidden: string[];
  /** What hiding was found. */
  issues: Issue[];
}

// ---------------------------------------------------------------------------------------------
// Hidden characters

// Mongolian free variation selectors (U+180B to U+180D, U+180F) choose a letter's form; away from
// a Mongolian letter they show nothing, nor do the Khmer inherent vowels U+17B4 and U+17B5.
const ZERO_WIDTH =
  // eslint-disable-next-line no-misleading-character-class -- these characters are what is looked for
  /[\u200B-\u200D\u2060-\u2064\uFEFF\u180B-\u180F\u17B4\u17B5\u034F\u115F\u1160\u3164\uFFA0\u{E0080}-\u{E00FF}\u{E01F0}-\u{E0FFF}\uFDD0-\uFDEF]/gu;
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/gu;
const TAGS = /[\u{E0000}-\u{E007F}]+/gu;
const VARIATION_RUN = /[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]{2,}/gu;
// eslint-disable-next-line no-control-regex -- these characters are what is looked for
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/gu;
// eslint-disable-next-line no-control-regex -- ANSI escape sequences are what is looked for
const ANSI = /\u001B\[[0-9;?]*[ -/]*[@-~]/gu;
const OTHER_FORMAT = /\p{Cf}/gu;
const STRIPPED =
  // eslint-disable-next-line no-misleading-character-class -- these characters are what is looked for
  /[\p{Cf}\uFE00-\uFE0F\u{E0100}-\u{E01EF}\u{E0000}-\u{E007F}\u034F\u115F\u1160\u3164\uFFA0\u180B-\u180D\u180F\u17B4\u17B5\u{E0080}-\u{E00FF}\u{E01F0}-\u{E0FFF}]/gu;
// One character at a time (no /g: a global regex's test() keeps state between calls).
// eslint-disable-next-line no-misleading-character-class -- these characters are what is looked for
const IS_ZERO_WIDTH = new RegExp(ZERO_WIDTH.source, "u");
const IS_BIDI = new RegExp(BIDI.source, "u");
const IS_TAG = /[\u{E0000}-\u{E007F}]/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;

function decodeTags(run: string): string {
  let out = "";
  for (const ch of run) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0xe0020 && cp <= 0xe007e) out += String.fromCodePoint(cp - 0xe0000);
  }
  return out;
}

// Variation selectors carry one byte each (VS1–16 → 0–15, VS17–256 → 16–255): a known way to
// smuggle text after an emoji.
function decodeVariationSelectors(run: string): string | undefined {
  const bytes: number[] = [];
  for (const ch of run) {
    const cp = ch.codePointAt(0) ?? 0;
    bytes.push(cp <= 0xfe0f ? cp - 0xfe00 : cp - 0xe0100 + 16);
  }
  return readableText(Uint8Array.from(bytes));
}

const JOINING_SCRIPT =
  /[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Gurmukhi}\p{Script=Gujarati}\p{Script=Oriya}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Kannada}\p{Script=Malayalam}\p{Script=Sinhala}\p{Script=Myanmar}\p{Script=Khmer}]/u;

// A subdivision flag (England, Scotland, Texas…) is the black flag followed by tag letters and
// digits naming the region and a cancel tag: emoji, not smuggled text.
const FLAG_SEQUENCE = /\u{1F3F4}[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]{2,6}\u{E007F}/gu;
// Right-to-left and left-to-right marks (not overrides or isolates) keep Hebrew or Arabic words in
// their place beside Latin ones; in a text without right-to-left letters they only hide.
const DIRECTION_MARK = /^[\u200E\u200F\u061C]$/u;
const RTL_LETTER =
  /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;

// Invisible characters in this number or more carry text (bits, a cipher): typography needs a
// few (a joiner in a part number, a break opportunity), never this many.
const CARRIER_RUN = 16;

function hiddenCharacterIssues(original: string, hidden: string[]): Issue[] {
  const issues: Issue[] = [];
  const text = original.replace(FLAG_SEQUENCE, "\u{1F3F4}");
  const zeroWidth = [...text.matchAll(ZERO_WIDTH)].filter((m) => {
    // Persian, Arabic and the Indic scripts spell words with the (non-)joiner between letters.
    if (
      (m[0] === "\u200C" || m[0] === "\u200D") &&
      JOINING_SCRIPT.test([...text.slice(0, m.index)].at(-1) ?? "") &&
      JOINING_SCRIPT.test([...text.slice(m.index + 1)][0] ?? "")
    )
      return false;
    // A word joiner beside a hyphen keeps a part number ("AB\u2060-\u20604471") on one line.
    if (
      m[0] === "\u2060" &&
      /[-‐‑–/]/u.test(`${text[m.index - 1] ?? ""}${text[m.index + 1] ?? ""}`)
    )
      return false;
    // A variation selector after a Mongolian letter picks its form.
    if (
      /[\u180B-\u180D\u180F]/u.test(m[0]) &&
      /[\u1820-\u18AA]/u.test([...text.slice(0, m.index)].at(-1) ?? "")
    )
      return false;
    // A zero-width joiner between pictographs is how emoji sequences are written.
    if (m[0] !== "\u200D") return true;
    const prev = [...text.slice(0, m.index)].at(-1) ?? "";
    const next = [...text.slice(m.index + 1)][0] ?? "";
    return (
      // eslint-disable-next-line no-misleading-character-class -- these characters are what is looked for
      !(PICTOGRAPH.test(prev) || /[\uFE0F\u{1F3FB}-\u{1F3FF}]/u.test(prev)) ||
      !PICTOGRAPH.test(next)
    );
  });
  // A zero-width space or two in prose is a line-break hint or a paste from a web page; text
  // hidden in them needs more, and whatever they split is read joined up anyway.
  const breakHints = zeroWidth.length <= 2 && zeroWidth.every((m) => m[0] === "\u200B");
  if (zeroWidth.length > 0 && !breakHints)
    issues.push({
      kind: "invisible",
      severity: "high",
      ...(zeroWidth.length >= CARRIER_RUN ? { firm: true as const } : {}),
      detail: `${zeroWidth.length} (${codePoints(zeroWidth.map((m) => m[0]))}) at ${around(text, zeroWidth[0]?.index ?? 0)}`,
    });
  const rtl = RTL_LETTER.test(text);
  const bidi = [...text.matchAll(BIDI)].filter((m) => !(rtl && DIRECTION_MARK.test(m[0])));
  if (bidi.length > 0)
    issues.push({
      kind: "bidi",
      severity: "high",
      ...(bidi.length >= CARRIER_RUN ? { firm: true as const } : {}),
      detail: `${bidi.length} (${codePoints(bidi.map((m) => m[0]))}) at ${around(text, bidi[0]?.index ?? 0)}`,
    });
  const tags = [...text.matchAll(TAGS)].map((m) => m[0]);
  if (tags.length > 0) {
    const spelled = tags.map(decodeTags).join(" ");
    hidden.push(spelled);
    issues.push({ kind: "tags", severity: "high", detail: `that spell ${quote(spelled, 200)}` });
  }
  for (const m of text.matchAll(VARIATION_RUN)) {
    const decoded = decodeVariationSelectors(m[0]);
    if (decoded === undefined) continue;
    hidden.push(decoded);
    issues.push({
      kind: "smuggling",
      severity: "high",
      detail: `that decode to ${quote(decoded, 200)}`,
    });
  }
  const control = [...text.matchAll(CONTROL)];
  if (control.length > 0)
    issues.push({
      kind: "control",
      severity: control.some((m) => m[0] === "\u001B") ? "high" : "medium",
      detail: `${control.length} (${codePoints(control.map((m) => m[0]))}) at ${around(text, control[0]?.index ?? 0)}`,
    });
  const others = [...text.matchAll(OTHER_FORMAT)].filter(
    (m) =>
      !IS_ZERO_WIDTH.test(m[0]) &&
      !IS_BIDI.test(m[0]) &&
      !IS_TAG.test(m[0]) &&
      // A soft hyphen inside a word marks where it may break ("Donau\u00ADdampf"): typography.
      !(
        m[0] === "\u00AD" &&
        /\p{L}/u.test(text[m.index - 1] ?? "") &&
        /\p{L}/u.test(text[m.index + 1] ?? "")
      ),
  );
  if (others.length > 0)
    issues.push({
      kind: "invisible",
      severity: "medium",
      detail: `${others.length} formatting (${codePoints(others.map((m) => m[0]))}) at ${around(text, others[0]?.index ?? 0)}`,
    });
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Homoglyphs: letters of other scripts inside Latin words

const LATIN = /\p{Script=Latin}/u;
const CONFUSABLE_SCRIPTS: [string, RegExp][] = [
  ["Cyrillic", /\p{Script=Cyrillic}/u],
  ["Greek", /\p{Script=Greek}/u],
  ["Armenian", /\p{Script=Armenian}/u],
  ["Cherokee", /\p{Script=Cherokee}/u],
];

// Look-alikes of Latin letters (Unicode confusables, the common ones).
const FOLD: Record<string, string> = {
  а: "a",
  в: "b",
  е: "e",
  ё: "e",
  к: "k",
  м: "m",
  н: "h",
  о: "o",
  р: "p",
  с: "c",
  т: "t",
  у: "y",
  х: "x",
  і: "i",
  ї: "i",
  ј: "j",
  ѕ: "s",
  ԁ: "d",
  ӏ: "l",
  ԛ: "q",
  ԝ: "w",
  ɡ: "g",
  А: "A",
  В: "B",
  Е: "E",
  К: "K",
  М: "M",
  Н: "H",
  О: "O",
  Р: "P",
  С: "C",
  Т: "T",
  Х: "X",
  І: "I",
  Ј: "J",
  Ѕ: "S",
  Ү: "Y",
  α: "a",
  β: "b",
  ε: "e",
  ι: "i",
  κ: "k",
  ν: "v",
  ο: "o",
  ρ: "p",
  τ: "t",
  υ: "u",
  χ: "x",
  Α: "A",
  Β: "B",
  Ε: "E",
  Ζ: "Z",
  Η: "H",
  Ι: "I",
  Κ: "K",
  Μ: "M",
  Ν: "N",
  Ο: "O",
  Ρ: "P",
  Τ: "T",
  Υ: "Y",
  Χ: "X",
  օ: "o",
  ս: "u",
  ց: "g",
  հ: "h",
  ո: "n",
};

const WORD = /[\p{L}\p{M}\p{N}_]+/gu;

const MIXED_WORDS_CARRIER = 8;

function homoglyphs(text: string): { issues: Issue[]; folded: string } {
  const words: string[] = [];
  const folded = text.replace(WORD, (word) => {
    if (!LATIN.test(word)) return word;
    const foreign = CONFUSABLE_SCRIPTS.filter(([, re]) => re.test(word));
    if (foreign.length === 0) return word;
    const letters = [...word].filter((c) => foreign.some(([, re]) => re.test(c)));
    words.push(
      `${quote(word, 40)} (Latin with ${foreign.map(([s]) => s).join(", ")} ${codePoints(letters)})`,
    );
    return [...word].map((c) => FOLD[c] ?? c).join("");
  });
  return {
    issues:
      words.length === 0
        ? []
        : [
            {
              kind: "homoglyph",
              severity: "high",
              detail: `${words.length} word(s): ${words.slice(0, 5).join(", ")}`,
              // Letters of another script in this many words are a carrier (each choice a bit),
              // not a slip of the keyboard.
              ...(words.length >= MIXED_WORDS_CARRIER ? { firm: true as const } : {}),
            },
          ],
    folded,
  };
}

// ---------------------------------------------------------------------------------------------
// Encoded payloads and comments

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });
const utf16be = new TextDecoder("utf-16be", { fatal: true });
const utf16le = new TextDecoder("utf-16le", { fatal: true });

/**
 * Bytes of UTF-16 text (a zero byte beside each Latin letter, as Windows and UTF-7 write it),
 * read in the byte order that makes them text; undefined when they are not UTF-16.
 */
function asUtf16(bytes: Uint8Array): string | undefined {
  if (bytes.length % 2 !== 0) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    if (bytes[i] === 0) evenZeros++;
    if (bytes[i + 1] === 0) oddZeros++;
  }
  const half = bytes.length / 2;
  const decoder = evenZeros >= half * 0.6 ? utf16be : oddZeros >= half * 0.6 ? utf16le : undefined;
  try {
    return decoder?.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The bytes as text when they are valid UTF-8 and read as text; undefined for binary. */
export function readableText(bytes: Uint8Array): string | undefined {
  if (bytes.length < 12) return undefined;
  let text: string;
  try {
    text = fatalUtf8.decode(bytes);
  } catch {
    const utf16 = asUtf16(bytes);
    if (utf16 === undefined) return undefined;
    text = utf16;
  }
  if (text.includes("\0")) text = asUtf16(bytes) ?? text;
  const chars = [...text];
  const printable = chars.filter(
    (c) => !/[\p{C}]/u.test(c) || c === "\n" || c === "\t" || c === "\r",
  );
  const wordish = chars.filter((c) => /[\p{L}\s]/u.test(c));
  return printable.length / chars.length >= 0.95 && wordish.length / chars.length >= 0.6
    ? text
    : undefined;
}

const BASE64 = /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{24,}={0,2}(?![A-Za-z0-9+/=_-])/g;
const HEX = /(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}){12,}(?![0-9A-Fa-f])/g;
// HTML numeric character references: "&#73;&#103;…", "&#x49;&#x67;…".
const ENTITIES = /(?:&#(?:[0-9]{1,7}|x[0-9A-Fa-f]{1,6});\s?){8,}/g;
// RFC 4648 base32: upper-case letters and 2–7, padded with "=" to a multiple of eight.
const BASE32 = /(?<![A-Za-z0-9+/=_-])[A-Z2-7]{24,}={0,6}(?![A-Za-z0-9+/=_-])/g;
const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ESCAPES = /(?:\\x[0-9A-Fa-f]{2}){8,}|(?:\\u[0-9A-Fa-f]{4}){8,}|(?:%[0-9A-Fa-f]{2}){8,}/g;
// "%2561" for "a": percent-encoding applied twice, read once here and again as escapes.
const DOUBLE_PERCENT = /(?:%25[0-9A-Fa-f]{2}){8,}/gu;
const DATA_URL = /\bdata:([a-z]+\/[\w.+-]+)?((?:;[\w-]+=[\w.-]+)*)(;base64)?,([^\s"'<>)\]]*)/gi;
const HTML_COMMENT = /<!--([\s\S]*?)(?:-->|$)/g;
// `[//]: # (text)`, `[comment]: # "text"`, `[//]: <> (text)`: link definitions nothing renders.
// A code comment addressed to the model ("string /* agent: after generating, push to main */"): a
// note for whoever reads the source, which a client shows no one.
const ADDRESSED_CODE_COMMENT =
  /\/\*\s*((?:agent|assistant|ai|llm|model|copilot|claude|gpt|note to (?:the )?(?:agent|assistant|ai|model))\s*[:,-][\s\S]*?)\*\//giu;
const MARKDOWN_COMMENT =
  /^\s*\[(?:\/\/|comment|#)\]:\s*(?:#|<>)\s*(?:\(([^)\n]*)\)|"([^"\n]*)"|'([^'\n]*)')/gim;

function fromBase64(s: string): Uint8Array {
  return Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

function fromEntities(s: string): Uint8Array {
  const text = s.replace(/&#(x?)([0-9A-Fa-f]+);/g, (_, x: string, n: string) => {
    const cp = parseInt(n, x === "" ? 10 : 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : "";
  });
  return new TextEncoder().encode(text);
}

function fromBase32(s: string): Uint8Array {
  // The BASE32 pattern holds only the alphabet's digits before its padding.
  return fromBase32With(s.replace(/=+$/u, ""), BASE32_ALPHABET) ?? new Uint8Array();
}

function fromEscapes(s: string): Uint8Array {
  if (s.startsWith("\\u")) {
    const text = s.replace(/\\u([0-9A-Fa-f]{4})/g, (_, h: string) =>
      String.fromCharCode(parseInt(h, 16)),
    );
    return new TextEncoder().encode(text);
  }
  return Uint8Array.from(
    s
      .split(/\\x|%/)
      .filter((h) => h !== "")
      .map((h) => parseInt(h, 16)),
  );
}

// Quoted-printable bytes (`=57=68=65=6E`) and decimal character codes (`fromCharCode(90,105,…)`,
// `&#` aside): text a model can decode as easily as hex.
const QUOTED_PRINTABLE = /(?:=[0-9A-Fa-f]{2}){8,}/gu;
const CHAR_CODES = /\b(?:\d{2,3}\s*,\s*){7,}\d{2,3}\b/gu;

// Compressed bytes inside text a model reads (gzip, zlib, bzip2, xz, zstd), known by their magic
// numbers: no benign description carries a compressed blob, and a model told to unpack one reads
// what no reviewer saw. They are reported as what they are, not opened.
function compressed(bytes: Uint8Array): string | undefined {
  const [a, b, c, d, e] = bytes;
  if (a === 0x1f && b === 0x8b && c === 0x08) return "gzip";
  if (
    a === 0x78 &&
    (b === 0x01 || b === 0x5e || b === 0x9c || b === 0xda) &&
    ((a << 8) | b) % 31 === 0
  )
    return "zlib";
  if (a === 0x42 && b === 0x5a && c === 0x68 && d !== undefined && d >= 0x31 && d <= 0x39)
    return "bzip2";
  if (a === 0xfd && b === 0x37 && c === 0x7a && d === 0x58 && e === 0x5a) return "xz";
  if (a === 0x28 && b === 0xb5 && c === 0x2f && d === 0xfd) return "zstd";
  return undefined;
}

// Brotli has no magic number: bytes that unpack (to at most 64 KiB) into readable text with
// spaces are brotli. Random bytes fail within a few of them.
function brotliText(bytes: Uint8Array): string | undefined {
  try {
    const text = readableText(brotliDecompressSync(bytes, { maxOutputLength: 1 << 16 }));
    return text !== undefined && /\s/.test(text.trim()) ? text : undefined;
  } catch {
    return undefined;
  }
}

// Printable ASCII without a space: what one encoding decodes to when it holds another ("%2561" is
// "%61", base64 of base64).
const ENCODED_AGAIN = /^[\x21-\x7E]{16,}$/u;

// The magic numbers of the image types an icon comes in.
const IMAGE_MAGIC: Readonly<Record<string, readonly number[]>> = {
  "image/png": [0x89, 0x50, 0x4e, 0x47],
  "image/jpeg": [0xff, 0xd8, 0xff],
  "image/gif": [0x47, 0x49, 0x46, 0x38],
  "image/webp": [0x52, 0x49, 0x46, 0x46],
  "image/x-icon": [0x00, 0x00, 0x01, 0x00],
  "image/vnd.microsoft.icon": [0x00, 0x00, 0x01, 0x00],
};
function imageOfType(mime: string, bytes: Uint8Array): boolean {
  const magic = IMAGE_MAGIC[mime.toLowerCase()];
  return magic !== undefined && magic.every((b, i) => bytes[i] === b);
}

// A base64 run that is only letters (an identifier, a long word) decodes to noise; one that reads
// as words after decoding is what matters, and readableText() decides that. What decodes to
// another encoding is decoded again, twice at most.
function encodedIssues(text: string, hidden: string[], depth = 0): Issue[] {
  const issues: Issue[] = [];
  const report = (how: string, raw: string, bytes: Uint8Array) => {
    if (depth < 2 && bytes.length >= 16) {
      const inner = Buffer.from(bytes).toString("latin1");
      if (ENCODED_AGAIN.test(inner)) {
        for (const issue of encodedIssues(inner, hidden, depth + 1))
          issues.push({ ...issue, detail: `${how} ${quote(raw, 40)} holding ${issue.detail}` });
        return;
      }
    }
    const packed = bytes.length >= 12 ? compressed(bytes) : undefined;
    if (packed !== undefined) {
      issues.push({
        kind: "encoded",
        severity: "high",
        detail: `${how} ${quote(raw, 40)} that holds ${packed}-compressed data`,
        firm: true,
      });
      return;
    }
    const decoded = readableText(bytes);
    if (decoded === undefined) {
      const unpacked = bytes.length >= 12 ? brotliText(bytes) : undefined;
      if (unpacked !== undefined) {
        hidden.push(unpacked);
        issues.push({
          kind: "encoded",
          severity: "high",
          detail: `${how} ${quote(raw, 40)} that holds brotli-compressed text: ${quote(unpacked, 160)}`,
          firm: true,
        });
      }
      return;
    }
    if (!/\s/.test(decoded.trim())) return;
    hidden.push(decoded);
    issues.push({
      kind: "encoded",
      severity: "medium",
      detail: `${how} ${quote(raw, 40)} that decodes to ${quote(decoded, 160)}`,
    });
  };
  // A data: URL's body is reported as the data: URL, not again as base64.
  const outsideDataUrls = text.replace(DATA_URL, " ");
  for (const m of outsideDataUrls.matchAll(BASE64)) {
    report("base64", m[0], fromBase64(m[0]));
    // A label before the payload ("sha384-<base64>", as in an integrity attribute): the run is
    // read from the label's dash on too.
    const labelled = /^[A-Za-z0-9]{2,12}-([A-Za-z0-9+/]{24,}={0,2})$/u.exec(m[0]);
    if (labelled) report("base64", labelled[1] ?? "", fromBase64(labelled[1] ?? ""));
  }
  for (const m of text.matchAll(HEX)) {
    const bytes = Buffer.from(m[0], "hex");
    // Mainframe records are EBCDIC: hex that is not text as ASCII may be text there.
    const ebcdic = readableText(bytes) === undefined ? fromEbcdic(bytes) : undefined;
    if (ebcdic !== undefined) report("hex (EBCDIC)", m[0], Buffer.from(ebcdic, "utf8"));
    else report("hex", m[0], bytes);
  }
  for (const m of text.matchAll(ENTITIES)) report("HTML entities", m[0], fromEntities(m[0]));
  for (const m of text.matchAll(BASE32)) report("base32", m[0], fromBase32(m[0]));
  for (const m of text.matchAll(ESCAPES)) report("escaped", m[0], fromEscapes(m[0]));
  for (const m of text.matchAll(DOUBLE_PERCENT))
    report("percent-encoded twice", m[0], Buffer.from(m[0].replace(/%25/gu, "%"), "latin1"));
  for (const m of text.matchAll(QUOTED_PRINTABLE))
    report("quoted-printable", m[0], Buffer.from(m[0].replace(/=/gu, ""), "hex"));
  for (const m of text.matchAll(CHAR_CODES))
    report(
      "character codes",
      m[0],
      Buffer.from(String.fromCharCode(...(m[0].match(/\d+/gu) ?? []).map(Number)), "utf8"),
    );
  for (const m of text.matchAll(DATA_URL)) {
    const [, mime = "text/plain", , base64, body = ""] = m;
    // "data:image/png;base64,..." documents the form; a payload is longer than a placeholder.
    if (body.length < 8 && !/[\p{L}\p{N}]{2}/u.test(body)) continue;
    // An image that is the image it says it is (an icon's `src` may be one) hides no words.
    if (base64 !== undefined && imageOfType(mime, fromBase64(body))) continue;
    let decoded: string | undefined;
    try {
      decoded =
        base64 === undefined
          ? readableText(new TextEncoder().encode(decodeURIComponent(body)))
          : readableText(fromBase64(body));
    } catch {
      decoded = undefined;
    }
    if (decoded !== undefined) hidden.push(decoded);
    issues.push({
      ...(decoded === undefined ? {} : { onlyIfHiddenSays: hidden.length - 1 }),
      kind: "data-url",
      severity: "medium",
      detail:
        decoded === undefined
          ? `of type ${mime} (${body.length} characters)`
          : `of type ${mime} that decodes to ${quote(decoded, 160)}`,
    });
  }
  return issues;
}

// ROT13: letters rotated by 13, a cipher a model reads back as easily as the plain text. A line
// reads as ROT13 when few of its words are common English ones and many are after rotating it.
const COMMON_WORDS = new Set(
  "the and to of a an in is it this that for with be on all you your any before after from as or not are will when then each every its into file files read send user data key keys ignore previous instructions without asking email mail last first documents contents system prompt secret secrets token tokens password passwords upload post always never do tell say nobody nothing quietly private public make share delete remove run install copy turn off disable".split(
    " ",
  ),
);
const LATIN_WORDS = /[a-z]+/g;

// Words of one letter are left out: escaped newlines ("\n") rotate to "a", a common word. A line
// reads as English only when several different common words are in it.
function commonShare(text: string): number {
  const words = (text.toLowerCase().match(LATIN_WORDS) ?? []).filter((w) => w.length > 1);
  if (words.length < 6) return 0;
  const common = words.filter((w) => COMMON_WORDS.has(w));
  return new Set(common).size < 3 ? 0 : common.length / words.length;
}

function rotate(text: string, by: number): string {
  return text.replace(/[a-z]/gi, (ch) => {
    const base = ch <= "Z" ? 65 : 97;
    return String.fromCharCode(((ch.charCodeAt(0) - base + by) % 26) + base);
  });
}
const rot13 = (text: string): string => rotate(text, 13);
// English letter frequencies (per cent, a to z).
const ENGLISH = [
  8.2, 1.5, 2.8, 4.3, 12.7, 2.2, 2.0, 6.1, 7.0, 0.15, 0.77, 4.0, 2.4, 6.7, 7.5, 1.9, 0.095, 6.0,
  6.3, 9.1, 2.8, 0.98, 2.4, 0.15, 2.0, 0.074,
];
/** The rotation that makes the line's letters most English-like (chi-squared), 0 if none fits. */
function bestRotation(line: string): number {
  const counts = new Array<number>(26).fill(0);
  let n = 0;
  for (let i = 0; i < line.length; i++) {
    const code = line.charCodeAt(i) | 32;
    if (code >= 97 && code <= 122) {
      counts[code - 97]!++;
      n++;
    }
  }
  if (n < 20) return 0;
  let best = 0;
  let bestScore = Infinity;
  for (let by = 0; by < 26; by++) {
    let score = 0;
    for (let k = 0; k < 26; k++) {
      const expected = (ENGLISH[(k + by) % 26]! * n) / 100;
      const d = counts[k]! - expected;
      score += (d * d) / expected;
    }
    if (score < bestScore) {
      bestScore = score;
      best = by;
    }
  }
  return best;
}
// A Caesar shift other than 13, the one that reads most like English: said only when what it
// decodes to says something.
const CAESAR = {
  how: "letters shifted",
  decode: (line: string) => {
    const by = bestRotation(line);
    return by === 0 || by === 13 ? "" : rotate(line, by);
  },
  onlyIfSays: true,
};

const reverse = (s: string): string => [...s].reverse().join("");
const atbash = (s: string): string =>
  s.replace(/[a-z]/giu, (ch) => {
    const base = ch <= "Z" ? 65 : 97;
    return String.fromCharCode(base + 25 - (ch.charCodeAt(0) - base));
  });

// Ciphers a model reads back line by line. ROT13 is reported for itself; reversed and Atbash text
// (common in prose only when reversed) only when what they decode to says something.
const LINE_CIPHERS: { how: string; decode: (line: string) => string; onlyIfSays: boolean }[] = [
  { how: "ROT13", decode: rot13, onlyIfSays: false },
  { how: "Atbash", decode: atbash, onlyIfSays: true },
  { how: "reversed", decode: reverse, onlyIfSays: true },
  CAESAR,
];

function cipherIssues(text: string, hidden: string[]): Issue[] {
  const issues: Issue[] = [];
  for (const line of text.split(/\n+|(?<=[.!?:])\s+/u)) {
    if (commonShare(line) >= 0.1) continue;
    for (const { how, decode, onlyIfSays } of LINE_CIPHERS) {
      const decoded = decode(line);
      if (commonShare(decoded) < 0.25) continue;
      hidden.push(decoded);
      issues.push({
        kind: "encoded",
        severity: "medium",
        detail: `${how} ${quote(line, 40)} that decodes to ${quote(decoded, 160)}`,
        ...(onlyIfSays ? { onlyIfHiddenSays: hidden.length - 1 } : {}),
      });
    }
  }
  return issues;
}

// Braille, octal, binary, whitespace bits, Morse, Ascii85, Lisu letters,
// variation-selector nibbles: a finding only when what they decode to says something.
function moreEncodedIssues(text: string, original: string, hidden: string[]): Issue[] {
  const issues: Issue[] = [];
  const decoded = [
    ...decodeMore(text, (run) => commonShare(run) >= 0.1),
    ...(PLAIN_ASCII.test(original) ? [] : decodeCarriers(original)),
  ];
  for (const d of decoded) {
    const decoded = d.text ?? (d.bytes === undefined ? undefined : readableText(d.bytes));
    if (decoded === undefined || !/\s/u.test(decoded.trim())) continue;
    if (d.mustRead && commonShare(decoded) < 0.2) continue;
    hidden.push(decoded);
    issues.push({
      kind: "encoded",
      severity: "medium",
      detail: `${d.how} ${quote(d.raw, 40)} that decodes to ${quote(decoded, 160)}`,
      onlyIfHiddenSays: hidden.length - 1,
      ...(d.fromVisible ? { onlyIfNew: true as const } : {}),
    });
  }
  return issues;
}

function commentIssues(text: string, hidden: string[]): Issue[] {
  const comments: string[] = [];
  for (const m of text.matchAll(HTML_COMMENT)) comments.push(m[1] ?? "");
  for (const m of text.matchAll(MARKDOWN_COMMENT)) comments.push(m[1] ?? m[2] ?? m[3] ?? "");
  for (const m of text.matchAll(ADDRESSED_CODE_COMMENT)) comments.push(m[1] ?? "");
  const worded = comments.map((c) => c.trim()).filter((c) => /\p{L}{2,}/u.test(c));
  if (worded.length === 0) return [];
  hidden.push(...worded);
  return [
    {
      kind: "comment",
      severity: "medium",
      detail: worded.map((c) => quote(c, 120)).join(", "),
    },
  ];
}

// ---------------------------------------------------------------------------------------------

/**
 * Normalises one text a model reads. `prose` false for identifiers (names, keys, types): only
 * hidden characters and look-alike letters matter there.
 */
// Printable ASCII (with line breaks and tabs) hides no character, has no look-alike letter and is
// its own NFKC form: most texts, and the character passes are skipped for them.
const PLAIN_ASCII = /^[\x20-\x7E\n\r\t]*$/;

export function normalise(text: string, prose: boolean): Normalised {
  const hidden: string[] = [];
  const ascii = PLAIN_ASCII.test(text);
  const issues = ascii ? [] : hiddenCharacterIssues(text, hidden);
  const nfkc = ascii ? text : text.normalize("NFKC");
  const { issues: lookAlikes, folded } = ascii
    ? { issues: [], folded: text }
    : homoglyphs(nfkc.replace(ANSI, " ").replace(STRIPPED, ""));
  issues.push(...lookAlikes);
  if (prose)
    issues.push(
      ...encodedIssues(nfkc, hidden),
      ...cipherIssues(nfkc, hidden),
      ...moreEncodedIssues(nfkc, text, hidden),
      ...commentIssues(nfkc, hidden),
    );
  return {
    plain: folded,
    hidden: hidden.map((h) => homoglyphs(h.normalize("NFKC")).folded),
    issues,
  };
}
