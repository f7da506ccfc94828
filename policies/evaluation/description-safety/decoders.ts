/**
 * Further ways to write text a model can read back and a person does not: Braille patterns and
 * octal, binary or whitespace bits as bytes, Morse code, Ascii85, Lisu letters that look like Latin
 * capitals, variation selectors a nibble each, CSS hex escapes, uuencoded blocks, the NATO spelling
 * alphabet, Polybius-square pairs, Latin small capitals, UTF-7, letters under stacked combining
 * marks or lines, Python's named character escapes, runs of invisible characters as bits or base-4 digits, EBCDIC bytes, text
 * typed on one keyboard layout as if it were another, numbers that index a key string the text carries, bytes as
 * nucleotides, character codes as Roman numerals or as calls (`CHR(71)||…`), basE91, Vigenère and Beaufort
 * ciphers under a key the text names, a progressive shift, unassigned invisible code points and noncharacters,
 * Coptic look-alike letters, bytes in MAC addresses, chemical elements by atomic number, Rövarspråket, base62,
 * every second
 * character of a run and the first words of lines (an acrostic). Each decoder gives what it decodes when that reads
 * as text; whether it says anything is for the judge to tell. (Ciphers read line by line, ROT13,
 * Atbash and reversal, are in normalize.ts.)
 */

/** One decoded run: how it was written, the run as found, and the text it decodes to. */
export interface Decoded {
  how: string;
  raw: string;
  bytes?: Uint8Array;
  text?: string;
  /** Taken from ordinary text (every second character, first words): only if it reads as English. */
  mustRead?: true;
  /** Read out of the visible words themselves (an acrostic): new only for what they do not say. */
  fromVisible?: true;
}

// Braille patterns U+2800–U+28FF carry one byte each (U+2800 + byte).
const BRAILLE = /[\u2800-\u28FF]{12,}/gu;
// Shell ANSI-C or C octal escapes: `\122\145\141…`.
const OCTAL = /(?:\\[0-3][0-7]{2}){8,}/gu;
// Eight-bit groups: `01000001 01100100 …`.
const BINARY = /(?<![01])(?:[01]{8}[\s,]+){7,}[01]{8}(?![01])/gu;
// Morse code: dots and dashes, letters apart by a space, words by " / ".
const MORSE_RUN = /(?<![\w.-])(?:[.-]{1,7}(?: \/ | ))(?:[.-]{1,7}(?: \/ | |$)){9,}/gmu;
const ASCII85 = /<~([!-u\sz]{10,})~>/gu;
// Runs of spaces and tabs (at least 8 bytes' worth) as bits.
const WHITESPACE_BITS = /[ \t]{64,}/gu;
// Variation selectors VS1–VS16 after a visible character, one hexadecimal digit each.
const NIBBLES = /[\uFE00-\uFE0F]{16,}/gu;
const LISU = /[\uA4D0-\uA4FF]/u;
// CSS escapes: a backslash, one to six hexadecimal digits, an optional space (`\53 \65 \6e`).
const CSS_HEX = /(?:\\[0-9A-Fa-f]{1,6} ?){8,}/gu;
// A uuencoded file: `begin 644 name`, lines led by their length character, `end`.
const UUENCODE = /^begin [0-7]{3,4} \S+\r?\n([\s\S]*?)^end\s*$/gmu;
// Words of the NATO spelling alphabet, ten or more in a row (words apart by "/" or " ").
const NATO_WORDS =
  "alfa|alpha|bravo|charlie|delta|echo|foxtrot|golf|hotel|india|juliett|juliet|kilo|lima|mike|november|oscar|papa|quebec|romeo|sierra|tango|uniform|victor|whiskey|whisky|x-ray|xray|yankee|zulu";
const NATO_RUN = new RegExp(
  `(?<![\\p{L}])(?:(?:${NATO_WORDS})[\\s/,.-]+){9,}(?:${NATO_WORDS})(?![\\p{L}])`,
  "giu",
);
// Polybius-square coordinates: pairs of 1–5, twelve or more, words apart by "/".
const POLYBIUS_RUN = /(?<!\d)(?:[1-5][1-5](?: \/ | |\/))(?:[1-5][1-5](?: \/ | |\/|$)){11,}/gmu;
const POLYBIUS_SQUARE = "abcdefghiklmnopqrstuvwxyz";
// Latin small capitals (U+1D00 block and their neighbours), each for its letter.
const SMALL_CAPITALS: Readonly<Record<string, string>> = {
  "\u1D00": "a",
  "\u0299": "b",
  "\u1D04": "c",
  "\u1D05": "d",
  "\u1D07": "e",
  "\uA730": "f",
  "\u0262": "g",
  "\u029C": "h",
  "\u026A": "i",
  "\u1D0A": "j",
  "\u1D0B": "k",
  "\u029F": "l",
  "\u1D0D": "m",
  "\u0274": "n",
  "\u1D0F": "o",
  "\u1D18": "p",
  "\uA7AF": "q",
  "\u0280": "r",
  "\uA731": "s",
  "\u1D1B": "t",
  "\u1D1C": "u",
  "\u1D20": "v",
  "\u1D21": "w",
  "\u028F": "y",
  "\u1D22": "z",
};
const SMALL_CAPITAL =
  /[\u1D00-\u1D22\u0262\u026A\u0274\u0280\u028F\u0299\u029C\u029F\uA730\uA731\uA7AF]/gu;
// A run of at least 24 characters with no space in two: read every second character.
const DENSE_RUN = /(?:\S{3,}\s){5,}\S{3,}/gu;

const MORSE: Readonly<Record<string, string>> = Object.fromEntries(
  (
    "A.- B-... C-.-. D-.. E. F..-. G--. H.... I.. J.--- K-.- L.-.. M-- N-. O--- P.--. Q--.- R.-. S... T- U..- V...- W.-- X-..- Y-.-- Z--.. " +
    "0----- 1.---- 2..--- 3...-- 4....- 5..... 6-.... 7--... 8---.. 9----. ..-.-.- ,--..-- ?..--.. /-..-. @.--.-. --....- :---... '.----. =-...- +.-.-. _..--.- !-.-.--"
  )
    .split(" ")
    .map((e) => [e.slice(1), e[0] ?? ""]),
);

// Lisu letters (the Fraser alphabet) that look like Latin capitals.
const LISU_LATIN: Readonly<Record<string, string>> = {
  "\uA4D0": "B",
  "\uA4D1": "P",
  "\uA4D3": "D",
  "\uA4D4": "T",
  "\uA4D6": "G",
  "\uA4D7": "K",
  "\uA4D9": "J",
  "\uA4DA": "C",
  "\uA4DC": "Z",
  "\uA4DD": "F",
  "\uA4DF": "M",
  "\uA4E0": "N",
  "\uA4E1": "L",
  "\uA4E2": "S",
  "\uA4E3": "R",
  "\uA4E6": "V",
  "\uA4E7": "H",
  "\uA4EA": "W",
  "\uA4EB": "X",
  "\uA4EC": "Y",
  "\uA4EE": "A",
  "\uA4F0": "E",
  "\uA4F2": "I",
  "\uA4F3": "O",
  "\uA4F4": "U",
};

