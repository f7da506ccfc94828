// Open-loop load at a steady rate: requests leave on a fixed schedule whether or not earlier ones
// have been answered, so a slow answer cannot hold the next request back and hide its own delay
// (autocannon's rate limit lets each connection send its quota for a second back to back and
// then wait: bursts of `connections` requests, not a steady rate).

export interface Measured {
  /** Milliseconds from each request's departure to its answer, in order of answer. */
  latencies: number[];
  /** Requests that failed or went unanswered. */
  lost: number;
}

/**
 * `count` requests to each target at `rate` per second, side by side: the i-th target's requests
 * leave i/targets.length of an interval after the first's, and which goes first alternates, so
 * each meets the machine's other work alike. Stops sending after `deadlineMs`.
 * `send` resolves to the latency in milliseconds, or undefined when the request failed.
 */
export async function paced(
  targets: (() => Promise<number | undefined>)[],
  rate: number,
  count: number,
  deadlineMs: number,
): Promise<Measured[]> {
  const out = targets.map(() => ({ latencies: [] as number[], lost: 0 }));
  const pending: Promise<void>[] = [];
  const interval = 1000 / rate;
  const slot = interval / targets.length;
  const start = performance.now();
  for (let i = 0; i < count && performance.now() - start < deadlineMs; i++) {
    for (let k = 0; k < targets.length; k++) {
      const j = (k + i) % targets.length;
      const wait = start + i * interval + k * slot - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const m = out[j]!;
      pending.push(
        targets[j]!().then((ms) => {
          if (ms === undefined) m.lost++;
          else m.latencies.push(ms);
        }),
      );
    }
  }
  await Promise.all(pending);
  return out;
}

/** The q-quantile (0..1) of a list of numbers. */
export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}
