import type { TrustMaterial } from "@sigstore/verify";
import { compileGlob } from "../policies/glob.ts";
import { evaluationFact } from "../policies/evaluation/facts.ts";
import {
  PREDICATE_TYPE,
  readStatement,
  type EvaluationPredicate,
} from "../policies/evaluation/predicate.ts";
import { createClusterState } from "../policies/workload/cluster-state.ts";
import { judgeWorkload } from "../policies/workload/engine.ts";
import type { CompiledPolicy } from "../policies/workload/policy.ts";
import { toWorkload } from "../policies/workload/workload.ts";
import type { RegistryClient } from "../supply-chain/registry/client.ts";
import type { EvidenceProvider } from "../supply-chain/verify/evidence.ts";
import { gatherAttestations } from "../supply-chain/verify/gather.ts";
import { trustFrom } from "../supply-chain/verify/keyless.ts";
import { trustedKeys } from "../supply-chain/verify/trusted-keys.ts";
import { GatewayError } from "./errors.ts";

/** The evaluation the gateway holds the server to: verified, passing, and the newest such. */
export interface ApprovedEvaluation {
  digest: string;
  predicate: EvaluationPredicate;
  signer: string;
}

/**
 * Verifies `image` as admission does (the policy's enabled `image/*` rules: signed by a trusted
 * signer, a fresh passing evaluation) and returns the newest verified, passing evaluation.
 * @throws GatewayError EVALUATION_REJECTED with every denying finding
 */
export async function approvedEvaluation(opts: {
  image: string;
  policy: CompiledPolicy;
  provide: EvidenceProvider;
  client: RegistryClient;
  trustedRoot: TrustMaterial | undefined;
  timeoutMs: number;
  now: Date;
}): Promise<ApprovedEvaluation> {
  const { image, policy } = opts;
  if (!/@sha256:[0-9a-f]{64}$/.test(image))
    throw new GatewayError(
      "CONFIG",
      `--server-image ${image} must be pinned by digest (REF@sha256:…)`,
    );
  const evidence = await opts.provide([image], policy);
  const pod = toWorkload({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "gateway" },
    spec: { containers: [{ name: "server", image }] },
  });
  const decision = judgeWorkload(pod, {
    policy,
    cluster: createClusterState({}),
    now: opts.now,
    evidence,
    only: [compileGlob("image/*")],
  });
  const denying = decision.findings.filter((f) => f.action === "enforce");
  if (!decision.allowed)
    throw new GatewayError(
      "EVALUATION_REJECTED",
      `${image} is not admitted by policy ${policy.name}`,
      {
        problems: denying.map((f) => ({ path: f.rule, message: f.message })),
      },
    );
  const keyless =
    opts.trustedRoot !== undefined && policy.keylessIdentities.length > 0
      ? trustFrom(opts.trustedRoot, policy.keylessIdentities)
      : undefined;
  const found = await gatherAttestations(opts.client, image, PREDICATE_TYPE, {
    keys: trustedKeys(policy.trustedSigners),
    ...(keyless ? { keyless } : {}),
    timeoutMs: opts.timeoutMs,
  });
  const digest = found.digest ?? image.slice(image.lastIndexOf("@") + 1);
  const passing = found.verified.flatMap(({ signer, statement }) => {
    try {
      const predicate = readStatement(statement, digest);
      return evaluationFact({ predicate, signer }).verdict === "pass"
        ? [{ digest, predicate, signer }]
        : [];
    } catch {
      return [];
    }
  });
  passing.sort((a, b) => Date.parse(b.predicate.time) - Date.parse(a.predicate.time));
  const newest = passing[0];
  if (newest === undefined)
    throw new GatewayError("EVALUATION_REJECTED", `${image} has no verified, passing evaluation`);
  return newest;
}
