import { bundleToJSON, type SerializedBundle } from "@sigstore/bundle";
import { DSSEBundleBuilder, type Signer, type Witness } from "@sigstore/sign";
import { IN_TOTO_PAYLOAD_TYPE } from "../verify/bundle-check.ts";

/**
 * Signs an in-toto statement into a sigstore bundle v0.3 with a DSSE envelope — the form cosign
 * v3 writes for signatures and attestations. Witnesses add transparency-log entries or
 * timestamps (keyless); key-based signing may go without.
 */
export async function signStatement(
  statement: object,
  signer: Signer & { hint?: string },
  witnesses: Witness[] = [],
): Promise<SerializedBundle> {
  const builder = new DSSEBundleBuilder({ signer, witnesses });
  const bundle = await builder.create({
    data: Buffer.from(JSON.stringify(statement)),
    type: IN_TOTO_PAYLOAD_TYPE,
  });
  const json = bundleToJSON(bundle);
  const material = json.verificationMaterial;
  // The hint is not signed; it only tells verifiers which key to try first.
  if (signer.hint && material && "publicKey" in material && material.publicKey) {
    material.publicKey.hint = signer.hint;
  }
  return json;
}