function fromAscii85(body: string): Uint8Array {
  const s = body.replace(/\s/gu, "").replace(/z/gu, "!!!!!");
  const out: number[] = [];
  for (let i = 0; i < s.length; i += 5) {
    const chunk = s.slice(i, i + 5);
    const padded = chunk.padEnd(5, "u");
    let n = 0;
    for (const ch of padded) n = n * 85 + (ch.charCodeAt(0) - 33);
    const bytes = [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    out.push(...bytes.slice(0, chunk.length - 1));
  }
  return Uint8Array.from(out);
}

function bitsToBytes(bits: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Uint8Array.from(out);
}

function fromUuencode(body: string): Uint8Array {
  const out: number[] = [];
  for (const line of body.split(/\r?\n/u)) {
    const n = (line.charCodeAt(0) - 32) & 63 || 0;
    if (n === 0) continue;
    const chars = [...line.slice(1)].map((c) => (c.charCodeAt(0) - 32) & 63);
    const bytes: number[] = [];
    for (let i = 0; i < chars.length && bytes.length < n; i += 4) {
      const [a = 0, b = 0, c = 0, d = 0] = chars.slice(i, i + 4);
      bytes.push(((a << 2) | (b >> 4)) & 255, ((b << 4) | (c >> 2)) & 255, ((c << 6) | d) & 255);
    }
    out.push(...bytes.slice(0, n));
  }
  return Uint8Array.from(out);
}

function fromCssEscapes(run: string): string {
  return (run.match(/[0-9A-Fa-f]{1,6}/gu) ?? [])
    .map((h) => String.fromCodePoint(Math.min(parseInt(h, 16), 0x10ffff)))
    .join("");
}

/** The first word of each line, when there are six lines or more: an acrostic of words. */
function firstWords(text: string): string | undefined {
  const lines = text.split(/\n/u).filter((l) => l.trim() !== "");
  if (lines.length < 6) return undefined;
  return lines.map((l) => /\S+/u.exec(l)?.[0] ?? "").join(" ");
}

// Invisible characters (and the spaces of other widths a reader cannot tell apart) in a long run:
// a run of two kinds of them is bits, of four kinds base-4 digits. Which kind stands for which
// digit is the writer's choice, so every assignment is tried; only one that reads as text counts.
const CARRIER_RUN =
  // eslint-disable-next-line no-misleading-character-class -- these characters are what is looked for
  /[\u200B-\u200D\u2060-\u2064\uFEFF\u180B-\u180F\u17B4\u17B5\u202A-\u202E\u2066-\u2069\uFDD0-\uFDEF\u034F\u115F\u1160\u3164\uFFA0\u00A0\u2000-\u200A\u202F\u205F\u3000 \t]{16,}/gu;

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((x, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]),
  );
}

/**
 * Runs of invisible characters and odd spaces in `original` (before NFKC folds the spaces into
 * one) read as bits or base-4 digits: each assignment of digits to characters, as bytes.
 */
export function decodeCarriers(original: string): Decoded[] {
  const out: Decoded[] = [];
  for (const m of original.matchAll(IGNORABLE_RUN))
    out.push({
      how: "unassigned invisible code points as bytes",
      raw: m[0],
      bytes: Uint8Array.from([...m[0]].map((c) => (c.codePointAt(0) ?? 0) & 0xff)),
    });
  for (const m of original.matchAll(CARRIER_RUN)) {
    // The plain spaces around a run separate it from the words; they are not part of it.
    const run = m[0].replace(/^[ \t]+|[ \t]+$/gu, "");
    if (run.length < 16) continue;
    const chars = [...run];
    const kinds = [...new Set(chars)];
    // Plain spaces and tabs alone are the whitespace-bit decoder's (below), and indentation.
    if (kinds.every((k) => k === " " || k === "\t")) continue;
    const bitsPer = kinds.length === 2 ? 1 : kinds.length === 4 ? 2 : 0;
    if (bitsPer === 0) continue;
    for (const order of permutations(kinds)) {
      const digit = new Map(order.map((k, i) => [k, i.toString(2).padStart(bitsPer, "0")]));
      out.push({
        how: `invisible characters as ${bitsPer === 1 ? "bits" : "base-4 digits"}`,
        raw: run,
        bytes: bitsToBytes(chars.map((c) => digit.get(c)).join("")),
      });
    }
  }
  return out;
}

// UTF-7 (RFC 2152): "+" then modified base64 of UTF-16 code units, up to "-".
const UTF7_RUN = /\+([A-Za-z0-9+/]{16,})-?/gu;

function fromUtf7(body: string): string {
  const bytes = Buffer.from(body, "base64");
  return new TextDecoder("utf-16be").decode(bytes.subarray(0, bytes.length & ~1));
}

// Latin letters with two or more combining marks stacked on each ("Zalgo" text), or with a line
// drawn through or under each (U+0332 to U+0338: struck-out or underlined plain text): the words
// read through the marks, which NFKC does not remove. Letters of real orthographies carry one or
// two, and no accent of theirs is a line.
const STACKED =
  /(\p{Script=Latin}|[\p{N}\p{P}\p{S}\s])(\p{M}{2,}|[\u0332-\u0338\u0305\u20D2\u20D3])/gu;

// Python's named character escapes, `\N{LATIN SMALL LETTER A}`: the names a text needs.
const NAMED_ESCAPE = /(?:\\N\{[A-Z][A-Z0-9 -]*\}){8,}/gu;
const NAMED: Record<string, string> = {
  SPACE: " ",
  "FULL STOP": ".",
  COMMA: ",",
  COLON: ":",
  SEMICOLON: ";",
  APOSTROPHE: "'",
  "QUOTATION MARK": '"',
  "HYPHEN-MINUS": "-",
  SOLIDUS: "/",
  "REVERSE SOLIDUS": "\\",
  "COMMERCIAL AT": "@",
  TILDE: "~",
  "LOW LINE": "_",
  "NUMBER SIGN": "#",
  "EXCLAMATION MARK": "!",
  "QUESTION MARK": "?",
  "EQUALS SIGN": "=",
  AMPERSAND: "&",
  "PERCENT SIGN": "%",
  "PLUS SIGN": "+",
  "LEFT PARENTHESIS": "(",
  "RIGHT PARENTHESIS": ")",
  "LINE FEED": "\n",
  ASTERISK: "*",
  "DOLLAR SIGN": "$",
  "LESS-THAN SIGN": "<",
  "GREATER-THAN SIGN": ">",
  "LEFT SQUARE BRACKET": "[",
  "RIGHT SQUARE BRACKET": "]",
  "LEFT CURLY BRACKET": "{",
  "RIGHT CURLY BRACKET": "}",
  "VERTICAL LINE": "|",
  "CIRCUMFLEX ACCENT": "^",
  "GRAVE ACCENT": "`",
};
const DIGITS = ["ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE"];

/** The character a Unicode name names ("LATIN SMALL LETTER A" is "a"), "?" when not known. */
function characterNamed(name: string): string {
  const letter = /^LATIN (CAPITAL|SMALL) LETTER ([A-Z])$/u.exec(name);
  if (letter) return letter[1] === "SMALL" ? letter[2]!.toLowerCase() : letter[2]!;
  const digit = /^DIGIT ([A-Z]+)$/u.exec(name);
  if (digit) return String(DIGITS.indexOf(digit[1]!));
  return NAMED[name] ?? "?";
}

function fromNamedEscapes(run: string): string {
  return [...run.matchAll(/\\N\{([A-Z0-9 -]+)\}/gu)]
    .map(([, name = ""]) => characterNamed(name))
    .join("");
}

// EBCDIC (code page 037) as found in mainframe records: letters, digits and common punctuation.
const EBCDIC_037: Record<number, string> = (() => {
  const t: Record<number, string> = { 0x40: " ", 0x25: "\n", 0x15: "\n" };
  const range = (from: number, letters: string) =>
    [...letters].forEach((c, i) => (t[from + i] = c));
  range(0x81, "abcdefghi");
  range(0x91, "jklmnopqr");
  range(0xa2, "stuvwxyz");
  range(0xc1, "ABCDEFGHI");
  range(0xd1, "JKLMNOPQR");
  range(0xe2, "STUVWXYZ");
  range(0xf0, "0123456789");
  range(0x4a, "¢.<(+|&");
  range(0x5a, "!$*);¬-/");
  range(0x6a, "¦,%_>?");
  range(0x79, "`:#@'=\"");
  t[0xa1] = "~";
  return t;
})();

/** Bytes read as EBCDIC code page 037; undefined when one has no printable meaning there. */
export function fromEbcdic(bytes: Uint8Array): string | undefined {
  let out = "";
  for (const b of bytes) {
    const c = EBCDIC_037[b];
    if (c === undefined) return undefined;
    out += c;
  }
  return out;
}

