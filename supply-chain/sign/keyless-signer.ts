import {
  FulcioSigner,
  RekorWitness,
  TSAWitness,
  type IdentityProvider,
  type Signer,
  type Witness,
} from "@sigstore/sign";
import { secureServiceUrl } from "../service-url.ts";

export interface KeylessSignerOptions {
  /** Fulcio's base URL (`https://fulcio.sigstore.dev`); `/api/v2/signingCert` is appended. */
  fulcioURL: string;
  /** Rekor's base URL (`https://rekor.sigstore.dev`); `/api/v1/log/entries` is appended. */
  rekorURL: string;
  /** An RFC 3161 timestamp authority (`https://timestamp.sigstore.dev`); none when absent. */
  tsaURL?: string;
  /**
   * A fresh OIDC identity token for each certificate (in GitHub Actions: the runner's OIDC
   * endpoint with audience `sigstore`). Its issuer and subject become the certificate identity.
   */
  identityToken: () => Promise<string>;
  /**
   * Rekor entry kind for DSSE bundles. `dsse` (default) is what public Rekor stores today;
   * `intoto` v0.0.2 keeps the proposed entry as the logged body, which is what
   * `@sigstore/mock`'s Rekor (and so the tests) can serve.
   */
  rekorEntryType?: "dsse" | "intoto";
  /** Per-request deadline for Fulcio, Rekor and the TSA; 10 s unless set. */
  timeoutMs?: number;
  /** Retries on 5xx/408/429 and connection errors; 2 unless set. */
  retries?: number;
}

/** A keyless signer and the witnesses whose evidence its bundles must carry. */
export interface KeylessSigning {
  signer: Signer;
  witnesses: Witness[];
}

/** HTTPS only, except on loopback: the OIDC token goes to Fulcio in the request body. */
function serviceURL(name: string, url: string): string {
  if (!URL.canParse(url)) throw new Error(`${name} URL ${JSON.stringify(url)} is not a URL`);
  const checked = secureServiceUrl(url);
  if (checked === undefined)
    throw new Error(`${name} URL ${url} must use https (plain http only on loopback)`);
  return checked;
}

/**
 * Keyless signing: an ephemeral P-256 key certified by Fulcio for the OIDC token's identity,
 * a Rekor entry for every signature and, with `tsaURL`, an RFC 3161 timestamp. Pass `signer`
 * and `witnesses` to `signStatement`, `signImage` or `attestEvaluation`.
 */
export function keylessSigning(opts: KeylessSignerOptions): KeylessSigning {
  const fetchOptions = { timeout: opts.timeoutMs ?? 10_000, retry: opts.retries ?? 2 };
  const identityProvider: IdentityProvider = { getToken: opts.identityToken };
  const signer = new FulcioSigner({
    fulcioBaseURL: serviceURL("Fulcio", opts.fulcioURL),
    identityProvider,
    ...fetchOptions,
  });
  return { signer, witnesses: transparencyWitnesses(opts) };
}

/**
 * A Rekor entry for every signature and, with `tsaURL`, an RFC 3161 timestamp: keyless signing
 * always uses them; key-based signing may (`signImage(…, keySigner(k), now, witnesses)`).
 */
export function transparencyWitnesses(
  opts: Pick<
    KeylessSignerOptions,
    "rekorURL" | "tsaURL" | "rekorEntryType" | "timeoutMs" | "retries"
  >,
): Witness[] {
  const fetchOptions = { timeout: opts.timeoutMs ?? 10_000, retry: opts.retries ?? 2 };
  const witnesses: Witness[] = [
    new RekorWitness({
      rekorBaseURL: serviceURL("Rekor", opts.rekorURL),
      entryType: opts.rekorEntryType ?? "dsse",
      ...fetchOptions,
    }),
  ];
  if (opts.tsaURL !== undefined) {
    witnesses.push(new TSAWitness({ tsaBaseURL: serviceURL("TSA", opts.tsaURL), ...fetchOptions }));
  }
  return witnesses;
}
