import type { Signer, Witness } from "@sigstore/sign";
import {
  buildStatement,
  PREDICATE_TYPE,
  type EvaluationPredicate,
} from "../../policies/evaluation/predicate.ts";
import { parseImageReference } from "../../policies/workload/image-reference.ts";
import type { AttachedReferrer, RegistryClient } from "../registry/client.ts";
import type { Descriptor } from "../registry/types.ts";
import { COSIGN_SIGN_PREDICATE } from "../verify/gather.ts";
import { CYCLONEDX_PREDICATE_TYPE, type CycloneDxBom } from "../sbom/cyclonedx.ts";
import { attachBundle } from "./attach.ts";
import { signStatement } from "./statement-bundle.ts";

export interface Signed {
  /** The image that was signed, by digest. */
  subject: Descriptor;
  repository: string;
  referrer: AttachedReferrer;
}

async function subjectOf(client: RegistryClient, reference: string) {
  const parsed = parseImageReference(reference);
  if (!parsed.ok)
    throw new Error(`invalid image reference ${JSON.stringify(reference)}: ${parsed.error}`);
  const repo = { registry: parsed.value.registry, repository: parsed.value.repository };
  // A tag is resolved once, here: the digest is what gets signed and what the evaluation names.
  const subject = await client.resolve(parsed.value);
  return { repo, name: parsed.value.name, subject };
}

/**
 * Signs an image digest as cosign v3 does (statement `https://sigstore.dev/cosign/sign/v1`).
 * Witnesses (Rekor, a TSA) add their evidence to the bundle; keyless signing needs them.
 */
export async function signImage(
  client: RegistryClient,
  reference: string,
  signer: Signer,
  now: Date,
  witnesses: Witness[] = [],
): Promise<Signed> {
  const { repo, name, subject } = await subjectOf(client, reference);
  const statement = {
    _type: "https://in-toto.io/Statement/v1",
    subject: [{ digest: { sha256: subject.digest.replace(/^sha256:/, "") } }],
    predicateType: COSIGN_SIGN_PREDICATE,
    predicate: {},
  };
  const bundle = await signStatement(statement, signer, witnesses);
  const referrer = await attachBundle(client, repo, subject, bundle, COSIGN_SIGN_PREDICATE, now);
  return { subject, repository: name, referrer };
}

/** Attaches a signed evaluation attestation; the predicate is validated before it is signed. */
export async function attestEvaluation(
  client: RegistryClient,
  reference: string,
  predicate: EvaluationPredicate,
  signer: Signer,
  now: Date,
  witnesses: Witness[] = [],
): Promise<Signed> {
  return attest(
    client,
    reference,
    PREDICATE_TYPE,
    (subject) => buildStatement(subject, predicate),
    {
      signer,
      now,
      witnesses,
    },
  );
}

/**
 * Attaches a signed CycloneDX SBOM attestation exactly as `cosign attest --type cyclonedx` writes
 * it: an in-toto Statement v0.1 whose subject names the repository and the digest, predicate type
 * `https://cyclonedx.org/bom`, the BOM as the predicate. `cosign verify-attestation --type
 * cyclonedx` accepts it.
 */
export async function attestSbom(
  client: RegistryClient,
  reference: string,
  bom: CycloneDxBom,
  signer: Signer,
  now: Date,
  witnesses: Witness[] = [],
): Promise<Signed> {
  return attest(
    client,
    reference,
    CYCLONEDX_PREDICATE_TYPE,
    (subject) => ({
      _type: "https://in-toto.io/Statement/v0.1",
      subject: [{ name: subject.name, digest: { sha256: subject.digest.replace(/^sha256:/, "") } }],
      predicateType: CYCLONEDX_PREDICATE_TYPE,
      predicate: bom,
    }),
    { signer, now, witnesses },
  );
}

/** Signs the statement built for the resolved image and attaches it as a referrer. */
async function attest(
  client: RegistryClient,
  reference: string,
  predicateType: string,
  statementFor: (subject: { name: string; digest: string }) => object,
  how: { signer: Signer; now: Date; witnesses: Witness[] },
): Promise<Signed> {
  const { repo, name, subject } = await subjectOf(client, reference);
  const statement = statementFor({ name, digest: subject.digest });
  const bundle = await signStatement(statement, how.signer, how.witnesses);
  const referrer = await attachBundle(client, repo, subject, bundle, predicateType, how.now);
  return { subject, repository: name, referrer };
}
