/** A `*` glob over rule ids (or namespace names): `*` matches any run of characters, `/` included. */
export interface Glob {
  source: string;
  /** Literal characters: the more, the more specific. */
  specificity: number;
  matches(value: string): boolean;
}

export function compileGlob(source: string): Glob {
  const escaped = source
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\/-]/g, "\\$&"))
    .join(".*");
  const re = new RegExp(`^${escaped}$`);
  return {
    source,
    specificity: source.replaceAll("*", "").length,
    matches: (value) => re.test(value),
  };
}

/** The matching glob with the most literal characters; ties go to the one with fewer wildcards. */
export function mostSpecific<G extends Glob>(globs: readonly G[], value: string): G | undefined {
  let best: G | undefined;
  for (const g of globs) {
    if (!g.matches(value)) continue;
    if (
      !best ||
      g.specificity > best.specificity ||
      (g.specificity === best.specificity && wildcards(g) < wildcards(best))
    ) {
      best = g;
    }
  }
  return best;
}

function wildcards(g: Glob): number {
  return g.source.split("*").length - 1;
}
