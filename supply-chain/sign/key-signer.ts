import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from "node:crypto";
import type { Signer } from "@sigstore/sign";
import { decryptCosignKey, isCosignKey } from "./cosign-key.ts";

export interface KeySigner extends Signer {
  /** How bundles name the key, as cosign does: base64 SHA-256 of the SPKI DER. */
  hint: string;
}

/**
 * A sigstore signer over an ECDSA P-256 private key: PEM (PKCS#8 or SEC1, optionally encrypted)
 * or cosign's encrypted key format. The DSSE signature carries no keyid:
 * cosign's verifier skips signatures whose keyid differs from its own idea of the key's id. The
 * bundle names the key by `hint` in its verification material instead, as cosign's do.
 */
export function keySigner(privateKey: KeyObject | string, passphrase?: string): KeySigner {
  const key =
    typeof privateKey !== "string"
      ? privateKey
      : isCosignKey(privateKey)
        ? decryptCosignKey(privateKey, passphrase ?? "")
        : createPrivateKey(passphrase === undefined ? privateKey : { key: privateKey, passphrase });
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new Error("signing keys must be ECDSA P-256");
  }
  const publicKey = createPublicKey(key);
  const spki = publicKey.export({ type: "spki", format: "der" });
  const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const hint = createHash("sha256").update(spki).digest("base64");
  return {
    hint,
    sign: (data: Buffer) =>
      Promise.resolve({
        signature: sign("sha256", data, key),
        key: { $case: "publicKey" as const, publicKey: pem },
      }),
  };
}
