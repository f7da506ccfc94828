import type { ImageEvidence, ImageFacts } from "../../policies/workload/image-evidence.ts";
import type { CompiledPolicy } from "../../policies/workload/policy.ts";
import type { RegistryClient } from "../registry/client.ts";
import type { CredentialSource } from "../registry/credentials.ts";
import { LIMITS } from "../registry/limits.ts";
import { FactsCache, type FactsCacheOptions } from "./facts-cache.ts";
import { parseImageReference } from "../../policies/workload/image-reference.ts";
import { gatherImageFacts } from "./gather.ts";
import type { TrustMaterial } from "@sigstore/verify";
import { trustFrom, type KeylessTrust } from "./keyless.ts";
import { trustedKeys, type TrustedKey } from "./trusted-keys.ts";

/** Credentials for one request (a pod's pull secrets), with an id that changes when they do. */
export interface RequestCredentials {
  id: string;
  source: CredentialSource;
}

/** Registry facts for a set of images under a policy, as the engine's `ImageEvidence`. */
export type EvidenceProvider = (
  references: readonly string[],
  policy: CompiledPolicy,
  signal?: AbortSignal,
  credentials?: RequestCredentials,
) => Promise<ImageEvidence>;

/** Evidence answered from the cache, which can tell whether the cache still holds it. */
export interface CachedImageEvidence extends ImageEvidence {
  /** False once any of its facts has expired or been replaced in the cache. */
  current(): boolean;
}

/**
 * The same evidence when every image's facts are cached and fresh, at once and without a lookup;
 * undefined when any image would need one.
 */
export type CachedEvidence = (
  references: readonly string[],
  policy: CompiledPolicy,
  credentials?: RequestCredentials,
) => CachedImageEvidence | undefined;

/** Policies and credential sets seen recently; each is prepared once. */
const MAX_POLICIES = 16;
const MAX_CLIENTS = 256;

export interface RegistryEvidence {
  provide: EvidenceProvider;
  cached: CachedEvidence;
  cache: FactsCache;
}

/**
 * The part of an admission's deadline its registry lookups may use: they must end (and deny
 * through `image/*`) before the admission itself times out, which would be `admission/error`.
 */
export function lookupDeadlineMs(admissionDeadlineMs: number): number {
  return Math.max(1, Math.floor(admissionDeadlineMs * LIMITS.lookupShareOfAdmissionDeadline));
}

function failed(lookupError: string): ImageFacts {
  return {
    lookupError,
    verifiedSignatures: [],
    rejectedSignatures: [],
    verifiedEvaluations: [],
    rejectedEvaluations: [],
  };
}

/** At most `max` holders at once; waiting ends with false when `signal` aborts first. */
export class Slots {
  private free: number;
  private readonly capacity: number;
  private readonly waiting: (() => void)[] = [];

  constructor(max: number) {
    this.free = max;
    this.capacity = max;
  }

  async acquire(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    if (this.free > 0) {
      this.free--;
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const grant = () => {
        signal?.removeEventListener("abort", give);
        resolve(true);
      };
      const give = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(false);
      };
      this.waiting.push(grant);
      signal?.addEventListener("abort", give, { once: true });
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }

  /** Nobody holds or waits for a slot. */
  get idle(): boolean {
    return this.waiting.length === 0 && this.free === this.max;
  }

  get max(): number {
    return this.capacity;
  }
}

/**
 * Slots for lookups: a few at once in all (what bounds their memory), and fewer per registry,
 * so that one slow registry cannot hold every slot while other images wait.
 */
class LookupSlots {
  private readonly all: Slots;
  private readonly perRegistry = new Map<string, Slots>();
  private readonly maxPerRegistry: number;

  constructor(max: number, maxPerRegistry: number) {
    this.all = new Slots(max);
    this.maxPerRegistry = Math.min(max, maxPerRegistry);
  }

  /** Runs `work` in a slot; undefined when `signal` aborted while waiting for one. */
  async run<T>(
    registry: string,
    signal: AbortSignal | undefined,
    work: () => Promise<T>,
  ): Promise<T | undefined> {
    let own = this.perRegistry.get(registry);
    if (!own) {
      own = new Slots(this.maxPerRegistry);
      this.perRegistry.set(registry, own);
    }
    const slots = own;
    if (!(await slots.acquire(signal))) return this.forget(registry, slots);
    try {
      if (!(await this.all.acquire(signal))) return undefined;
      try {
        return await work();
      } finally {
        this.all.release();
      }
    } finally {
      slots.release();
      this.forget(registry, slots);
    }
  }

  private forget(registry: string, slots: Slots): undefined {
    if (slots.idle && this.perRegistry.get(registry) === slots) this.perRegistry.delete(registry);
    return undefined;
  }
}

