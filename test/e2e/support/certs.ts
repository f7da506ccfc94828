/**
 * Test PKI: a throwaway CA and serving certificates it signs, for TLS on loopback (the admission
 * webhook, the test API server). ECDSA P-256, PEM out, private keys as PKCS#8.
 */
import { webcrypto } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
// @peculiar/x509 (through tsyringe) needs a Reflect metadata polyfill loaded first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto);

const EC = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
// Allow for clock skew between the test and the process that verifies the certificate.
const BACKDATE_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface TestCA {
  /** PEM certificate: the trust anchor (a webhook `caBundle`, a client's `ca`). */
  cert: string;
  /** PKCS#8 PEM private key. */
  key: string;
}

export interface ServingCert {
  /** PEM leaf certificate signed by the CA. */
  cert: string;
  /** PKCS#8 PEM private key. */
  key: string;
}

export interface ServingCertOptions {
  ipAddresses?: string[];
  dnsNames?: string[];
  /** Validity in days from now; 1 unless set. */
  days?: number;
}

/** Creates a self-signed CA that may only sign end-entity certificates. */
export async function makeTestCA(commonName = "mcp-warden test CA"): Promise<TestCA> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${commonName}`,
    keys,
    signingAlgorithm: SIGNING,
    ...validity(7),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign |
          x509.KeyUsageFlags.cRLSign |
          x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: pem(cert), key: await exportKey(keys.privateKey) };
}

/**
 * Issues a TLS server certificate for the given names. Go's crypto/x509 (kube-apiserver calling
 * a webhook) ignores the subject CN and matches only SANs, so at least one name is required.
 */
export async function issueServingCert(ca: TestCA, opts: ServingCertOptions): Promise<ServingCert> {
  const ipAddresses = opts.ipAddresses ?? [];
  const dnsNames = opts.dnsNames ?? [];
  const commonName = dnsNames[0] ?? ipAddresses[0];
  if (commonName === undefined)
    throw new Error("issueServingCert: give at least one IP address or DNS name");

  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await importSigningKey(ca.key);
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${commonName}`,
    issuer: caCert.subject,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING,
    ...validity(opts.days ?? 1),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: "dns" as const, value })),
        ...ipAddresses.map((value) => ({ type: "ip" as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: pem(cert), key: await exportKey(keys.privateKey) };
}

function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC, true, ["sign", "verify"]);
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + days * DAY_MS) };
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return `${x509.PemConverter.encode(der, "PRIVATE KEY")}\n`;
}

// With the trailing newline PEM files concatenate into valid bundles.
function pem(cert: x509.X509Certificate): string {
  return `${cert.toString("pem")}\n`;
}

function importSigningKey(pem: string): Promise<webcrypto.CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return webcrypto.subtle.importKey("pkcs8", der, EC, false, ["sign"]);
}

/** A test CA and a serving certificate for 127.0.0.1, its certificate and key written into `dir`. */
export async function writeLoopbackTls(
  dir: string,
): Promise<{ ca: TestCA; certFile: string; keyFile: string }> {
  const ca = await makeTestCA();
  const cert = await issueServingCert(ca, { ipAddresses: ["127.0.0.1"] });
  const certFile = join(dir, "tls.crt");
  const keyFile = join(dir, "tls.key");
  await writeFile(certFile, cert.cert);
  await writeFile(keyFile, cert.key);
  return { ca, certFile, keyFile };
}
