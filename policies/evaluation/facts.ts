import { InputError, type InputErrorCode } from "../errors.ts";
import type { ImageFacts } from "../workload/image-evidence.ts";
import { imageEvidenceOf } from "./evidence.ts";
import { readStatement, type EvaluationPredicate } from "./predicate.ts";

/** What `image/evaluated` judges of one evaluation: verdict, level, time and who signed it. */
export type EvaluationFact = ImageFacts["verifiedEvaluations"][number];

/** A statement whose signature verified against a trusted signer, and that signer's identity. */
export interface VerifiedEvaluation {
  predicate: EvaluationPredicate;
  /** The signer as the policy names it: a key's fingerprint, or a keyless subject and issuer. */
  signer: string;
}

/**
 * What an evaluation is worth, not only what it says: L4 (Attested) means the signature itself
 * proves which workflow made the release, so a key-signed evaluation counts as L3 at most; and an
 * evaluation listing a failed control fails, whatever its `verdict` field says.
 */
export function evaluationFact({ predicate, signer }: VerifiedEvaluation): EvaluationFact {
  const keyless = signer.startsWith("keyless:");
  const failedControl = predicate.controls.some((c) => c.status === "fail");
  return {
    verdict: failedControl ? "fail" : predicate.verdict,
    trustLevel: predicate.trustLevel === "L4" && !keyless ? "L3" : predicate.trustLevel,
    time: predicate.time,
    signer,
    imageEvidence: imageEvidenceOf(predicate.controls),
    ...(predicate.run ? { run: predicate.run } : {}),
    ...(predicate.permissions
      ? {
          kubernetes: predicate.permissions.kubernetes ?? [],
          internetEgressPorts: [
            ...new Set(
              predicate.permissions.egress.flatMap((e) => (e.internet ? (e.ports ?? []) : [])),
            ),
          ].sort((a, b) => a - b),
          network: {
            egress: predicate.permissions.egress,
            ingress: predicate.permissions.ingress,
          },
        }
      : {}),
  };
}

/** The `verifiedEvaluations` of `ImageFacts`. */
export function evaluationFacts(verified: readonly VerifiedEvaluation[]): EvaluationFact[] {
  return verified.map(evaluationFact);
}

export type StatementJudgement =
  { evaluation: EvaluationFact } | { rejected: { reason: string }; code: InputErrorCode };

/**
 * Turns one verified DSSE payload (the parsed in-toto Statement) into an entry for
 * `verifiedEvaluations` or, when the statement is not an evaluation of this image, for
 * `rejectedEvaluations` with a reason a person can act on.
 * @param expectedDigest the image digest being verified, `sha256:<hex>` or `<hex>`
 * @throws InputError INPUT_INVALID when `expectedDigest` is not a SHA-256 digest (a caller's bug)
 */
export function judgeEvaluationStatement(
  statement: unknown,
  expectedDigest: string,
  signer: string,
): StatementJudgement {
  try {
    return {
      evaluation: evaluationFact({ predicate: readStatement(statement, expectedDigest), signer }),
    };
  } catch (e) {
    if (!(e instanceof InputError) || e.code === "INPUT_INVALID") throw e;
    const details = e.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
    const reason = `attestation signed by ${signer}: ${e.message}${details === "" ? "" : ` (${details})`}`;
    return { rejected: { reason }, code: e.code };
  }
}
