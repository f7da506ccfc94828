/**
 * Further ways to write text a model can read back and a person does not: Braille patterns and
 * octal, binary or whitespace bits as bytes, Morse code, Ascii85, Lisu letters that look like Latin
 * capitals, variation selectors a nibble each. Each decoder gives what it decodes when that reads
 * as text; whether it says anything is for the judge to tell. (Ciphers read line by line, ROT13,
 * Atbash and reversal, are in normalize.ts.)
 */

/** One decoded run: how it was written, the run as found, and the text it decodes to. */
export interface Decoded {
  how: string;
  raw: string;
  bytes?: Uint8Array;
  text?: string;
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

/** Every run of `text` written in one of the encodings above, with what it decodes to. */
export function decodeMore(text: string): Decoded[] {
  const out: Decoded[] = [];
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
  for (const m of text.matchAll(BINARY))
    out.push({ how: "binary", raw: m[0], bytes: bitsToBytes(m[0].replace(/[^01]/gu, "")) });
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
  if (LISU.test(text)) {
    const folded = text.replace(/[\uA4D0-\uA4FF]/gu, (c) => LISU_LATIN[c] ?? c);
    out.push({ how: "Lisu look-alike letters", raw: text, text: folded.toLowerCase() });
  }
  return out;
}
