/**
 * cosign v2's legacy keyless signatures (`sha256-<hex>.sig` with the Fulcio certificate and the
 * Rekor bundle in layer annotations), made by real cosign v2 against `@sigstore/mock`'s Fulcio
 * and Rekor on loopback and Debian's docker-registry, verified by gatherImageFacts and by
 * `mcp-warden verify`.
 *
 * cosign v2 asks Fulcio's v1 API (`POST /api/v1/signingCert`: PEM public key, signed subject,
 * bearer token; answer a PEM chain) while the mock serves only v2. A small front on loopback
 * forwards each v1 request to the mock's v2 endpoint and returns the chain the mock CA issued
 * as PEM; the certificate (with its embedded SCT) is the mock's. cosign trusts the mock through
 * SIGSTORE_ROOT_FILE, SIGSTORE_REKOR_PUBLIC_KEY and SIGSTORE_CT_LOG_PUBLIC_KEY_FILE, and logs a
 * hashedrekord entry in the mock's Rekor, which signs it (SET) as real Rekor does.
 *
 * `cosign attest` logs a `dsse` v0.0.1 entry. Real Rekor stores such a proposal canonicalized
 * (envelope and payload hashes, signatures with their verifiers; no envelope), and that body is
 * what verifiers compare; the mock logs the proposal as it came. For attestations a second
 * front does what Rekor's dsse v0.0.1 type does (checks the envelope signature with the proposed
 * verifier, canonicalizes) and hands the canonical entry to the mock's Rekor to log and sign.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, verify, X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { PREDICATE_TYPE } from "../../../policies/evaluation/predicate.ts";
import type { TrustedSigner } from "../../../policies/workload/policy.ts";
import { legacyTag, RegistryClient } from "../../../supply-chain/registry/client.ts";
import { isIndex, MEDIA_TYPES, type Manifest } from "../../../supply-chain/registry/types.ts";
import { gatherImageFacts } from "../../../supply-chain/verify/gather.ts";
import { keylessTrust } from "../../../supply-chain/verify/keyless.ts";
import {
  checkLegacyKeylessEnvelope,
  checkLegacyKeylessSignature,
  CERTIFICATE_ANNOTATION,
  CHAIN_ANNOTATION,
  REKOR_BUNDLE_ANNOTATION,
} from "../../../supply-chain/verify/legacy-keyless.ts";
import { runCli } from "../../support/cli.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../../support/registry-server.ts";
import { startSigstoreMock, type SigstoreMock } from "../../support/sigstore-mock.ts";
import { findTool, pushImage } from "../../support/supply-chain.ts";

const run = promisify(execFile);
const cosign2 = findTool("cosign-v2");
const skip =
  SKIP_NO_REGISTRY ||
  (cosign2 ? false : "cosign v2 not built (scripts/build-supply-chain-tools.sh)");

const ISSUER = "https://token.actions.githubusercontent.com";
const SUBJECT = "https://github.com/acme/mcp-server/.github/workflows/release.yml@refs/heads/main";
const SIGNER = `keyless:${ISSUER}:${SUBJECT}`;

/** Fulcio's v1 API in front of the mock's v2 one: what cosign v2 speaks. */
async function startFulcioV1(fulcioV2: string): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        if (req.method !== "POST" || req.url !== "/api/v1/signingCert") {
          res.writeHead(404).end();
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          publicKey: { content: string };
          signedEmailAddress: string;
        };
        const answer = await fetch(`${fulcioV2}/api/v2/signingCert`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            credentials: {
              oidcIdentityToken: (req.headers.authorization ?? "").replace(/^Bearer /, ""),
            },
            publicKeyRequest: {
              publicKey: {
                algorithm: "ECDSA",
                content: Buffer.from(body.publicKey.content, "base64").toString("utf8"),
              },
              proofOfPossession: body.signedEmailAddress,
            },
          }),
        });
        if (answer.status !== 201) {
          res.writeHead(answer.status).end(await answer.text());
          return;
        }
        const issued = (await answer.json()) as {
          signedCertificateEmbeddedSct: { chain: { certificates: string[] } };
        };
        res.writeHead(201, { "content-type": "application/pem-certificate-chain" });
        res.end(issued.signedCertificateEmbeddedSct.chain.certificates.join(""));
      })().catch((err: unknown) => res.writeHead(500).end(String(err)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readRequest(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * What Rekor's dsse v0.0.1 type does with a proposal before logging it: verify the envelope's
 * signatures with the proposed verifiers, then keep only the envelope hash, the payload hash and
 * the signatures with their verifiers. Anything else goes to the mock's Rekor unchanged.
 */
function canonicalDsse(proposal: unknown): unknown {
  const p = proposal as {
    kind?: string;
    apiVersion?: string;
    spec?: { proposedContent?: { envelope: string; verifiers: string[] } };
  };
  const content = p.spec?.proposedContent;
  if (p.kind !== "dsse" || p.apiVersion !== "0.0.1" || !content) return proposal;
  const envelope = JSON.parse(content.envelope) as {
    payloadType: string;
    payload: string;
    signatures: { sig: string }[];
  };
  const payload = Buffer.from(envelope.payload, "base64");
  const pae = Buffer.concat([
    Buffer.from(
      `DSSEv1 ${Buffer.byteLength(envelope.payloadType)} ${envelope.payloadType} ${payload.length} `,
    ),
    payload,
  ]);
  const signatures = envelope.signatures.map(({ sig }) => {
    const verifier = content.verifiers.find((v) =>
      verify(
        "sha256",
        pae,
        new X509Certificate(Buffer.from(v, "base64")).publicKey,
        Buffer.from(sig, "base64"),
      ),
    );
    if (verifier === undefined) throw new Error("DSSE signature does not verify");
    return { signature: sig, verifier };
  });
  signatures.sort((a, b) => (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0));
  const sha256 = (data: string | Buffer) => ({
    algorithm: "sha256",
    value: createHash("sha256").update(data).digest("hex"),
  });
  return {
    apiVersion: "0.0.1",
    kind: "dsse",
    spec: { envelopeHash: sha256(content.envelope), payloadHash: sha256(payload), signatures },
  };
}

async function startRekorFront(rekor: string): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readRequest(req);
      if (req.method !== "POST" || req.url !== "/api/v1/log/entries") {
        res.writeHead(404).end();
        return;
      }
      let entry: unknown;
      try {
        entry = canonicalDsse(JSON.parse(body));
      } catch (err) {
        res.writeHead(400).end(String(err));
        return;
      }
      const answer = await fetch(`${rekor}/api/v1/log/entries`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(entry),
      });
      res
        .writeHead(answer.status, {
          "content-type": answer.headers.get("content-type") ?? "text/plain",
        })
        .end(await answer.text());
    })().catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function pem(base64: string, label: string): string {
  return `-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

interface RootJson {
  certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
  tlogs: { publicKey: { rawBytes: string } }[];
  ctlogs: { publicKey: { rawBytes: string } }[];
}

describe("cosign v2 legacy keyless signatures", { skip, timeout: 300_000 }, () => {
  let registry: RegistryServer;
  let sigstore: SigstoreMock;
  /** Fulcio/Rekor with keys of their own: a CA the policy never trusted. */
  let rogue: SigstoreMock;
  let fulcio: { url: string; stop(): Promise<void> };
  let rogueFulcio: { url: string; stop(): Promise<void> };
  let rekorFront: { url: string; stop(): Promise<void> };
  let client: RegistryClient;
  let dir: string;
  let seed = 0;
  const repoName = "mcp/legacy-keyless";

  before(async () => {
    [registry, sigstore, rogue] = await Promise.all([
      startRegistry(),
      startSigstoreMock(),
      startSigstoreMock(),
    ]);
    [fulcio, rogueFulcio, rekorFront] = await Promise.all([
      startFulcioV1(sigstore.url),
      startFulcioV1(rogue.url),
      startRekorFront(sigstore.url),
    ]);
    client = new RegistryClient({ timeoutMs: 5000 });
    dir = await mkdtemp(join(tmpdir(), "mcp-warden-legacy-keyless-"));
    for (const [name, mock] of [
      ["trusted", sigstore],
      ["rogue", rogue],
    ] as const) {
      const root = mock.trustedRoot as unknown as RootJson;
      await writeFile(join(dir, `${name}-root.json`), JSON.stringify(mock.trustedRoot));
      await writeFile(
        join(dir, `${name}-fulcio.pem`),
        pem(root.certificateAuthorities[0]!.certChain.certificates[0]!.rawBytes, "CERTIFICATE"),
      );
      await writeFile(
        join(dir, `${name}-rekor.pub`),
        pem(root.tlogs[0]!.publicKey.rawBytes, "PUBLIC KEY"),
      );
      await writeFile(
        join(dir, `${name}-ctlog.pub`),
        pem(root.ctlogs[0]!.publicKey.rawBytes, "PUBLIC KEY"),
      );
    }
  });

  after(async () => {
    await fulcio?.stop();
    await rogueFulcio?.stop();
    await rekorFront?.stop();
    await registry?.stop();
    await sigstore?.stop();
    await rogue?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const newImage = async () => {
    const repo = `${registry.host}/${repoName}`;
    const pushed = await pushImage(client, repo, `v${++seed}`, `legacy-${seed}-${Date.now()}`);
    return { repo, ref: `${repo}@${pushed.manifest.digest}`, digest: pushed.manifest.digest };
  };

  /**
   * `cosign-v2 sign` keyless: a Fulcio certificate for the token's identity, a hashedrekord
   * entry in Rekor, the legacy `.sig` tag. `ca: "rogue"` takes the certificate from the
   * untrusted CA (the entry still goes to the trusted Rekor).
   */
  const cosignSign = async (
    ref: string,
    opts: {
      iss?: string;
      sub?: string;
      ca?: "trusted" | "rogue";
      /** `cosign-v2 attest` with this predicate file and type instead of `sign`. */
      attest?: { predicate: string; type: string };
    } = {},
  ): Promise<void> => {
    const ca = opts.ca ?? "trusted";
    const tokenFile = join(dir, `token-${++seed}`);
    await writeFile(
      tokenFile,
      (ca === "rogue" ? rogue : sigstore).token({
        iss: opts.iss ?? ISSUER,
        sub: opts.sub ?? SUBJECT,
      }),
    );
    const args = [
      ...(opts.attest
        ? ["attest", "--predicate", opts.attest.predicate, "--type", opts.attest.type]
        : ["sign"]),
      "--yes",
      "--fulcio-url",
      (ca === "rogue" ? rogueFulcio : fulcio).url,
      "--rekor-url",
      opts.attest ? rekorFront.url : sigstore.url,
      "--identity-token",
      tokenFile,
      "--allow-insecure-registry",
      "--allow-http-registry",
      ref,
    ];
    await run(cosign2!, args, {
      cwd: dir,
      timeout: 60_000,
      env: {
        ...process.env,
        HOME: dir,
        TUF_ROOT: join(dir, "tuf"),
        SIGSTORE_ROOT_FILE: join(dir, `${ca}-fulcio.pem`),
        SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: join(dir, `${ca}-ctlog.pub`),
        SIGSTORE_REKOR_PUBLIC_KEY: join(dir, "trusted-rekor.pub"),
      },
    });
  };

  const trust = (signers: TrustedSigner[], root: unknown = sigstore.trustedRoot) =>
    keylessTrust(root, signers);
  const exact = (issuer = ISSUER, subject = SUBJECT): TrustedSigner[] => [
    { keyless: { issuer, subject } },
  ];
  const gather = (ref: string, signers: TrustedSigner[] = exact()) =>
    gatherImageFacts(client, ref, { keys: [], keyless: trust(signers) });

  /** The `.sig` (or `.att`) manifest cosign pushed for a digest, and its one layer. */
  const sigManifest = async (digest: string, suffix: ".sig" | ".att" = ".sig") => {
    const repo = { registry: registry.host, repository: repoName };
    const fetched = await client.getManifest(repo, legacyTag(digest, suffix));
    const manifest: Manifest = fetched.json;
    assert.ok(!isIndex(manifest));
    assert.equal(manifest.layers.length, 1);
    const layer = manifest.layers[0]!;
    const payload = Buffer.from(await client.getBlob(repo, layer.digest));
    return { repo, manifest, layer, payload, annotations: layer.annotations ?? {} };
  };

  /** Re-pushes a `.sig` (or `.att`) manifest under `digest`'s tag with these layer annotations. */
  const repush = async (
    digest: string,
    manifest: Manifest,
    annotations: Record<string, string>,
    suffix: ".sig" | ".att" = ".sig",
  ): Promise<void> => {
    assert.ok(!isIndex(manifest));
    const changed = { ...manifest, layers: [{ ...manifest.layers[0]!, annotations }] };
    await client.pushManifest(
      `${registry.host}/${repoName}`,
      legacyTag(digest, suffix),
      new TextEncoder().encode(JSON.stringify(changed)),
      MEDIA_TYPES.ociManifest,
    );
  };

  test("cosign v2 writes the legacy keyless layout: certificate, chain, Rekor bundle with a hashedrekord entry", async () => {
    const img = await newImage();
    const before = sigstore.requests.length;
    await cosignSign(img.ref);
    assert.deepEqual(sigstore.requests.slice(before), [
      "POST /api/v2/signingCert 201",
      "POST /api/v1/log/entries 201",
    ]);
    const { layer, payload, annotations } = await sigManifest(img.digest);
    assert.equal(layer.mediaType, MEDIA_TYPES.cosignSimpleSigning);
    assert.match(annotations[CERTIFICATE_ANNOTATION] ?? "", /^-----BEGIN CERTIFICATE-----/);
    assert.match(annotations[CHAIN_ANNOTATION] ?? "", /^-----BEGIN CERTIFICATE-----/);
    const rekor = JSON.parse(annotations[REKOR_BUNDLE_ANNOTATION] ?? "{}") as {
      SignedEntryTimestamp: string;
      Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
    };
    assert.ok(rekor.SignedEntryTimestamp);
    const body = JSON.parse(Buffer.from(rekor.Payload.body, "base64").toString("utf8")) as {
      kind: string;
      apiVersion: string;
    };
    assert.deepEqual([body.kind, body.apiVersion], ["hashedrekord", "0.0.1"]);
    const simple = JSON.parse(payload.toString("utf8")) as {
      critical: { image: { "docker-manifest-digest": string } };
    };
    assert.equal(simple.critical.image["docker-manifest-digest"], img.digest);
  });

  test("the right identity verifies: exact subject, and subject regular expression", async () => {
    const img = await newImage();
    await cosignSign(img.ref);
    for (const signers of [
      exact(),
      [{ keyless: { issuer: ISSUER, subjectRegExp: "^https://github\\.com/acme/" } }],
      [...exact(ISSUER, "https://github.com/other/x"), ...exact()],
    ] satisfies TrustedSigner[][]) {
      const facts = await gather(img.ref, signers);
      assert.deepEqual(facts.rejectedSignatures, [], JSON.stringify(signers));
      assert.deepEqual(facts.verifiedSignatures, [{ signer: SIGNER }]);
    }
  });

  test("a wrong subject fails with the certificate identity in the reason", async () => {
    const img = await newImage();
    const mallory =
      "https://github.com/mallory/mcp-server/.github/workflows/release.yml@refs/heads/main";
    await cosignSign(img.ref, { sub: mallory });
    const facts = await gather(img.ref);
    assert.deepEqual(facts.verifiedSignatures, []);
    assert.deepEqual(facts.rejectedSignatures, [
      {
        reason: `legacy keyless signature: certificate identity (issuer "${ISSUER}", subject "${mallory}") does not match any trusted keyless signer`,
      },
    ]);
    const { payload, annotations } = await sigManifest(img.digest);
    const check = checkLegacyKeylessSignature(payload, annotations, trust(exact()), img.digest);
    assert.equal(check.ok ? undefined : check.code, "IDENTITY_MISMATCH");
  });

  test("a wrong issuer fails, even with the right subject", async () => {
    const img = await newImage();
    await cosignSign(img.ref, { iss: "https://accounts.example.com" });
    const facts = await gather(img.ref);
    assert.deepEqual(facts.verifiedSignatures, []);
    assert.deepEqual(facts.rejectedSignatures, [
      {
        reason: `legacy keyless signature: certificate identity (issuer "https://accounts.example.com", subject "${SUBJECT}") does not match any trusted keyless signer`,
      },
    ]);
  });

  test("a signature copied to another image's digest fails", async () => {
    const signed = await newImage();
    const other = await newImage();
    await cosignSign(signed.ref);
    const { manifest, annotations } = await sigManifest(signed.digest);
    await repush(other.digest, manifest, annotations);
    const facts = await gather(other.ref);
    assert.deepEqual(facts.verifiedSignatures, []);
    assert.deepEqual(facts.rejectedSignatures, [
      { reason: `legacy signature is about another image, not ${other.digest}` },
    ]);
    const copied = await sigManifest(other.digest);
    const check = checkLegacyKeylessSignature(
      copied.payload,
      copied.annotations,
      trust(exact()),
      other.digest,
    );
    assert.equal(check.ok ? undefined : check.code, "SUBJECT_MISMATCH");
    // The original still verifies where it belongs.
    assert.deepEqual((await gather(signed.ref)).verifiedSignatures, [{ signer: SIGNER }]);
  });

  test("a tampered signed entry timestamp, integrated time or log index fails the Rekor check", async () => {
    const img = await newImage();
    await cosignSign(img.ref);
    const { manifest, annotations } = await sigManifest(img.digest);
    const rekor = JSON.parse(annotations[REKOR_BUNDLE_ANNOTATION]!) as {
      SignedEntryTimestamp: string;
      Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
    };
    const set = Buffer.from(rekor.SignedEntryTimestamp, "base64");
    set[set.length - 1]! ^= 0x01;
    const tampered = [
      { ...rekor, SignedEntryTimestamp: set.toString("base64") },
      { ...rekor, Payload: { ...rekor.Payload, integratedTime: rekor.Payload.integratedTime + 1 } },
      { ...rekor, Payload: { ...rekor.Payload, logIndex: rekor.Payload.logIndex + 1 } },
    ];
    for (const bundle of tampered) {
      await repush(img.digest, manifest, {
        ...annotations,
        [REKOR_BUNDLE_ANNOTATION]: JSON.stringify(bundle),
      });
      const facts = await gather(img.ref);
      assert.deepEqual(facts.verifiedSignatures, []);
      assert.deepEqual(facts.rejectedSignatures, [
        {
          reason:
            "legacy keyless signature: transparency log check failed (inclusion promise could not be verified)",
        },
      ]);
    }
    // Without the Rekor bundle nothing vouches for the time the certificate was valid at.
    const withoutRekor = { ...annotations };
    delete withoutRekor[REKOR_BUNDLE_ANNOTATION];
    await repush(img.digest, manifest, withoutRekor);
    const { payload } = await sigManifest(img.digest);
    const check = checkLegacyKeylessSignature(payload, withoutRekor, trust(exact()), img.digest);
    assert.deepEqual(check, {
      ok: false,
      code: "TIMESTAMP_INVALID",
      reason: "legacy keyless signature: timestamp check failed (expected 1 timestamps, got 0)",
    });
    // The untouched layer still verifies.
    await repush(img.digest, manifest, annotations);
    assert.deepEqual((await gather(img.ref)).verifiedSignatures, [{ signer: SIGNER }]);
  });

  test("a certificate from a CA the trusted root does not list fails", async () => {
    const img = await newImage();
    await cosignSign(img.ref, { ca: "rogue" });
    const facts = await gather(img.ref);
    assert.deepEqual(facts.verifiedSignatures, []);
    assert.equal(facts.rejectedSignatures.length, 1);
    assert.match(
      facts.rejectedSignatures[0]!.reason,
      /^legacy keyless signature: certificate is not trusted \(Failed to verify certificate chain: /,
    );
    const { payload, annotations } = await sigManifest(img.digest);
    const check = checkLegacyKeylessSignature(payload, annotations, trust(exact()), img.digest);
    assert.equal(check.ok ? undefined : check.code, "CERTIFICATE_UNTRUSTED");
    // Trusting the rogue root instead makes its certificate acceptable, but its Rekor is not
    // the one that logged the entry: the SET does not verify.
    const underRogue = checkLegacyKeylessSignature(
      payload,
      annotations,
      trust(exact(), rogue.trustedRoot),
      img.digest,
    );
    assert.equal(underRogue.ok ? undefined : underRogue.code, "TLOG_INVALID");
  });

  test("a Rekor entry naming another certificate fails, though Rekor signed it", async () => {
    const img = await newImage();
    const other = await newImage();
    await cosignSign(img.ref);
    await cosignSign(other.ref, { sub: "https://github.com/acme/other" });
    const ours = await sigManifest(img.digest);
    const theirs = await sigManifest(other.digest);
    // Log our signature and digest again, but with the other signature's certificate.
    const body = (a: Record<string, string>) =>
      JSON.parse(
        Buffer.from(
          (JSON.parse(a[REKOR_BUNDLE_ANNOTATION]!) as { Payload: { body: string } }).Payload.body,
          "base64",
        ).toString("utf8"),
      ) as { spec: { signature: { publicKey: { content: string } } } };
    const proposed = body(ours.annotations);
    proposed.spec.signature.publicKey.content = body(
      theirs.annotations,
    ).spec.signature.publicKey.content;
    const logged = await fetch(`${sigstore.url}/api/v1/log/entries`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(proposed),
    });
    assert.equal(logged.status, 201);
    const entry = Object.values(
      (await logged.json()) as Record<
        string,
        {
          body: string;
          integratedTime: number;
          logIndex: number;
          logID: string;
          verification: { signedEntryTimestamp: string };
        }
      >,
    )[0]!;
    const annotations = {
      ...ours.annotations,
      [REKOR_BUNDLE_ANNOTATION]: JSON.stringify({
        SignedEntryTimestamp: entry.verification.signedEntryTimestamp,
        Payload: {
          body: entry.body,
          integratedTime: entry.integratedTime,
          logIndex: entry.logIndex,
          logID: entry.logID,
        },
      }),
    };
    const check = checkLegacyKeylessSignature(
      ours.payload,
      annotations,
      trust(exact()),
      img.digest,
    );
    assert.deepEqual(check, {
      ok: false,
      code: "TLOG_INVALID",
      reason: "legacy keyless signature: the Rekor entry was made with another certificate or key",
    });
  });

  test("without keyless signers in the policy, a keyless legacy signature is not trusted", async () => {
    const img = await newImage();
    await cosignSign(img.ref);
    const facts = await gatherImageFacts(client, img.ref, { keys: [] });
    assert.deepEqual(facts.verifiedSignatures, []);
    assert.deepEqual(facts.rejectedSignatures, [
      {
        reason:
          "legacy keyless signature: signed with a certificate (keyless); no keyless signer is configured in this verifier",
      },
    ]);
  });

  test("a cosign v2 keyless attestation (.att, dsse entry) verifies as an evaluation; copied or tampered, it fails", async () => {
    const img = await newImage();
    const other = await newImage();
    const predicate = join(dir, "predicate.json");
    await writeFile(
      predicate,
      await readFile(
        new URL("../../fixtures/evaluation/valid-predicate.json", import.meta.url),
        "utf8",
      ),
    );
    await cosignSign(img.ref, { attest: { predicate, type: PREDICATE_TYPE } });
    const att = await sigManifest(img.digest, ".att");
    assert.equal(att.layer.mediaType, MEDIA_TYPES.dsseEnvelope);
    const rekor = JSON.parse(att.annotations[REKOR_BUNDLE_ANNOTATION]!) as {
      SignedEntryTimestamp: string;
      Payload: { body: string };
    };
    const logged = JSON.parse(Buffer.from(rekor.Payload.body, "base64").toString("utf8")) as {
      kind: string;
      apiVersion: string;
    };
    assert.deepEqual([logged.kind, logged.apiVersion], ["dsse", "0.0.1"]);

    const facts = await gather(img.ref);
    assert.deepEqual(facts.rejectedEvaluations, []);
    assert.deepEqual(
      facts.verifiedEvaluations.map((e) => [e.signer, e.verdict, e.trustLevel]),
      [[SIGNER, "pass", "L3"]],
    );
    const wrong = await gather(img.ref, exact(ISSUER, "https://github.com/acme/other"));
    assert.deepEqual(wrong.verifiedEvaluations, []);
    assert.deepEqual(wrong.rejectedEvaluations, [
      {
        reason: `legacy keyless attestation: certificate identity (issuer "${ISSUER}", subject "${SUBJECT}") does not match any trusted keyless signer`,
      },
    ]);

    // Copied under another image's tag: the statement's subject is still the first image.
    await repush(other.digest, att.manifest, att.annotations, ".att");
    const copied = await sigManifest(other.digest, ".att");
    const envelope: unknown = JSON.parse(copied.payload.toString("utf8"));
    const check = checkLegacyKeylessEnvelope(
      envelope,
      copied.annotations,
      trust(exact()),
      other.digest,
    );
    assert.deepEqual(check, {
      ok: false,
      code: "SUBJECT_MISMATCH",
      reason: `legacy keyless attestation is about another image, not ${other.digest}`,
    });

    // A tampered SET.
    const set = Buffer.from(rekor.SignedEntryTimestamp, "base64");
    set[set.length - 1]! ^= 0x01;
    const tampered = checkLegacyKeylessEnvelope(
      envelope,
      {
        ...att.annotations,
        [REKOR_BUNDLE_ANNOTATION]: JSON.stringify({
          ...rekor,
          SignedEntryTimestamp: set.toString("base64"),
        }),
      },
      trust(exact()),
      img.digest,
    );
    assert.equal(tampered.ok ? undefined : tampered.code, "TLOG_INVALID");
  });

  test("mcp-warden verify shows the legacy keyless signature and its signer", async () => {
    const img = await newImage();
    await cosignSign(img.ref);
    const policy = async (name: string, signer: TrustedSigner) => {
      const file = join(dir, `policy-${name}.yaml`);
      await writeFile(
        file,
        JSON.stringify({
          apiVersion: "mcp-warden.dev/v1alpha1",
          kind: "MCPWardenPolicy",
          metadata: { name },
          spec: {
            rules: { "image/evaluated": "off" },
            images: { trustedSigners: [signer] },
          },
        }),
      );
      return file;
    };
    const verify = async (name: string, signer: TrustedSigner) =>
      runCli([
        "verify",
        img.ref,
        "--policy",
        await policy(name, signer),
        "--trusted-root",
        join(dir, "trusted-root.json"),
      ]);
    const ok = await verify("acme", {
      keyless: { issuer: ISSUER, subjectRegExp: "^https://github\\.com/acme/" },
    });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.ok(ok.stdout.includes(`signature  verified, signed by ${SIGNER}`), ok.stdout);
    const wrong = await verify("evil", {
      keyless: { issuer: ISSUER, subjectRegExp: "^https://github\\.com/evil/" },
    });
    assert.equal(wrong.code, 1, wrong.stdout + wrong.stderr);
    assert.ok(
      wrong.stdout.includes(
        `signature  rejected: legacy keyless signature: certificate identity (issuer "${ISSUER}", subject "${SUBJECT}") does not match any trusted keyless signer`,
      ),
      wrong.stdout,
    );
  });
});
