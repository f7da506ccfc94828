import type { LabelSelector, Labels } from "./k8s-types.ts";
import { selectorMatches } from "./label-selector.ts";

/**
 * Objects with a label selector, indexed so that finding those selecting a set of labels looks
 * only at candidates: each selector is filed under one label it requires (a matchLabels pair, an
 * In requirement's values, or an Exists key), and only selectors that require no label are
 * candidates for every lookup. The answer is exactly the objects whose selector matches, in the
 * order they were given: admission time stays flat however many policies a namespace holds.
 */
export interface SelectorIndex<T> {
  selecting(labels: Labels): T[];
  readonly all: readonly T[];
}

const PAIR = "\u0000";

export function selectorIndex<T>(
  items: readonly T[],
  selectorOf: (item: T) => LabelSelector | undefined,
): SelectorIndex<T> {
  const byPair = new Map<string, number[]>();
  const byKey = new Map<string, number[]>();
  const always: number[] = [];
  const file = (map: Map<string, number[]>, key: string, i: number) => {
    const list = map.get(key);
    if (list) list.push(i);
    else map.set(key, [i]);
  };
  items.forEach((item, i) => {
    const selector = selectorOf(item);
    const pair = Object.entries(selector?.matchLabels ?? {})[0];
    if (pair) return file(byPair, `${pair[0]}${PAIR}${pair[1]}`, i);
    const required = (selector?.matchExpressions ?? []).find(
      (r) => r.operator === "In" || r.operator === "Exists",
    );
    if (required?.operator === "In") {
      // A pod carries one value per key, so it meets this selector in one bucket at most.
      for (const v of new Set(required.values ?? [])) file(byPair, `${required.key}${PAIR}${v}`, i);
      return;
    }
    if (required) return file(byKey, required.key, i);
    always.push(i);
  });
  return {
    all: items,
    selecting(labels) {
      const candidates = [...always];
      for (const [key, value] of Object.entries(labels)) {
        const withPair = byPair.get(`${key}${PAIR}${value}`);
        if (withPair) candidates.push(...withPair);
        const withKey = byKey.get(key);
        if (withKey) candidates.push(...withKey);
      }
      if (candidates.length > always.length) candidates.sort((a, b) => a - b);
      const out: T[] = [];
      for (const i of candidates) {
        const item = items[i]!;
        if (selectorMatches(selectorOf(item), labels)) out.push(item);
      }
      return out;
    },
  };
}