/** `work`, or failed facts as soon as `signal` aborts: a shared lookup never outlasts a caller. */
async function withinSignal(
  work: Promise<ImageFacts>,
  signal: AbortSignal | undefined,
): Promise<ImageFacts> {
  if (!signal) return work;
  if (signal.aborted) return failed("the lookup was cancelled (the caller's deadline passed)");
  let onAbort = () => {};
  const aborted = new Promise<ImageFacts>((resolve) => {
    onAbort = () => resolve(failed("the lookup was cancelled (the caller's deadline passed)"));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

interface Scope {
  trust: { keys: TrustedKey[]; keyless?: KeylessTrust };
  client: RegistryClient;
}

/**
 * Evidence from the registry: each image's signatures and evaluations, verified against the
 * policy's trusted signers, cached per image, policy digest and credential set. `makeClient`
 * gives a registry client for a request's credentials (none: the default ones).
 */
export function registryEvidence(
  makeClient: (credentials?: CredentialSource) => RegistryClient,
  opts: {
    cache?: Partial<FactsCacheOptions>;
    /** Loaded and checked where it is configured (`usableTrustedRoot`). */
    trustedRoot?: TrustMaterial | undefined;
    /** One deadline per image lookup (default LIMITS.lookupTimeoutMs). */
    lookupTimeoutMs?: number;
    /** Lookups at once (default LIMITS.maxConcurrentLookups): what bounds their memory. */
    maxConcurrentLookups?: number;
  } = {},
): RegistryEvidence {
  const trustByPolicy = new Map<string, Scope["trust"]>();
  const clients = new Map<string, RegistryClient>();
  const scopes = new Map<string, Scope>();
  const slots = new LookupSlots(
    opts.maxConcurrentLookups ?? LIMITS.maxConcurrentLookups,
    LIMITS.maxConcurrentLookupsPerRegistry,
  );
  const cache = new FactsCache(async (reference, scopeKey, signal) => {
    const scope = scopes.get(scopeKey);
    if (!scope) throw new Error(`no verification scope ${scopeKey}`);
    const parsed = parseImageReference(reference);
    const registry = parsed.ok ? parsed.value.registry : "";
    const gatherOpts = {
      ...scope.trust,
      signal,
      ...(opts.lookupTimeoutMs === undefined ? {} : { timeoutMs: opts.lookupTimeoutMs }),
    };
    const facts = await slots.run(registry, signal, () =>
      gatherImageFacts(scope.client, reference, gatherOpts),
    );
    return facts ?? failed("the lookup was cancelled while waiting for other lookups to finish");
  }, opts.cache);

  const trustFor = (policy: CompiledPolicy) => {
    let trust = trustByPolicy.get(policy.digest);
    if (!trust) {
      if (trustByPolicy.size >= MAX_POLICIES) trustByPolicy.clear();
      const keyless =
        opts.trustedRoot !== undefined && policy.keylessIdentities.length > 0
          ? trustFrom(opts.trustedRoot, policy.keylessIdentities)
          : undefined;
      trust = { keys: trustedKeys(policy.trustedSigners), ...(keyless ? { keyless } : {}) };
      trustByPolicy.set(policy.digest, trust);
    }
    return trust;
  };
  const clientFor = (credentials?: RequestCredentials) => {
    const id = credentials?.id ?? "";
    let client = clients.get(id);
    if (!client) {
      if (clients.size >= MAX_CLIENTS) clients.clear();
      client = makeClient(credentials?.source);
      clients.set(id, client);
    }
    return client;
  };

  // What a registry shows depends on who asks: results are kept per credential set too.
  const scopeFor = (policy: CompiledPolicy, credentials?: RequestCredentials) => {
    const scopeKey = `${policy.digest}|${credentials?.id ?? ""}`;
    if (!scopes.has(scopeKey)) {
      if (scopes.size >= MAX_CLIENTS) scopes.clear();
      scopes.set(scopeKey, { trust: trustFor(policy), client: clientFor(credentials) });
    }
    return scopeKey;
  };
  const evidenceOf = (unique: string[], facts: (ImageFacts | undefined)[]): ImageEvidence => {
    const byReference = new Map(unique.map((r, i) => [r, facts[i]]));
    return { forImage: (reference) => byReference.get(reference) };
  };

  const cached: CachedEvidence = (references, policy, credentials) => {
    const scopeKey = scopeFor(policy, credentials);
    const unique = [...new Set(references)];
    const facts = unique.map((r) => cache.peek(r, scopeKey));
    if (facts.some((f) => f === undefined)) return undefined;
    cache.hits += facts.length;
    return {
      ...evidenceOf(unique, facts),
      current: () => unique.every((r, i) => cache.peek(r, scopeKey) === facts[i]),
    };
  };

  const provide: EvidenceProvider = async (references, policy, signal, credentials) => {
    const scopeKey = scopeFor(policy, credentials);
    const unique = [...new Set(references)];
    // The warm path: cached images are answered as they are, without a race against the signal.
    const facts = unique.map((r) => cache.fresh(r, scopeKey));
    const missing = unique.filter((_, i) => facts[i] === undefined);
    if (missing.length > 0) {
      const found = await Promise.all(
        missing.map((r) => withinSignal(cache.get(r, scopeKey, signal), signal)),
      );
      let next = 0;
      for (let i = 0; i < facts.length; i++) facts[i] ??= found[next++];
    }
    return evidenceOf(unique, facts);
  };
  return { provide, cached, cache };
}
