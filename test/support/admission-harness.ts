/**
 * The webhook app with real registry evidence, for tests that judge images in a registry: a
 * policy trusting one key, `buildApp` with `registryEvidence`, and one AdmissionReview per call.
 */
import type { KeyObject } from "node:crypto";
import { Writable } from "node:stream";
import { pino } from "pino";
import { createClusterState } from "../../policies/workload/cluster-state.ts";
import { parseNetworkPolicy } from "../../policies/workload/network-policy.ts";
import { compilePolicy, type CompiledPolicy } from "../../policies/workload/policy.ts";
import { RegistryClient, type RegistryClientOptions } from "../../supply-chain/registry/client.ts";
import { registryEvidence } from "../../supply-chain/verify/evidence.ts";
import type { FactsCache, FactsCacheOptions } from "../../supply-chain/verify/facts-cache.ts";
import type { DecisionCache } from "../../webhook/decision-cache.ts";
import { buildApp } from "../../webhook/app.ts";
import { createMetrics } from "../../webhook/metrics.ts";
import { compliantPodSpec, denyAll, policyWith } from "./policies.ts";

/** The policy document: every rule enforced, one trusted key, `admission/error` as given. */
export function keyPolicyDocument(publicKey: KeyObject, admissionError: "enforce" | "audit") {
  return policyWith({
    rules: {
      "*": "enforce",
      "credentials/no-secret-env": "warn",
      "admission/error": admissionError,
    },
    images: {
      trustedSigners: [
        { key: { publicKey: publicKey.export({ type: "spki", format: "pem" }).toString() } },
      ],
      evaluation: { minTrustLevel: "L3", maxAge: "720h" },
    },
  });
}

export function keyPolicy(
  publicKey: KeyObject,
  admissionError: "enforce" | "audit",
): CompiledPolicy {
  return compilePolicy(keyPolicyDocument(publicKey, admissionError));
}

export interface AdmissionResult {
  allowed: boolean;
  message: string;
  elapsedMs: number;
}

export interface Webhook {
  admit(images: readonly string[], uid?: string): Promise<AdmissionResult>;
  /** The registry facts cache behind the app. */
  cache: FactsCache;
  /** The decision cache, when the app was given one. */
  decisions: DecisionCache | undefined;
  close(): Promise<void>;
}

/** `buildApp` as `serve` builds it, with a real registry client and the given deadline. */
export function webhook(
  policy: CompiledPolicy,
  opts: {
    deadlineMs: number;
    /** The clock: a fixed instant, or a function read at each decision and cache lookup. */
    now: Date | (() => Date);
    client?: RegistryClientOptions | RegistryClient;
    /** Reuse decisions through this cache (as `serve` does). */
    decisions?: DecisionCache;
    cache?: Partial<FactsCacheOptions>;
  },
): Webhook {
  const client =
    opts.client instanceof RegistryClient ? opts.client : new RegistryClient(opts.client ?? {});
  const clock = typeof opts.now === "function" ? opts.now : () => opts.now as Date;
  // The facts cache keeps real time unless told otherwise: fault tests wait for failures to expire.
  const evidence = registryEvidence(() => client, opts.cache ? { cache: opts.cache } : {});
  // One cluster state for the app's life, as the watches keep it while nothing changes.
  const cluster = createClusterState({ networkPolicies: [parseNetworkPolicy(denyAll("team-a"))] });
  const state = {
    snapshot: () => ({ policy, cluster, ready: true, watches: [] }),
    close: () => Promise.resolve(),
  };
  const sink = new Writable({ write: (_c, _e, done) => done() });
  const app = buildApp(
    {
      logger: pino({ level: "info" }, sink),
      bodyLimit: 1 << 20,
      maxJsonDepth: 64,
      deadlineMs: opts.deadlineMs,
    },
    {
      state,
      metrics: createMetrics(),
      now: clock,
      // As `serve` wires it: cached facts answer at once, the rest are looked up.
      evidence: evidence.provide,
      cachedEvidence: evidence.cached,
      decisions: opts.decisions,
    },
  );
  return {
    async admit(images, uid = "u1") {
      const spec = compliantPodSpec();
      const template = (spec.containers as Record<string, unknown>[])[0]!;
      spec.containers = images.map((image, i) => ({ ...template, name: `c${i}`, image }));
      const started = performance.now();
      const res = await app.inject({
        method: "POST",
        url: "/validate",
        payload: {
          apiVersion: "admission.k8s.io/v1",
          kind: "AdmissionReview",
          request: {
            uid,
            kind: { group: "", version: "v1", kind: "Pod" },
            namespace: "team-a",
            operation: "CREATE",
            object: {
              apiVersion: "v1",
              kind: "Pod",
              metadata: { name: "p", labels: { app: "p" } },
              spec,
            },
          },
        },
      });
      const elapsedMs = performance.now() - started;
      const response = res.json<{ response: { allowed: boolean; status?: { message: string } } }>()
        .response;
      return { allowed: response.allowed, message: response.status?.message ?? "", elapsedMs };
    },
    cache: evidence.cache,
    decisions: opts.decisions,
    close: () => app.close(),
  };
}
