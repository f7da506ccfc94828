import type { ImageFacts } from "../../policies/workload/image-evidence.ts";

export interface FactsCacheOptions {
  /** How long a verified result is reused. */
  successTtlMs: number;
  /** How long a failure (nothing verified, or the registry failed) is reused: briefly. */
  failureTtlMs: number;
  /** Entries kept at most; the least recently used go first. */
  maxEntries: number;
  now?: () => number;
}

export const DEFAULT_CACHE_OPTIONS: FactsCacheOptions = {
  successTtlMs: 10 * 60_000,
  failureTtlMs: 10_000,
  maxEntries: 10_000,
};

/** Looks an image up in the registry and verifies what it finds, in a scope (policy and credentials). */
export type Gather = (
  reference: string,
  scope: string,
  signal?: AbortSignal,
) => Promise<ImageFacts>;

interface Entry {
  facts: ImageFacts;
  expires: number;
  /** When the entry last moved to the back of the eviction order, in insertions. */
  placed: number;
}

function succeeded(facts: ImageFacts): boolean {
  return facts.lookupError === undefined && facts.verifiedSignatures.length > 0;
}

/**
 * Registry facts per image reference and scope (policy digest and credential set): successes are kept longer, failures
 * briefly (a newly pushed signature shows up soon), the size is bounded, and concurrent lookups
 * of the same image share one registry round trip.
 */
export class FactsCache {
  private readonly gather: Gather;
  private readonly opts: FactsCacheOptions;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<ImageFacts>>();
  /** Insertions so far: an entry's age in the eviction order. */
  private placements = 0;
  hits = 0;
  misses = 0;

  constructor(gather: Gather, opts: Partial<FactsCacheOptions> = {}) {
    this.gather = gather;
    this.opts = { ...DEFAULT_CACHE_OPTIONS, ...opts };
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached facts, if fresh; synchronous, for the hot path. */
  peek(reference: string, scope: string): ImageFacts | undefined {
    const key = `${scope}\n${reference}`;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Map order is the eviction order. Moving an entry to the back on every hit (a delete and a set)
    // cost more as the map grew (about 100 µs a hit at 100,000 entries); it moves only once a
    // quarter of the cache has been placed after it, so a hit is a lookup, and an entry hit at
    // least once per three quarters of the cache's placements still never reaches the front.
    if (this.placements - entry.placed > this.opts.maxEntries / 4) this.place(key, entry);
    return entry.facts;
  }

  /** The cached facts, if fresh, counted as a hit; undefined (nothing counted) otherwise. */
  fresh(reference: string, scope: string): ImageFacts | undefined {
    const cached = this.peek(reference, scope);
    if (cached) this.hits++;
    return cached;
  }

  async get(reference: string, scope: string, signal?: AbortSignal): Promise<ImageFacts> {
    const cached = this.peek(reference, scope);
    if (cached) {
      this.hits++;
      return cached;
    }
    this.misses++;
    const key = `${scope}\n${reference}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.gather(reference, scope, signal).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
      void pending.then(
        (facts) => this.store(key, facts),
        () => undefined,
      );
    }
    return pending;
  }

  private store(key: string, facts: ImageFacts): void {
    const ttl = succeeded(facts) ? this.opts.successTtlMs : this.opts.failureTtlMs;
    this.place(key, { facts, expires: this.now() + ttl, placed: 0 });
    while (this.entries.size > this.opts.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Puts the entry at the back of the eviction order. */
  private place(key: string, entry: Entry): void {
    entry.placed = ++this.placements;
    this.entries.delete(key);
    this.entries.set(key, entry);
  }
}
