import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import type { TrustedSigner } from "../../policies/workload/policy.ts";

/** A public key the policy trusts, named by its fingerprint so decisions can say who signed. */
export interface TrustedKey {
  /** `key:sha256:<first 16 hex of the SPKI digest>`, stable across PEM formatting. */
  id: string;
  key: KeyObject;
}

export function keyId(key: KeyObject): string {
  const spki = key.export({ type: "spki", format: "der" });
  return `key:sha256:${createHash("sha256").update(spki).digest("hex").slice(0, 16)}`;
}

/** The policy's key-based signers as key objects (the policy schema has checked they are PEM). */
export function trustedKeys(signers: readonly TrustedSigner[]): TrustedKey[] {
  return signers.flatMap((s) => {
    if (!s.key) return [];
    const key = createPublicKey(s.key.publicKey);
    return [{ id: keyId(key), key }];
  });
}
