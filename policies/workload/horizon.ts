/**
 * Until when a decision stands exactly as it is. Rules that read the clock bound it with the
 * instant their verdict or its words could change (an evaluation growing stale, an exception
 * expiring); the webhook reuses a decision for the same review only before then.
 */
export class Horizon {
  /** Epoch milliseconds: the decision holds at every instant before it, from when it was made. */
  until = Number.POSITIVE_INFINITY;

  /** The decision may read differently from `ms` on. */
  bound(ms: number): void {
    if (ms < this.until) this.until = ms;
  }
}
