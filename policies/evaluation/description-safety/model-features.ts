/**
 * The features the definition model (`model.ts`) reads: word unigrams and bigrams (`w:`) and
 * character 3- to 5-grams inside each word (`c:`), counted over everything of one definition a
 * model reads. Training (`scripts/description-model/`) and scoring both count with this one
 * function, so the fitted weights always meet the features they were fitted on.
 */

/** Term counts of one definition, by block. */
export interface FeatureCounts {
  words: Map<string, number>;
  chars: Map<string, number>;
}

// Letters with their combining marks (Gujarati, Khmer and Telugu vowel signs are marks), digits
// and the underscore: `read_file` stays one word, as a model reads a tool name.
const WORD = /[\p{L}\p{M}\p{N}_]{2,}/gu;
// A definition longer than this is counted on its first part: the bound keeps scoring linear in
// a size the gate accepts anyway.
const MAX_CHARS = 50_000;
const CHAR_GRAMS = [3, 4, 5] as const;
const ASTRAL = /[\u{10000}-\u{10FFFF}]/u;

const bump = (m: Map<string, number>, key: string): void => {
  m.set(key, (m.get(key) ?? 0) + 1);
};

/** The feature counts of a definition's texts (already normalised and decoded). */
export function featureCounts(texts: readonly string[]): FeatureCounts {
  const words = new Map<string, number>();
  const chars = new Map<string, number>();
  let budget = MAX_CHARS;
  for (const raw of texts) {
    if (budget <= 0) break;
    const text = raw.slice(0, budget).toLowerCase();
    budget -= text.length;
    let previous: string | undefined;
    for (const [word] of text.matchAll(WORD)) {
      bump(words, `w:${word}`);
      if (previous !== undefined) bump(words, `w:${previous} ${word}`);
      previous = word;
    }
    for (const token of text.split(/\s+/u)) {
      if (token === "") continue;
      const padded = ` ${token} `;
      // Characters, not UTF-16 units: split into code points only when the word has astral ones.
      if (ASTRAL.test(padded)) {
        const points = [...padded];
        for (const n of CHAR_GRAMS)
          for (let i = 0; i + n <= points.length; i++)
            bump(chars, `c:${points.slice(i, i + n).join("")}`);
      } else
        for (const n of CHAR_GRAMS)
          for (let i = 0; i + n <= padded.length; i++) bump(chars, `c:${padded.slice(i, i + n)}`);
    }
  }
  return { words, chars };
}
