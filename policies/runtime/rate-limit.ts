/**
 * Per-agent rate limits (the policy's `spec.runtime.rateLimit`): a token bucket that refills
 * `requestsPerSecond` tokens a second up to `burst`. Pure: the edge keeps the buckets and passes
 * the time.
 */

export interface RateLimit {
  requestsPerSecond: number;
  burst: number;
}

export interface Bucket {
  tokens: number;
  /** Milliseconds since the epoch of the last refill. */
  updated: number;
}

export interface Take {
  allowed: boolean;
  bucket: Bucket;
  /** Whole seconds until a token is available; 0 when allowed. */
  retryAfterSeconds: number;
}

/** Takes one token from `bucket` (a new bucket starts full) at `nowMs`. */
export function takeToken(bucket: Bucket | undefined, limit: RateLimit, nowMs: number): Take {
  const start = bucket ?? { tokens: limit.burst, updated: nowMs };
  // A clock that went back refills nothing, rather than draining the bucket.
  const elapsed = Math.max(0, nowMs - start.updated) / 1000;
  const tokens = Math.min(limit.burst, start.tokens + elapsed * limit.requestsPerSecond);
  if (tokens >= 1)
    return { allowed: true, bucket: { tokens: tokens - 1, updated: nowMs }, retryAfterSeconds: 0 };
  return {
    allowed: false,
    bucket: { tokens, updated: nowMs },
    retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / limit.requestsPerSecond)),
  };
}