// The same physical keys in three layouts (the letter rows, unshifted): a text typed on one layout
// as if it were another reads as a jumble of letters and ;,./' that the other layout undoes.
const QWERTY = "qwertyuiop[]asdfghjkl;'zxcvbnm,./";
const OTHER_LAYOUTS: Readonly<Record<string, string>> = {
  Dvorak: "',.pyfgcrl/=aoeuidhtns-;qjkxbmwvz",
  Colemak: "qwfpgjluy;[]arstdhneio'zxcvbkm,./",
};
const KEYED_RUN = /(?:[a-z;,./'[\]=-]{2,}[ ]+){5,}[a-z;,./'[\]=-]{2,}/gu;
function remap(text: string, from: string, to: string): string {
  let out = "";
  for (const ch of text) {
    const i = from.indexOf(ch);
    out += i < 0 ? ch : to[i];
  }
  return out;
}

// A key string and a run of numbers, each a position in it: `Key: "the quick brown fox…"` and
// `14 2 3 15 …` (a book cipher over a string the text itself carries).
const CIPHER_KEY = /["'\u201c]([^"'\u201d\n]{10,120})["'\u201d]/gu;
const POSITIONS = /(?<![\d.])(?:\d{1,3}[ ,]+){11,}\d{1,3}(?![\d.])/gu;
function byPosition(key: string, positions: number[], base: 0 | 1): string | undefined {
  const chars = [...key];
  let out = "";
  for (const p of positions) {
    const ch = chars[p - base];
    if (ch === undefined) return undefined;
    out += ch;
  }
  return out;
}

// Bytes as nucleotides, two bits a base ("CACCCGTCCGAC …"): which base is which digit is the
// writer's choice, so each of the 24 assignments is tried.
const NUCLEOTIDE_RUN = /(?<![A-Za-z])(?:[ACGT]{4,}\s*){8,}(?![A-Za-z])/gu;
const BASES = ["A", "C", "G", "T"] as const;

// Character codes as Roman numerals: "LXXXV.CXII.CVIII…".
const ROMAN_RUN = /(?<![A-Za-z])(?:[MDCLXVI]{1,12}[.,;:\s-]+){7,}[MDCLXVI]{1,12}(?![A-Za-z])/gu;
const ROMAN: Readonly<Record<string, number>> = {
  I: 1,
  V: 5,
  X: 10,
  L: 50,
  C: 100,
  D: 500,
  M: 1000,
};
function fromRoman(numeral: string): number {
  let total = 0;
  for (let i = 0; i < numeral.length; i++) {
    const here = ROMAN[numeral[i] ?? ""] ?? 0;
    const next = ROMAN[numeral[i + 1] ?? ""] ?? 0;
    total += here < next ? -here : here;
  }
  return total;
}

// basE91: a blob of 91 printable characters, punctuation among the letters and digits.
const BASE91_ALPHABET =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,./:;<=>?@[]^_`{|}~"';
const BASE91_RUN = /[A-Za-z0-9!#$%&()*+,./:;<=>?@[\]^_`{|}~"]{32,}/gu;
function fromBase91(text: string): Uint8Array {
  const out: number[] = [];
  let value = -1;
  let bits = 0;
  let count = 0;
  for (const ch of text) {
    const d = BASE91_ALPHABET.indexOf(ch);
    if (d < 0) continue;
    if (value < 0) {
      value = d;
      continue;
    }
    value += d * 91;
    bits |= value << count;
    count += (value & 8191) > 88 ? 13 : 14;
    do {
      out.push(bits & 255);
      bits >>>= 8;
      count -= 8;
    } while (count > 7);
    value = -1;
  }
  if (value >= 0) out.push((bits | (value << count)) & 255);
  return Uint8Array.from(out);
}

// A polyalphabetic cipher whose key the text names ("Beaufort, key HELM"): Vigenère, Beaufort and
// its variant, each with each key named.
// A key of digits is a Gronsfeld key: each digit a shift.
const NAMED_KEY =
  /\b(?:key(?:word)?|passphrase|cipher key)\b\s*[:=]?\s*["'`]?([A-Za-z]{3,20}|\d{3,20})\b/giu;
function withKey(text: string, key: string, how: "vigenere" | "beaufort" | "variant"): string {
  const shifts = [...key.toLowerCase()].map((c) =>
    c >= "0" && c <= "9" ? c.charCodeAt(0) - 48 : c.charCodeAt(0) - 97,
  );
  return eachLetter(text, (c, i) => {
    const k = shifts[i % shifts.length] ?? 0;
    return how === "vigenere" ? c - k : how === "beaufort" ? k - c : c + k;
  });
}

/** Each letter (0 to 25, counted from the first) replaced by `to`'s letter, modulo 26, lower case. */
function eachLetter(text: string, to: (letter: number, index: number) => number): string {
  let i = 0;
  return text.replace(/[A-Za-z]/gu, (ch) =>
    String.fromCharCode((((to(ch.toLowerCase().charCodeAt(0) - 97, i++) % 26) + 26) % 26) + 97),
  );
}

/** Character codes as text, when every code is one a text would hold. */
const fromCodes = (codes: number[]): string | undefined =>
  codes.length > 0 && codes.every((c) => c >= 9 && c <= 0x10ffff)
    ? String.fromCodePoint(...codes)
    : undefined;

// Character codes as calls: SQL's `CHR(71)||CHR(82)…`, `CHAR(…)+CHAR(…)`, VB's `ChrW(…) & …`.
const CODE_CALLS =
  /(?:\b(?:chrw?|n?char|unichr)\s*\(\s*\d{1,7}\s*\)\s*(?:\|\||\+|&|,|\.)?\s*){8,}/giu;

// A progressive shift (Trithemius): the first letter as it is, the next one back by one, and so
// on; read forwards and backwards.
// A run starts after a colon or a full stop, where a note's text starts (and its count with it).
const TEXT_RUN = /(?:[A-Za-z]{2,}[ ,]+){5,}[A-Za-z]{2,}/gu;
function progressive(text: string, sign: 1 | -1): string {
  return eachLetter(text, (c, i) => c + sign * i);
}

// Default-ignorable code points past the tag characters (U+E0080 to U+E0FFF, the variation
// selectors aside), one byte each in their low eight bits: nothing shows, and nothing is assigned.
const IGNORABLE_RUN = /[\u{E0080}-\u{E00FF}\u{E01F0}-\u{E0FFF}]{8,}/gu;

// Noncharacters U+FDD0 to U+FDDF, one hexadecimal digit each: nothing shows.
const NONCHARACTER_NIBBLES = /[\uFDD0-\uFDDF]{16,}/gu;

// Coptic letters that look like Latin ones (ⲁ ⲉ ⲓ ⲟ ⲧ ⲛ …), spelling English under another script.
const COPTIC = /[\u2C80-\u2CE3]/u;
const COPTIC_LATIN: Readonly<Record<string, string>> = {
  "\u2C80": "A",
  "\u2C81": "a",
  "\u2C82": "B",
  "\u2C83": "b",
  "\u2C88": "E",
  "\u2C89": "e",
  "\u2C8C": "Z",
  "\u2C8D": "z",
  "\u2C8E": "H",
  "\u2C8F": "h",
  "\u2C92": "I",
  "\u2C93": "i",
  "\u2C94": "K",
  "\u2C95": "k",
  "\u2C98": "M",
  "\u2C99": "m",
  "\u2C9A": "N",
  "\u2C9B": "n",
  "\u2C9E": "O",
  "\u2C9F": "o",
  "\u2CA2": "P",
  "\u2CA3": "p",
  "\u2CA4": "C",
  "\u2CA5": "c",
  "\u2CA6": "T",
  "\u2CA7": "t",
  "\u2CA8": "Y",
  "\u2CA9": "y",
  "\u2CAC": "X",
  "\u2CAD": "x",
  "\u2CB0": "W",
  "\u2CB1": "w",
};

// Bytes in a list of MAC addresses ("41:64:64:20:…, 30:2e:30:2e:…").
// A reflected Gray code per byte ("01010001 01001010 …"): each bit is the XOR of the byte's bit
// and the one above it, undone by folding the shifts back in.
function fromGray(group: string): number {
  let b = parseInt(group, 2);
  b ^= b >> 1;
  b ^= b >> 2;
  b ^= b >> 4;
  return b & 255;
}

// Punched-card (IBM 029) codes per column: the rows punched, "12-5" E, "0-2" S, "11-9" R, "_" or
// "b" a blank column.
const PUNCH_CODES = new Map<string, number>([
  ["_", 32],
  ["b", 32],
  ["12", 38],
  ["11", 45],
  ["0-1", 47],
  ...Array.from({ length: 10 }, (_, d): [string, number] => [String(d), 48 + d]),
  ...Array.from({ length: 9 }, (_, d): [string, number] => [`12-${d + 1}`, 65 + d]),
  ...Array.from({ length: 9 }, (_, d): [string, number] => [`11-${d + 1}`, 74 + d]),
  ...Array.from({ length: 8 }, (_, d): [string, number] => [`0-${d + 2}`, 83 + d]),
  ...(
    [
      ["2-8", ":"],
      ["3-8", "#"],
      ["4-8", "@"],
      ["5-8", "'"],
      ["6-8", "="],
      ["7-8", '"'],
      ["12-3-8", "."],
      ["12-4-8", "<"],
      ["12-5-8", "("],
      ["12-6-8", "+"],
      ["12-7-8", "|"],
      ["11-3-8", "$"],
      ["11-4-8", "*"],
      ["11-5-8", ")"],
      ["11-6-8", ";"],
      ["0-3-8", ","],
      ["0-4-8", "%"],
      ["0-5-8", "_"],
      ["0-6-8", ">"],
      ["0-7-8", "?"],
    ] as const
  ).map(([code, c]): [string, number] => [code, c.charCodeAt(0)]),
]);
const PUNCH_RUN =
  /(?<![\w-])(?:(?:1[12]|[0-9])(?:-[0-9]){1,2}|_)(?:\s+(?:(?:1[12]|[0-9])(?:-[0-9]){0,2}|_|b)){11,}(?![\w-])/gu;

// Character codes written as spreadsheet column labels (A = 1, Z = 26, AA = 27, "CS" = 97 = "a").
const COLUMN_LETTERS_RUN = /(?<![\w-])(?:[A-D][A-Z]\s+){11,}[A-D][A-Z](?![\w-])/gu;

// Bytes packed four at a time into the seconds of timestamps ("2021-10-23T02:28:57Z, …", or the
// seconds themselves, "1634956137, …").
const TIMESTAMP = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|(?<!\d)\d{9,10}(?!\d)/gu;
const EPOCH_RUN = /(?<![\d.])(?:\d{9,10}[,;\s]+){5,}\d{9,10}(?![\d.])/gu;
const TIMESTAMP_RUN =
  /(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ[,;\s]+){5,}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/gu;

// Each character given by its Unicode name, without the escape ("LATIN SMALL LETTER A; COLON;
// SPACE; …"), in any case, separated by semicolons, commas or bars.
const CHARACTER_NAME = `(?:LATIN (?:SMALL|CAPITAL) LETTER [A-Z]|DIGIT (?:${DIGITS.join("|")})|${Object.keys(
  NAMED,
).join("|")})`;
const CHARACTER_NAME_RUN = new RegExp(
  `(?<![A-Za-z])(?:${CHARACTER_NAME}\\s*[;,|]\\s*){11,}${CHARACTER_NAME}(?![A-Za-z])`,
  "giu",
);

// UTF-8 bytes as hex colour codes, three to a colour ("#617373, #697374, …").
const COLOUR_RUN = /(?:#[0-9a-f]{6}\b[,;\s]*){6,}/giu;

// Character codes written with the numerals of another script: decimal digits of any script
// (Thai "๑๑๕"), Suzhou numerals ("〡〡〥"), and the additive numerals of Aegean and Ethiopic
// ("𐄙𐄐𐄋", "፻፲፭": 100 + 10 + 5).
const NUMERAL = String.raw`[\p{Nd}\u3007\u3021-\u3029\u{10107}-\u{10133}\u1369-\u137C]`;
// Separated by spaces or by any script's commas and section signs ("၊", "،", "、").
const NUMERAL_SEPARATOR = String.raw`[,;\s\u060C\u104A\u104B\u3001\u0964\u0965\u1363\u1364\uFF0C]`;
const NUMERAL_RUN = new RegExp(`(?:${NUMERAL}+${NUMERAL_SEPARATOR}+){7,}${NUMERAL}+`, "gu");
const ADDITIVE: readonly [first: number, count: number, unit: number][] = [
  [0x10107, 9, 1],
  [0x10110, 9, 10],
  [0x10119, 9, 100],
  [0x10122, 9, 1000],
  [0x1369, 9, 1],
  [0x1372, 9, 10],
  [0x137b, 1, 100],
  [0x137c, 1, 10000],
];
const ND = /\p{Nd}/u;
/** The value of one digit of a positional system, or undefined. */
function digitValue(cp: number): number | undefined {
  if (cp === 0x3007) return 0;
  if (cp >= 0x3021 && cp <= 0x3029) return cp - 0x3020;
  if (!ND.test(String.fromCodePoint(cp))) return undefined;
  // Unicode's decimal digits come in runs of ten from zero, sometimes back to back.
  let first = cp;
  while (first > 0 && cp - first < 60 && ND.test(String.fromCodePoint(first - 1))) first--;
  return (cp - first) % 10;
}
function numeralValue(token: string, radix = 10): number | undefined {
  const cps = [...token].map((c) => c.codePointAt(0) ?? 0);
  const additive = cps.map((cp) => {
    const a = ADDITIVE.find(([first, count]) => cp >= first && cp < first + count);
    return a === undefined ? undefined : (cp - a[0] + 1) * a[2];
  });
  if (additive.every((v) => v !== undefined)) return additive.reduce((n, v) => n + v, 0);
  let n = 0;
  for (const cp of cps) {
    const d = digitValue(cp);
    if (d === undefined || d >= radix) return undefined;
    n = n * radix + d;
  }
  return n;
}

// Letters of one block given the values a to z in code point order ("a-z in block order"): an
// alphabet used as a substitution table. Each reading is kept only where it reads as English.
const BLOCK_LETTERS =
  /[^\p{Script=Latin}\p{Script=Common}\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Inherited}]/gu;

// The same with symbols (the first 26 alchemical symbols for a to z): symbols of one block.
const BLOCK_SYMBOLS =
  /[\u{1D000}-\u{1D35F}\u{1F000}-\u{1F0FF}\u{1F700}-\u{1F7FF}\u{1FA00}-\u{1FA6F}\u2600-\u26FF\u2700-\u27BF\u2200-\u22FF\u25A0-\u25FF]/gu;

// Bytes as the code points of one 256-character page beyond the first plane ("U+1D000 + b").
const PAGE_RUN = /[\u{10000}-\u{10FFFF}]{12,}/gu;

// Character codes as three decimal digits, each a two-out-of-five bar group (POSTNET weights
// 7 4 2 1 0, eleven read as 0), "|" a full bar and "." a half one.
const POSTNET_RUN = /(?<![|.])(?:[|.]{15}\s+){7,}[|.]{15}(?![|.])/gu;
const POSTNET_WEIGHTS = [7, 4, 2, 1, 0];
function fromPostnet(group: string): number | undefined {
  let code = 0;
  for (let d = 0; d < 3; d++) {
    const bars = group.slice(d * 5, d * 5 + 5);
    if ((bars.match(/\|/gu) ?? []).length !== 2) return undefined;
    const sum = [...bars].reduce((n, b, i) => n + (b === "|" ? POSTNET_WEIGHTS[i]! : 0), 0);
    code = code * 10 + (sum === 11 ? 0 : sum);
  }
  return code;
}

// Each byte as two symbols of one block, its high and low nibble the symbols' last hex digit
// (playing cards: the spades row for the high nibble, the hearts row for the low one).
const NIBBLE_PAIR_RUN = /[\u{1F000}-\u{1FAFF}\u2200-\u27BF\u2B00-\u2BFF]{24,}/gu;
function fromNibblePairs(run: string): Uint8Array | undefined {
  const cps = [...run].map((c) => c.codePointAt(0) ?? 0);
  if (cps.length % 2 !== 0 || !cps.every((cp) => cp >> 8 === cps[0]! >> 8)) return undefined;
  const rows = new Set(cps.map((cp, i) => `${i % 2}:${cp >> 4}`));
  // Two rows, one per half: the high nibbles' row and the low nibbles'.
  if (rows.size !== 2) return undefined;
  const bytes = new Uint8Array(cps.length / 2);
  for (let i = 0; i < bytes.length; i++)
    bytes[i] = ((cps[2 * i]! & 15) << 4) | (cps[2 * i + 1]! & 15);
  return bytes;
}

// Decimal digits as telephone keypad tone pairs ("697+1209" is 1), digits joined by slashes and
// character codes by spaces.
const DTMF_PAIR = String.raw`(?:697|770|852|941)\s*\+\s*(?:1209|1336|1477|1633)`;
const DTMF_RUN = new RegExp(
  `(?:${DTMF_PAIR}(?:\\/${DTMF_PAIR})*\\s+){7,}${DTMF_PAIR}(?:\\/${DTMF_PAIR})*`,
  "gu",
);
const DTMF_KEYS: Readonly<Record<string, string>> = {
  "697+1209": "1",
  "697+1336": "2",
  "697+1477": "3",
  "770+1209": "4",
  "770+1336": "5",
  "770+1477": "6",
  "852+1209": "7",
  "852+1336": "8",
  "852+1477": "9",
  "941+1336": "0",
};
function fromDtmf(run: string): number[] {
  return run
    .trim()
    .split(/\s+(?![+])(?<![+]\s*)/u)
    .map((character) =>
      Number(
        character
          .split("/")
          .map((pair) => DTMF_KEYS[pair.replace(/\s+/gu, "")] ?? "x")
          .join(""),
      ),
    );
}

// Bytes written in Manchester code, one group of 16 half-bits per byte ("HLLHLHHL…").
const MANCHESTER_RUN = /(?<![A-Za-z])(?:(?:HL|LH){8}\s+){7,}(?:HL|LH){8}(?![A-Za-z])/giu;

/** Each reading of a block's characters as the letters a to z in code point order. */
function blockReadings(
  text: string,
  block: RegExp,
  readsAsEnglish: (run: string) => boolean,
): Decoded[] {
  const out: Decoded[] = [];
  const letters = text.match(block);
  if (letters === null || letters.length < 12) return out;
  const cps = letters.map((c) => c.codePointAt(0) ?? 0);
  const low = Math.min(...cps);
  const high = Math.max(...cps);
  if (high - low >= 26) return out;
  for (let base = high - 25; base <= low; base++) {
    // Read from the block's first letter to its last, with the spaces between its words.
    let reading = "";
    let from = -1;
    let to = 0;
    for (const c of text) {
      if (c.match(block) === null) reading += c;
      else {
        if (from < 0) from = reading.length;
        reading += String.fromCharCode(97 + (c.codePointAt(0) ?? 0) - base);
        to = reading.length;
      }
    }
    if (readsAsEnglish(reading.slice(from, to)))
      out.push({
        how: "letters of one block in order",
        raw: letters.join(""),
        mustRead: true,
        text: reading,
      });
  }
  return out;
}

const MAC_RUN = /(?:\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b[,;\s]*){3,}/giu;

// Character codes as chemical elements, by atomic number ("At Hg Os …": 85, 80, 76 …).
const ELEMENTS =
  "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og".split(
    " ",
  );
const ATOMIC = new Map(ELEMENTS.map((e, i) => [e, i + 1]));
const ELEMENT_RUN = /(?<![A-Za-z])(?:[A-Z][a-z]?[ ,]+){11,}[A-Z][a-z]?(?![A-Za-z])/gu;

// Rövarspråket: every consonant doubled with an "o" between ("tothohe" for "the").
const ROBBER = /([b-df-hj-np-tv-z])o\1/giu;

// Base62 (digits, upper and lower case letters) read as one big number, as "reference codes" are.
const BASE62_RUN = /(?<![A-Za-z0-9+/=_-])[0-9A-Za-z]{40,600}(?![A-Za-z0-9+/=_-])/gu;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
function fromBase62(text: string, alphabet: string): Uint8Array {
  let n = 0n;
  for (const ch of text) n = n * 62n + BigInt(alphabet.indexOf(ch));
  const out: number[] = [];
  while (n > 0n) {
    out.unshift(Number(n & 255n));
    n >>= 8n;
  }
  return Uint8Array.from(out);
}

// Alphabets that spell English letter for letter: old ones (Ogham, runes, Gothic, Old Italic,
// Glagolitic) and living ones (Greek, Cyrillic, Armenian, Georgian: "φορωαρδ τηε ινϝοιχεσ"). A
// model transliterates them as easily as it reads them. Each table lists the Latin value of its
// block's letters in code point order ("" for what has none; " " for word marks; "f/v" for a letter
// written for either, each read once: the first side is the letter it looks like or stands for in
// English spelling, the second its usual romanisation). Small letters sit `small` after the
// capitals; `extra` holds letters outside the run.
interface AlphabetTable {
  name: string;
  first: number;
  small?: number;
  values: string;
  extra?: Readonly<Record<string, string>>;
}
const ALPHABET_TABLES: readonly AlphabetTable[] = [
  {
    name: "Ogham",
    first: 0x1680,
    values: " |b|l|f/v|s|n|h|d|t|c|q|m|g|ng|z|r|a|o|u|e|i|ea|oi|ui|ia|ae|p| | ",
  },
  {
    name: "runes",
    first: 0x16a0,
    values:
      "f|v|u/v|y|y|w|th|th|a|o|a|ae|o|o|o|oe|on|r|k/c|c|k|g|g|g|g|w|h|h|h|h|n|n|n|i|e|j|j|a|a|ei|p|z|s|s|s|c|z|t|t|d|b|b|p|p|e|m|m|m|l|l|ng|ng|d|o|ea|io|q|k|k|st|r|y|q|q|x| | | ",
  },
  {
    name: "Gothic letters",
    first: 0x10330,
    values: "a|b|g|d|e|q|z|h|th|i|k|l|m|n|j|u|p||r|s|t|w|f|x|hw|o|",
  },
  {
    name: "Old Italic letters",
    first: 0x10300,
    values: "a|b|c/k|d|e|v|z|h|th|i|k|l|m|n|sh|o|p|sh|q|r|s|t|u|x|ph|kh|f|ers|ch|i|u|s",
  },
  {
    name: "Glagolitic letters",
    first: 0x2c00,
    small: 0x30,
    values:
      "a|b|v|g|d|e|zh|dz|z|i|i|i|dj|k|l|m|n|o|p|r|s|t|u|f|h|o|p|sht|ts|ch|sh|y|'|e|h|yu|e|e|yo|e|o|o|th|y|'|a|m",
  },
  {
    name: "Greek letters",
    first: 0x391,
    small: 0x20,
    // The unassigned capital's place holds final sigma, its small twin.
    values: "a|b|g|d|e|z|h/e|th|i|k|l|m|n|x|o|p|r|s|s|t|u/y|f|c/ch|y/ps|w/o",
    extra: { ϝ: "v", Ϝ: "v", ϲ: "s", Ϲ: "s", ϳ: "j", Ϳ: "j" },
  },
  {
    name: "Cyrillic letters",
    first: 0x410,
    small: 0x20,
    values:
      "a|b|v/w|g|d|e|zh/j|z|i|y/j|k|l|m|n|o|p|r|s|t|u|f|h/kh|c/ts|ch|sh|shch||y||e|yu/u|ya/ia",
    extra: { і: "i", І: "i", ј: "j", Ј: "j", ѕ: "s", Ѕ: "s", є: "e", ё: "yo" },
  },
  {
    name: "Armenian letters",
    first: 0x531,
    small: 0x30,
    values:
      "a|b|g|d|e|z|e|y|t|zh|i|l|kh|ts|k|h|dz|gh|ch|m|y|n|sh|o|ch|p|j|r|s|v|t|r|c/ts|w/u|p|q/k|o|f",
  },
  {
    name: "Phoenician letters",
    first: 0x10900,
    values: "a|b|g|d|e/h|u/w|z|h|t|i/y|k|l|m|n|s|o|p|s|q|r|sh/s|t",
  },
  {
    name: "Shavian letters",
    first: 0x10450,
    values:
      "p|t|k|f|th|s|sh|ch|y|ng|b|d|g|v|th|z|zh|j|w|h|l|m|i|e|a|u|o|u|ow|a|r|n|ee|ay|i|u|o|oo|oi|aw|ar|or|air|er|er|eer|ia|yu",
  },
  {
    name: "Georgian letters",
    first: 0x10d0,
    values:
      "a|b|g|d|e|v/w|z|t|i|k|l|m|n|o|p|zh|r|s|t|u|f/p|q/k|gh|q|sh|ch|c/ts|dz|ts|ch|x/kh|j|h|e|y|w|q|o|f",
  },
];
const ALPHABETS = ALPHABET_TABLES.map((a) => {
  const letters = a.values.split("|");
  const extra = a.extra ?? {};
  const span = (a.small ?? 0) + letters.length;
  const range = `\\u{${a.first.toString(16)}}-\\u{${(a.first + span - 1).toString(16)}}`;
  return {
    ...a,
    letters,
    extra,
    within: new RegExp(`[${range}${Object.keys(extra).join("")}]`, "gu"),
  };
});

/** The text with the letters of `alphabet` in Latin, `reading` picking one side of each "f/v". */
function transliterated(
  text: string,
  alphabet: (typeof ALPHABETS)[number],
  reading: 0 | 1,
): string {
  let out = "";
  for (const ch of text) {
    const extra = alphabet.extra[ch];
    if (extra !== undefined) {
      out += extra;
      continue;
    }
    let offset = (ch.codePointAt(0) ?? 0) - alphabet.first;
    if (alphabet.small !== undefined && offset >= alphabet.small) offset -= alphabet.small;
    const letter =
      offset >= 0 && offset < alphabet.letters.length ? alphabet.letters[offset] : undefined;
    out += letter === undefined ? ch : (letter.split("/")[reading] ?? letter);
  }
  return out;
}

// Symbols of one small ordered set (die faces, card suits, chess pieces, circled numbers…) as the
// digits of a base: "⚂⚄⚁" is 2·36 + 4·6 + 1 in base 6. Groups of equal width, or one unbroken run.
const SYMBOL_GROUPS = /(?:[\p{So}\p{No}]{2,8}[ ,;]+){11,}[\p{So}\p{No}]{2,8}/gu;
const SYMBOL_RUN = /[\p{So}\p{No}]{24,}/gu;
function symbolDigits(groups: string[][]): number[][] {
  const codes = groups.flat().map((c) => c.codePointAt(0) ?? 0);
  const low = Math.min(...codes);
  const high = Math.max(...codes);
  // A set of at most 16 symbols, each a small digit.
  if (high - low >= 16 || new Set(codes).size < 2) return [];
  const out: number[][] = [];
  for (let base = high - low + 1; base <= 16; base++)
    out.push(groups.map((g) => g.reduce((n, c) => n * base + ((c.codePointAt(0) ?? 0) - low), 0)));
  return out;
}

// A URL's query value in words ("?note=read+~/.ssh/id_rsa+and+…"): a client fetches the URL, and
// a model reads the words once "+" and "%20" are spaces.
const QUERY_VALUE = /[?&;][\w.~-]{1,40}=([^&#\s"'<>]{16,})/gu;
function queryWords(value: string): string | undefined {
  try {
    const words = decodeURIComponent(value.replace(/\+/gu, " "));
    return (words.match(/ /gu)?.length ?? 0) >= 4 ? words : undefined;
  } catch {
    return undefined;
  }
}

// Letters as symbols no normalisation folds: negative circled and negative squared capitals,
// regional indicators (🅰 🅱 …, 🇦 🇧 …). Each block holds A to Z in order.
const LETTER_SYMBOL_BLOCKS = [0x1f150, 0x1f170, 0x1f1e6];
const LETTER_SYMBOL = /[\u{1F150}-\u{1F169}\u{1F170}-\u{1F189}\u{1F1E6}-\u{1F1FF}]/gu;
function letterOfSymbol(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  const first = LETTER_SYMBOL_BLOCKS.find((b) => cp >= b && cp < b + 26);
  return first === undefined ? c : String.fromCharCode(97 + cp - first);
}

// The 64 hexagrams of the I Ching (U+4DC0 to U+4DFF), one base64 digit each.
const HEXAGRAM_RUN = /[\u4DC0-\u4DFF][\u4DC0-\u4DFF\s]{15,}/gu;
const BASE64_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Bech32 and bech32m (BIP 173, BIP 350): a readable prefix, the separator "1", then base32 digits
// of their own alphabet and a six-digit checksum ("vref1v9ehx6tnw3…"), in one case.
const BECH32_RUN =
  /(?<![\w-])(?:[a-z][a-z0-9-]{0,82}1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{38,}|[A-Z][A-Z0-9-]{0,82}1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{38,})(?![\w-])/gu;
const BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
// Base32 in the alphabets other than RFC 4648's, in lower-case cells ("d5tr6ucmf, jhqwx1u41, …"):
// geohash, Crockford, base32hex, z-base-32.
const CELL_RUN = /(?<![\w-])(?:[0-9a-z]{4,12}[,;]?\s+){5,}[0-9a-z]{2,12}(?![\w-])/gu;
const BASE32_ALPHABETS: Readonly<Record<string, string>> = {
  geohash: "0123456789bcdefghjkmnpqrstuvwxyz",
  Crockford: "0123456789abcdefghjkmnpqrstvwxyz",
  base32hex: "0123456789abcdefghijklmnopqrstuv",
  "z-base-32": "ybndrfg8ejkmcpqxot1uwisza345h769",
};
/** Base32 digits of `alphabet` as bytes; undefined when a character is not one of them. */
export function fromBase32With(text: string, alphabet: string): Uint8Array | undefined {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    const digit = alphabet.indexOf(ch);
    if (digit < 0) return undefined;
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

/**
 * Every run of `text` written in one of the encodings above, with what it decodes to. A run that
 * already reads as English (`readsAsEnglish`, most prose) is not read every second character.
 */
export function decodeMore(text: string, readsAsEnglish: (run: string) => boolean): Decoded[] {
  const out: Decoded[] = [];
  const spelled = (how: string, raw: string, codes: number[]) => {
    const decoded = fromCodes(codes);
    if (decoded !== undefined) out.push({ how, raw, text: decoded });
  };
  for (const m of text.matchAll(BRAILLE))
    out.push({
      how: "Braille bytes",
      raw: m[0],
      bytes: Uint8Array.from([...m[0]].map((c) => (c.codePointAt(0) ?? 0x2800) - 0x2800)),
    });
  for (const m of text.matchAll(OCTAL))
    out.push({
      how: "octal escapes",
      raw: m[0],
      bytes: Uint8Array.from(
        m[0]
          .split("\\")
          .filter((o) => o !== "")
          .map((o) => parseInt(o, 8)),
      ),
    });
  for (const m of text.matchAll(BINARY)) {
    out.push({ how: "binary", raw: m[0], bytes: bitsToBytes(m[0].replace(/[^01]/gu, "")) });
    const groups = m[0].split(/[\s,]+/u).filter((g) => g !== "");
    out.push({ how: "Gray-coded binary", raw: m[0], bytes: Uint8Array.from(groups.map(fromGray)) });
  }
  for (const m of text.matchAll(PUNCH_RUN))
    spelled(
      "punched-card codes",
      m[0],
      m[0]
        .trim()
        .split(/\s+/u)
        .map((c) => PUNCH_CODES.get(c) ?? 63),
    );
  for (const m of text.matchAll(COLUMN_LETTERS_RUN)) {
    const codes = m[0]
      .trim()
      .split(/\s+/u)
      .map((c) => [...c].reduce((n, l) => n * 26 + l.charCodeAt(0) - 64, 0));
    if (codes.every((c) => c >= 32 && c < 127)) spelled("spreadsheet column numbers", m[0], codes);
  }
  for (const m of text.matchAll(NIBBLE_PAIR_RUN)) {
    const bytes = fromNibblePairs(m[0]);
    if (bytes !== undefined)
      out.push({ how: "bytes as nibble pairs of one block", raw: m[0], bytes });
  }
  for (const m of text.matchAll(DTMF_RUN)) {
    const codes = fromDtmf(m[0]);
    if (codes.every((c) => Number.isInteger(c) && c > 8 && c < 0x110000))
      spelled("telephone keypad tone pairs", m[0], codes);
  }
  for (const m of text.matchAll(CHARACTER_NAME_RUN))
    out.push({
      how: "Unicode character names",
      raw: m[0],
      text: m[0]
        .split(/\s*[;,|]\s*/u)
        .map((n) => characterNamed(n.toUpperCase().replace(/\s+/gu, " ")))
        .join(""),
    });
  for (const m of text.matchAll(COLOUR_RUN))
    out.push({
      how: "hex colour codes",
      raw: m[0],
      bytes: Buffer.from(m[0].replace(/[^0-9a-f]/giu, ""), "hex"),
    });
  for (const m of text.matchAll(NUMERAL_RUN)) {
    if (/^[\d\s,;]+$/u.test(m[0])) continue;
    const tokens = m[0].split(new RegExp(`${NUMERAL_SEPARATOR}+`, "u")).filter((t) => t !== "");
    // Decimal codes, or octal ones when no digit is above 7.
    for (const radix of [10, 8]) {
      const codes = tokens.map((t) => numeralValue(t, radix));
      if (codes.every((c) => c !== undefined && c > 8 && c < 0x110000))
        spelled(
          `numerals of another script${radix === 8 ? ", octal" : ""}`,
          m[0],
          codes as number[],
        );
    }
  }
  for (const block of [BLOCK_LETTERS, BLOCK_SYMBOLS])
    out.push(...blockReadings(text, block, readsAsEnglish));
  for (const m of text.matchAll(PAGE_RUN)) {
    const cps = [...m[0]].map((c) => c.codePointAt(0) ?? 0);
    if (cps.every((cp) => cp >> 8 === cps[0]! >> 8))
      out.push({
        how: "bytes as the code points of one page",
        raw: m[0],
        bytes: Uint8Array.from(cps.map((cp) => cp & 255)),
      });
  }
  for (const m of text.matchAll(POSTNET_RUN)) {
    const codes = m[0].trim().split(/\s+/u).map(fromPostnet);
    if (codes.every((c) => c !== undefined)) spelled("two-out-of-five bar codes", m[0], codes);
  }
  for (const m of text.matchAll(MANCHESTER_RUN)) {
    const groups = m[0].trim().split(/\s+/u);
    // IEEE 802.3 writes 0 as high-low; G. E. Thomas's convention the other way round.
    for (const zero of ["HL", "LH"])
      out.push({
        how: "Manchester code",
        raw: m[0],
        bytes: Uint8Array.from(
          groups.map((g) =>
            (g.toUpperCase().match(/../gu) ?? []).reduce(
              (n, pair) => n * 2 + (pair === zero ? 0 : 1),
              0,
            ),
          ),
        ),
      });
  }
  for (const m of [...text.matchAll(TIMESTAMP_RUN), ...text.matchAll(EPOCH_RUN)]) {
    const seconds = [...m[0].matchAll(TIMESTAMP)].map((t) =>
      /^\d+$/u.test(t[0]) ? Number(t[0]) : Date.parse(t[0]) / 1000,
    );
    if (seconds.every((t) => Number.isInteger(t) && t >= 0 && t < 2 ** 32))
      out.push({
        how: "bytes in timestamps",
        raw: m[0],
        bytes: Uint8Array.from(
          seconds.flatMap((t) => [t >>> 24, (t >>> 16) & 255, (t >>> 8) & 255, t & 255]),
        ),
      });
  }
  for (const m of text.matchAll(MORSE_RUN)) {
    const words = m[0].trim().split(/\s*\/\s*/u);
    const decoded = words.map((w) =>
      w
        .split(" ")
        .map((l) => MORSE[l] ?? "?")
        .join(""),
    );
    const text = decoded.join(" ");
    if (!text.includes("?")) out.push({ how: "Morse code", raw: m[0], text: text.toLowerCase() });
  }
  for (const m of text.matchAll(ASCII85))
    out.push({ how: "Ascii85", raw: m[0], bytes: fromAscii85(m[1] ?? "") });
  for (const m of text.matchAll(WHITESPACE_BITS)) {
    const bits = m[0].replace(/ /gu, "0").replace(/\t/gu, "1");
    out.push({ how: "whitespace bits", raw: m[0], bytes: bitsToBytes(bits) });
    out.push({
      how: "whitespace bits",
      raw: m[0],
      bytes: bitsToBytes(bits.replace(/[01]/gu, (b) => (b === "0" ? "1" : "0"))),
    });
  }
  for (const m of text.matchAll(NIBBLES)) {
    const digits = [...m[0]].map((c) => ((c.codePointAt(0) ?? 0xfe00) - 0xfe00).toString(16));
    out.push({
      how: "variation selectors",
      raw: m[0],
      bytes: Uint8Array.from(Buffer.from(digits.join("").slice(0, digits.length & ~1), "hex")),
    });
  }
  for (const m of text.matchAll(CSS_HEX))
    out.push({ how: "CSS escapes", raw: m[0], text: fromCssEscapes(m[0]) });
  for (const m of text.matchAll(UUENCODE))
    out.push({ how: "uuencoded", raw: m[0], bytes: fromUuencode(m[1] ?? "") });
  for (const m of text.matchAll(NATO_RUN)) {
    const words = m[0]
      .split(/\s*\/\s*/u)
      .map((w) => (w.match(/[\p{L}-]+/gu) ?? []).map((n) => n.charAt(0).toLowerCase()).join(""));
    out.push({ how: "NATO spelling alphabet", raw: m[0], text: words.join(" ") });
  }
  for (const m of text.matchAll(POLYBIUS_RUN)) {
    const words = m[0]
      .trim()
      .split(/\s*\/\s*/u)
      .map((w) =>
        (w.match(/[1-5][1-5]/gu) ?? [])
          .map((p) => POLYBIUS_SQUARE[(Number(p[0]) - 1) * 5 + Number(p[1]) - 1] ?? "?")
          .join(""),
      );
    out.push({ how: "Polybius square", raw: m[0], text: words.join(" ") });
  }
  const smallCapitals = text.match(SMALL_CAPITAL);
  if (smallCapitals !== null && smallCapitals.length >= 6)
    out.push({
      how: "small capitals",
      raw: text,
      text: text.replace(SMALL_CAPITAL, (c) => SMALL_CAPITALS[c] ?? c),
    });
  for (const m of text.matchAll(DENSE_RUN))
    if (m[0].length >= 40 && !readsAsEnglish(m[0]))
      for (const start of [0, 1])
        out.push({
          how: "every second character",
          raw: m[0],
          mustRead: true,
          text: [...m[0]].filter((_, i) => i % 2 === start).join(""),
        });
  for (const m of text.matchAll(NAMED_ESCAPE))
    out.push({ how: "named character escapes", raw: m[0], text: fromNamedEscapes(m[0]) });
  for (const m of text.matchAll(UTF7_RUN))
    out.push({ how: "UTF-7", raw: m[0], text: fromUtf7(m[1] ?? "") });
  if ((text.match(STACKED)?.length ?? 0) >= 8)
    out.push({
      how: "stacked combining marks",
      raw: text,
      // Decomposed first: NFKC has composed some marks into their letters ("r" and an acute, "ŕ").
      text: text.normalize("NFD").replace(/(?<=[\p{L}\p{N}\p{P}\p{S}])\p{M}+/gu, ""),
    });
  for (const m of text.toLowerCase().matchAll(KEYED_RUN))
    if (!readsAsEnglish(m[0]))
      for (const [layout, keys] of Object.entries(OTHER_LAYOUTS))
        for (const [how, from, to] of [
          [`typed on QWERTY as ${layout}`, QWERTY, keys],
          [`typed on ${layout} as QWERTY`, keys, QWERTY],
        ] as const)
          out.push({ how, raw: m[0], mustRead: true, text: remap(m[0], from, to) });
  const keys = [...text.matchAll(CIPHER_KEY)].map((k) => k[1] ?? "");
  if (keys.length > 0)
    for (const m of text.matchAll(POSITIONS)) {
      const positions = (m[0].match(/\d+/gu) ?? []).map(Number);
      for (const key of keys)
        for (const base of [0, 1] as const) {
          const decoded = byPosition(key, positions, base);
          if (decoded !== undefined)
            out.push({
              how: "positions in a key string",
              raw: m[0],
              mustRead: true,
              text: decoded,
            });
        }
    }
  for (const m of text.matchAll(NUCLEOTIDE_RUN)) {
    const bases = m[0].replace(/\s+/gu, "");
    for (const order of permutations(BASES)) {
      const digit = new Map(order.map((b, i) => [b, i.toString(2).padStart(2, "0")]));
      out.push({
        how: "nucleotides as bits",
        raw: m[0],
        bytes: bitsToBytes([...bases].map((b) => digit.get(b as (typeof BASES)[number])).join("")),
      });
    }
  }
  for (const m of text.matchAll(ROMAN_RUN)) {
    spelled("Roman numerals", m[0], (m[0].match(/[MDCLXVI]+/gu) ?? []).map(fromRoman));
  }
  for (const m of text.matchAll(BASE91_RUN))
    if (
      /[!#$%&()*+,./:;<=>?@[\]^_`{|}~"]/u.test(m[0]) &&
      /[a-z]/u.test(m[0]) &&
      /[A-Z]/u.test(m[0])
    )
      out.push({ how: "basE91", raw: m[0], bytes: fromBase91(m[0]) });
  // What follows the key's name, up to the end of its paragraph, is read under that key.
  for (const m of text.matchAll(NAMED_KEY)) {
    const key = m[1] ?? "";
    const after = text.slice((m.index ?? 0) + m[0].length).split(/\n\s*\n/u)[0] ?? "";
    const run = after.replace(/^[^A-Za-z]*/u, "").slice(0, 600);
    if (run.length < 20 || readsAsEnglish(run)) continue;
    // The cipher text may follow a label ("calibration line: DTWJ…"), whose letters the key must
    // not be counted over.
    const labelled = /^[A-Za-z][\w -]{0,40}:\s*(\S[\s\S]*)$/u.exec(run)?.[1];
    for (const body of labelled === undefined ? [run] : [run, labelled])
      for (const how of ["vigenere", "beaufort", "variant"] as const)
        out.push({
          how: `${how === "vigenere" ? "Vigenère" : how === "beaufort" ? "Beaufort" : "variant Beaufort"} cipher, key ${key}`,
          raw: body,
          mustRead: true,
          text: withKey(body, key, how),
        });
  }
  for (const m of text.matchAll(CODE_CALLS))
    spelled("character codes as calls", m[0], (m[0].match(/\d+/gu) ?? []).map(Number));
  for (const m of text.matchAll(TEXT_RUN))
    if (!readsAsEnglish(m[0]))
      for (const sign of [-1, 1] as const)
        out.push({
          how: "a progressive shift",
          raw: m[0],
          mustRead: true,
          text: progressive(m[0], sign),
        });
  for (const m of text.matchAll(NONCHARACTER_NIBBLES)) {
    const hex = [...m[0]].map((c) => ((c.codePointAt(0) ?? 0xfdd0) - 0xfdd0).toString(16)).join("");
    out.push({
      how: "noncharacters as hex digits",
      raw: m[0],
      bytes: Buffer.from(hex.slice(0, hex.length & ~1), "hex"),
    });
  }
  if ((text.match(/[\u2C80-\u2CE3]/gu)?.length ?? 0) >= 8 && COPTIC.test(text))
    out.push({
      how: "Coptic look-alike letters",
      raw: text,
      text: text.replace(/[\u2C80-\u2CE3]/gu, (c) => COPTIC_LATIN[c] ?? c).toLowerCase(),
    });
  for (const m of text.matchAll(MAC_RUN))
    out.push({
      how: "bytes in MAC addresses",
      raw: m[0],
      bytes: Buffer.from((m[0].match(/[0-9a-f]{2}/giu) ?? []).join(""), "hex").filter(
        (b) => b !== 0,
      ),
    });
  for (const m of text.matchAll(ELEMENT_RUN))
    spelled(
      "chemical elements by atomic number",
      m[0],
      m[0].split(/[ ,]+/u).map((e) => ATOMIC.get(e) ?? 0),
    );
  // Only where the doubling is dense: English has "pop" and "tot" here and there, a run of
  // Rövarspråket has one in most words.
  for (const piece of text.split(/(?<=[.!?:\n])\s+/u)) {
    const doubled = piece.match(ROBBER)?.length ?? 0;
    const letters = piece.match(/[A-Za-z]/gu)?.length ?? 0;
    if (doubled >= 6 && (doubled * 3) / letters >= 0.3)
      out.push({
        how: "Rövarspråket",
        raw: piece,
        mustRead: true,
        text: piece.replace(ROBBER, "$1"),
      });
  }
  for (const m of text.matchAll(BASE62_RUN))
    if (/[A-Z]/u.test(m[0]) && /[a-z]/u.test(m[0]) && /\d/u.test(m[0]))
      out.push({ how: "base62", raw: m[0], bytes: fromBase62(m[0], BASE62) });
  // Most texts hold no letter of these alphabets: each is read only where it has eight or more.
  for (const alphabet of ALPHABETS) {
    const letters = text.match(alphabet.within);
    // Letters, not word marks, are counted.
    const counted = letters?.filter((c) => transliterated(c, alphabet, 0).trim() !== "") ?? [];
    if (letters === null || counted.length < 8) continue;
    // Quoted from the first letter of the alphabet on.
    const raw = text.slice(text.indexOf(letters[0] ?? ""));
    const readings = alphabet.letters.some((l) => l.includes("/"))
      ? ([0, 1] as const)
      : ([0] as const);
    for (const reading of readings)
      out.push({
        how: alphabet.name,
        raw,
        mustRead: true,
        text: transliterated(text, alphabet, reading).toLowerCase(),
      });
  }
  for (const m of text.matchAll(SYMBOL_GROUPS)) {
    const groups = m[0].split(/[ ,;]+/u).map((g) => [...g]);
    if (groups.every((g) => g.length === groups[0]?.length))
      for (const codes of symbolDigits(groups)) spelled("symbols as digits", m[0], codes);
  }
  for (const m of text.matchAll(SYMBOL_RUN)) {
    const symbols = [...m[0]];
    for (let width = 2; width <= 8; width++)
      if (symbols.length % width === 0) {
        const groups = Array.from({ length: symbols.length / width }, (_, i) =>
          symbols.slice(i * width, (i + 1) * width),
        );
        for (const codes of symbolDigits(groups)) spelled("symbols as digits", m[0], codes);
      }
  }
  for (const m of text.matchAll(QUERY_VALUE)) {
    const words = queryWords(m[1] ?? "");
    if (words !== undefined)
      out.push({ how: "a URL's query value", raw: m[0], mustRead: true, text: words });
  }
  if ((text.match(LETTER_SYMBOL)?.length ?? 0) >= 8)
    out.push({
      how: "letters as symbols",
      raw: text,
      mustRead: true,
      text: text.replace(LETTER_SYMBOL, letterOfSymbol),
    });
  for (const m of text.matchAll(HEXAGRAM_RUN)) {
    const digits = [...m[0].replace(/\s+/gu, "")]
      .map((c) => BASE64_DIGITS[(c.codePointAt(0) ?? 0x4dc0) - 0x4dc0] ?? "")
      .join("");
    out.push({
      how: "hexagrams as base64 digits",
      raw: m[0],
      bytes: Buffer.from(digits, "base64"),
    });
  }
  for (const m of text.matchAll(CELL_RUN)) {
    const joined = m[0].replace(/[,;\s]+/gu, "");
    if (joined.length < 40 || !/\d/u.test(joined) || !/[a-z]/u.test(joined)) continue;
    for (const [name, alphabet] of Object.entries(BASE32_ALPHABETS)) {
      const bytes = fromBase32With(joined, alphabet);
      if (bytes !== undefined) out.push({ how: `base32 (${name})`, raw: m[0], bytes });
    }
  }
  for (const m of text.matchAll(BECH32_RUN)) {
    const run = m[0].toLowerCase();
    const bytes = fromBase32With(run.slice(run.lastIndexOf("1") + 1, -6), BECH32);
    if (bytes !== undefined) out.push({ how: "bech32", raw: m[0], bytes });
  }
  const acrostic = firstWords(text);
  if (acrostic !== undefined)
    out.push({
      how: "first words of lines",
      raw: text,
      text: acrostic,
      mustRead: true,
      fromVisible: true,
    });
  if (LISU.test(text)) {
    const folded = text.replace(/[\uA4D0-\uA4FF]/gu, (c) => LISU_LATIN[c] ?? c);
    out.push({ how: "Lisu look-alike letters", raw: text, text: folded.toLowerCase() });
  }
  return out;
}
