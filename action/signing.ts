import { readFile } from "node:fs/promises";
import type { Signer, Witness } from "@sigstore/sign";
import { errorMessage } from "../policies/errors.ts";
import { keySigner } from "../supply-chain/sign/key-signer.ts";
import { keylessSigning, transparencyWitnesses } from "../supply-chain/sign/keyless-signer.ts";
import { ActionError } from "./errors.ts";
import type { Signing } from "./inputs.ts";

export interface SigningSetup {
  signer: Signer;
  witnesses: Witness[];
  /** How reports describe it: `keyless (Fulcio https://…, Rekor https://…)`, `with a key (no transparency log)`. */
  description: string;
}

/** The `key` input holds the PEM itself (from a secret) or the path of a file that does. */
async function keyText(key: string): Promise<string> {
  if (key.includes("-----BEGIN")) return key;
  try {
    return await readFile(key.trim(), "utf8");
  } catch (e) {
    // Never the value itself: a key pasted without its PEM armour must not reach the log.
    throw new ActionError(
      "USAGE",
      "input key: neither a PEM key (-----BEGIN …) nor the path of a readable file",
      { cause: e },
    );
  }
}

/**
 * The signer for the `signing` input; `undefined` for `none`. Keyless signing asks `idToken` for a
 * fresh OIDC token (audience `sigstore`) per certificate: in GitHub Actions, the runner's OIDC endpoint.
 */
export async function signingSetup(
  signing: Signing,
  idToken: (audience: string) => Promise<string>,
): Promise<SigningSetup | undefined> {
  switch (signing.mode) {
    case "none":
      return undefined;
    case "keyless": {
      const { signer, witnesses } = keylessSigning({
        fulcioURL: signing.fulcioUrl,
        rekorURL: signing.rekorUrl,
        rekorEntryType: signing.rekorEntryType,
        ...(signing.tsaUrl ? { tsaURL: signing.tsaUrl } : {}),
        identityToken: () => idToken("sigstore"),
      });
      return {
        signer,
        witnesses,
        description: `keyless (Fulcio ${signing.fulcioUrl}, Rekor ${signing.rekorUrl})`,
      };
    }
    case "key": {
      const text = await keyText(signing.key);
      let signer: Signer;
      try {
        signer = keySigner(text, signing.password);
      } catch (e) {
        throw new ActionError("USAGE", `input key: ${errorMessage(e)}`, {
          cause: e,
        });
      }
      const witnesses = signing.rekorUrl
        ? transparencyWitnesses({
            rekorURL: signing.rekorUrl,
            rekorEntryType: signing.rekorEntryType,
            ...(signing.tsaUrl ? { tsaURL: signing.tsaUrl } : {}),
          })
        : [];
      return {
        signer,
        witnesses,
        description: signing.rekorUrl
          ? `with a key (Rekor ${signing.rekorUrl})`
          : "with a key (no transparency log)",
      };
    }
  }
}
