import fitted from "./model.json" with { type: "json" };
import { featureCounts, type FeatureCounts } from "./model-features.ts";

/**
 * The definition model: a logistic regression over the tf-idf weights of a definition's word and
 * character n-grams (`model-features.ts`), fitted on the description corpora by
 * `scripts/description-model/` and shipped as `model.json` (nothing is downloaded or fitted at
 * run time). It reads a definition as a whole — every text of it a model reads, with what those
 * texts hide — where the rules read it sentence by sentence; each view answers for what the other
 * misses (see `decide` in description-safety.ts).
 */

interface Block {
  features: string[];
  idf: number[];
  weights: number[];
}
interface Fitted {
  intercept: number;
  words: Block;
  chars: Block;
}

type Table = Map<string, { idf: number; weight: number }>;
interface Tables {
  intercept: number;
  words: Table;
  chars: Table;
}

function tablesOf(model: Fitted): Tables {
  const table = (b: Block): Table => {
    const t: Table = new Map();
    b.features.forEach((f, i) => t.set(f, { idf: b.idf[i] ?? 0, weight: b.weights[i] ?? 0 }));
    return t;
  };
  return { intercept: model.intercept, words: table(model.words), chars: table(model.chars) };
}

let shipped: Tables | undefined;
// Built on first use: the Action and the CLI load this module whether or not they judge a server.
const load = (): Tables => (shipped ??= tablesOf(fitted));

/** What the model made of a definition. */
export interface ModelReading {
  /** The probability that the definition is poisoned, 0 to 1. */
  score: number;
  /** The word n-grams that pushed the score up most, most first (worked out when asked). */
  telling: () => string[];
}

/** Each block's terms weighted (sublinear tf × idf), scaled to unit length, then summed. */
function contributions(counts: Map<string, number>, table: Table): [string, number][] {
  const terms: [string, number, number][] = [];
  let norm = 0;
  for (const [feature, count] of counts) {
    const entry = table.get(feature);
    if (entry === undefined) continue;
    const w = (1 + Math.log(count)) * entry.idf;
    norm += w * w;
    terms.push([feature, w, entry.weight]);
  }
  const scale = norm === 0 ? 0 : 1 / Math.sqrt(norm);
  return terms.map(([f, w, weight]) => [f, w * scale * weight]);
}

const TELLING = 4;
// What is said to a reviewer: n-grams with a word of four letters or more ("notes field", not
// "so the"), which name what the definition is about.
const SAYS_SOMETHING = /[\p{L}\p{N}_]{4,}/u;

/** The model's reading of a definition's texts (normalised, with what they hide). */
export function readDefinition(texts: readonly string[]): ModelReading {
  return readWith(load(), texts);
}

/** A fitted model's two readings: of a definition, and of how many of a text's words it knows. */
export interface FittedModel {
  read: (texts: readonly string[]) => ModelReading;
  knownShare: (text: string) => number;
}

/**
 * Other fitted weights (`model.json`'s format) as a model: what `train.sh --models` writes for each
 * earlier holdout left out, to choose thresholds on readings the fit never saw.
 */
export function fittedModel(model: unknown): FittedModel {
  const t = tablesOf(model as Fitted);
  return { read: (texts) => readWith(t, texts), knownShare: (text) => knownWith(t, text) };
}

function readWith(t: Tables, texts: readonly string[]): ModelReading {
  const { words, chars }: FeatureCounts = featureCounts(texts);
  const byWord = contributions(words, t.words);
  let logit = t.intercept;
  for (const [, c] of byWord) logit += c;
  for (const [, c] of contributions(chars, t.chars)) logit += c;
  const telling = () =>
    byWord
      .filter(([f, c]) => c > 0 && SAYS_SOMETHING.test(f))
      .sort((a, b) => b[1] - a[1])
      .slice(0, TELLING)
      .map(([f]) => f.slice(2));
  return { score: 1 / (1 + Math.exp(-logit)), telling };
}

/**
 * The share of a text's words the model was fitted on (0 to 1): how much of it the model can read
 * at all. Text in a language the corpora never held reads as unknown words, and the model's
 * probability for it says nothing either way.
 */
export function knownShare(text: string): number {
  return knownWith(load(), text);
}

function knownWith(t: Tables, text: string): number {
  const { words } = featureCounts([text]);
  let all = 0;
  let known = 0;
  for (const [feature, count] of words) {
    if (feature.includes(" ")) continue;
    all += count;
    if (t.words.has(feature)) known += count;
  }
  return all === 0 ? 1 : known / all;
}
