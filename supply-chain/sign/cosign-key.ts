import { createPrivateKey, scryptSync, type KeyObject } from "node:crypto";
import nacl from "tweetnacl";
import { errorClass } from "../../policies/errors.ts";

const PEM_TYPES = ["ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY"];

interface EncryptedKey {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

export type CosignKeyErrorCode = "NOT_COSIGN_KEY" | "UNSUPPORTED" | "WRONG_PASSWORD";

export class CosignKeyError extends errorClass<CosignKeyErrorCode>("CosignKeyError") {}

export function isCosignKey(pem: string): boolean {
  return PEM_TYPES.some((t) => pem.includes(`-----BEGIN ${t}-----`));
}

function isEncryptedKey(v: unknown): v is EncryptedKey {
  const k = v as EncryptedKey | null;
  return (
    typeof k?.kdf?.salt === "string" &&
    typeof k.kdf.params?.N === "number" &&
    typeof k.cipher?.nonce === "string" &&
    typeof k.ciphertext === "string"
  );
}

/**
 * Decrypts a private key in cosign's format (`cosign generate-key-pair`): scrypt derives the key,
 * NaCl secretbox seals the PKCS#8 DER. The password may be empty, as cosign allows.
 */
export function decryptCosignKey(pem: string, password: string): KeyObject {
  const type = PEM_TYPES.find((t) => pem.includes(`-----BEGIN ${t}-----`));
  if (!type) throw new CosignKeyError("NOT_COSIGN_KEY", "not a cosign encrypted private key");
  const body = pem.split(`-----BEGIN ${type}-----`)[1]?.split(`-----END ${type}-----`)[0] ?? "";
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8"));
  } catch {
    throw new CosignKeyError("NOT_COSIGN_KEY", "the cosign key's body is not JSON");
  }
  if (!isEncryptedKey(parsed))
    throw new CosignKeyError("NOT_COSIGN_KEY", "the cosign key lacks kdf, cipher or ciphertext");
  if (parsed.kdf.name !== "scrypt" || parsed.cipher.name !== "nacl/secretbox") {
    throw new CosignKeyError(
      "UNSUPPORTED",
      `unsupported cosign key encryption ${parsed.kdf.name}/${parsed.cipher.name}`,
    );
  }
  const { N, r, p } = parsed.kdf.params;
  const secret = scryptSync(password, Buffer.from(parsed.kdf.salt, "base64"), 32, {
    N,
    r,
    p,
    maxmem: 256 * N * r,
  });
  const opened = nacl.secretbox.open(
    Buffer.from(parsed.ciphertext, "base64"),
    Buffer.from(parsed.cipher.nonce, "base64"),
    secret,
  );
  if (!opened) throw new CosignKeyError("WRONG_PASSWORD", "wrong password for the cosign key");
  return createPrivateKey({ key: Buffer.from(opened), format: "der", type: "pkcs8" });
}
