/**
 * Keyless signing and verification with real components: `@sigstore/mock`'s Fulcio, Rekor and
 * TSA on a real loopback HTTP server (test/support/sigstore-mock.ts), the trusted root built
 * from their keys, `@sigstore/sign` for signing and `@sigstore/verify` for verification; end to
 * end with Debian's docker-registry and, when built, cosign v3 verifying offline against the
 * same trusted root.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { SerializedBundle } from "@sigstore/bundle";
import type { EvaluationPredicate } from "../../../policies/evaluation/predicate.ts";
import type { TrustedSigner } from "../../../policies/workload/policy.ts";
import { RegistryClient } from "../../../supply-chain/registry/client.ts";
import { keylessSigning } from "../../../supply-chain/sign/keyless-signer.ts";
import { attestEvaluation, signImage } from "../../../supply-chain/sign/sign-image.ts";
import { signStatement } from "../../../supply-chain/sign/statement-bundle.ts";
import { checkBundle, type BundleCheck } from "../../../supply-chain/verify/bundle-check.ts";
import { gatherImageFacts } from "../../../supply-chain/verify/gather.ts";
import {
  KeylessError,
  keylessTrust,
  type KeylessThresholds,
} from "../../../supply-chain/verify/keyless.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../../support/registry-server.ts";
import { startSigstoreMock, type SigstoreMock } from "../../support/sigstore-mock.ts";
import { findTool, pushImage } from "../../support/supply-chain.ts";
import { validPredicate } from "../../support/evaluation.ts";
import { assertThrowsWithCode } from "../../support/throws.ts";

const run = promisify(execFile);
const ISSUER = "https://token.actions.githubusercontent.com";
const SUBJECT = "https://github.com/acme/mcp-server/.github/workflows/release.yml@refs/heads/main";
const HEX = "4f".repeat(32);
const DIGEST = `sha256:${HEX}`;
const STATEMENT = {
  _type: "https://in-toto.io/Statement/v1",
  subject: [{ digest: { sha256: HEX } }],
  predicateType: "https://sigstore.dev/cosign/sign/v1",
  predicate: {},
};

function exact(issuer = ISSUER, subject = SUBJECT): TrustedSigner {
  return { keyless: { issuer, subject } };
}

function reasonOf(check: BundleCheck): string {
  return check.ok ? "" : check.reason;
}

function failure(check: BundleCheck): { code: string | undefined; reason: string } {
  assert.equal(check.ok, false, "expected the bundle to be rejected");
  return check.ok ? { code: undefined, reason: "" } : { code: check.code, reason: check.reason };
}

describe("keyless signing and verification against Fulcio/Rekor/TSA on loopback", () => {
  let sigstore: SigstoreMock;
  /** Another Fulcio/Rekor/TSA with keys of its own: a CA the policy never trusted. */
  let rogue: SigstoreMock;

  before(async () => {
    [sigstore, rogue] = await Promise.all([startSigstoreMock(), startSigstoreMock()]);
  });
  after(async () => {
    await sigstore?.stop();
    await rogue?.stop();
  });

  const sign = async (
    opts: { iss?: string; sub?: string; tsa?: boolean; via?: SigstoreMock } = {},
  ): Promise<SerializedBundle> => {
    const via = opts.via ?? sigstore;
    const { signer, witnesses } = keylessSigning({
      fulcioURL: via.url,
      rekorURL: via.url,
      ...(opts.tsa === false ? {} : { tsaURL: via.url }),
      rekorEntryType: "intoto",
      identityToken: () =>
        Promise.resolve(via.token({ iss: opts.iss ?? ISSUER, sub: opts.sub ?? SUBJECT })),
      retries: 0,
    });
    return signStatement(STATEMENT, signer, witnesses);
  };
  const check = (
    bundle: unknown,
    signers: TrustedSigner[],
    opts: { root?: unknown; thresholds?: Partial<KeylessThresholds>; digest?: string } = {},
  ) =>
    checkBundle(
      bundle,
      {
        keys: [],
        keyless: keylessTrust(opts.root ?? sigstore.trustedRoot, signers, opts.thresholds),
      },
      opts.digest ?? DIGEST,
    );

  test("the bundle carries a Fulcio certificate, a Rekor entry and an RFC 3161 timestamp, fetched over HTTP", async () => {
    const before = sigstore.requests.length;
    const bundle = await sign();
    // Fulcio first; then Rekor and the TSA witness the signature concurrently.
    const served = sigstore.requests.slice(before);
    assert.equal(served[0], "POST /api/v2/signingCert 201");
    assert.deepEqual(served.slice(1).sort(), [
      "POST /api/v1/log/entries 201",
      "POST /api/v1/timestamp 201",
    ]);
    const material = bundle.verificationMaterial;
    assert.ok(material && "certificate" in material && material.certificate?.rawBytes);
    assert.equal(material.tlogEntries.length, 1);
    assert.equal(material.tlogEntries[0]!.kindVersion?.kind, "intoto");
    assert.ok(material.tlogEntries[0]!.inclusionPromise);
    assert.ok(material.tlogEntries[0]!.inclusionProof);
    assert.equal(material.timestampVerificationData?.rfc3161Timestamps.length, 1);
  });

  test("the right identity passes: exact subject, and subject regular expression", async () => {
    const bundle = await sign();
    const signer = `keyless:${ISSUER}:${SUBJECT}`;
    for (const signers of [
      [exact()],
      [{ keyless: { issuer: ISSUER, subjectRegExp: "^https://github\\.com/acme/" } }],
      // One matching signer among others is enough.
      [exact(ISSUER, "https://github.com/other/x"), exact()],
    ] satisfies TrustedSigner[][]) {
      const result = check(bundle, signers);
      assert.ok(result.ok, `expected a pass for ${JSON.stringify(signers)}: ${reasonOf(result)}`);
      assert.equal(result.statement.signer, signer);
      assert.equal(result.statement.predicateType, STATEMENT.predicateType);
    }
  });

  test("a subject regular expression is used as the policy author wrote it (no implicit anchors)", async () => {
    const bundle = await sign();
    const regexp = (subjectRegExp: string) => [{ keyless: { issuer: ISSUER, subjectRegExp } }];
    // Unanchored, it matches anywhere in the subject: the author's choice.
    assert.ok(check(bundle, regexp("acme/mcp-server")).ok);
    // Anchored at the start, a look-alike organisation does not match.
    assert.equal(
      failure(check(bundle, regexp("^https://github\\.com/acm/"))).code,
      "IDENTITY_MISMATCH",
    );
    // Anchored at both ends, the whole subject must match.
    assert.equal(
      failure(check(bundle, regexp("^https://github\\.com/acme/[^/]+$"))).code,
      "IDENTITY_MISMATCH",
    );
  });

  test("a wrong subject fails with the certificate identity in the reason", async () => {
    const bundle = await sign({
      sub: "https://github.com/mallory/mcp-server/.github/workflows/release.yml@refs/heads/main",
    });
    for (const signers of [
      [exact()],
      [{ keyless: { issuer: ISSUER, subjectRegExp: "^https://github\\.com/acme/" } }],
    ] satisfies TrustedSigner[][]) {
      const { code, reason } = failure(check(bundle, signers));
      assert.equal(code, "IDENTITY_MISMATCH");
      assert.equal(
        reason,
        `certificate identity (issuer "${ISSUER}", subject "https://github.com/mallory/mcp-server/.github/workflows/release.yml@refs/heads/main") does not match any trusted keyless signer`,
      );
    }
  });

  test("a wrong issuer fails, even with the right subject", async () => {
    const bundle = await sign({ iss: "https://accounts.example.com" });
    const { code, reason } = failure(check(bundle, [exact()]));
    assert.equal(code, "IDENTITY_MISMATCH");
    assert.match(
      reason,
      /^certificate identity \(issuer "https:\/\/accounts\.example\.com", subject "https:\/\/github\.com\/acme\/mcp-server\/[^"]+"\) does not match any trusted keyless signer$/,
    );
    // The issuer is compared exactly: a prefix or a trailing slash is another issuer.
    const right = await sign();
    assert.equal(failure(check(right, [exact(`${ISSUER}/`)])).code, "IDENTITY_MISMATCH");
  });

  test("a bundle with its transparency-log entry stripped fails when the tlog threshold is 1", async () => {
    const bundle = await sign();
    const stripped = structuredClone(bundle);
    stripped.verificationMaterial.tlogEntries = [];
    const { code, reason } = failure(check(stripped, [exact()]));
    assert.equal(code, "TLOG_INVALID");
    assert.match(reason, /expected 1 tlog entries, got 0/);
    // The threshold is what rejects it: the TSA timestamp still vouches for the signing time.
    assert.ok(check(stripped, [exact()], { thresholds: { tlogThreshold: 0 } }).ok);
    // Without a TSA timestamp, nothing vouches for the time the certificate was valid at.
    const bare = structuredClone(await sign({ tsa: false }));
    bare.verificationMaterial.tlogEntries = [];
    assert.equal(failure(check(bare, [exact()])).code, "TIMESTAMP_INVALID");
  });

  test("a Rekor entry for another signature does not count", async () => {
    const [a, b] = [await sign(), await sign()];
    const swapped = structuredClone(a);
    swapped.verificationMaterial.tlogEntries = b.verificationMaterial.tlogEntries;
    const { code, reason } = failure(check(swapped, [exact()]));
    assert.equal(code, "TLOG_INVALID");
    assert.match(reason, /signature mismatch/);
  });

  test("a certificate from a CA that is not in the trusted root fails", async () => {
    const bundle = await sign({ via: rogue });
    // Everything but the CA trusted: the rogue's Rekor, CT log and TSA are in this root.
    const root = {
      ...rogue.trustedRoot,
      certificateAuthorities: sigstore.trustedRoot.certificateAuthorities,
    };
    const { code, reason } = failure(check(bundle, [exact()], { root }));
    assert.equal(code, "CERTIFICATE_UNTRUSTED");
    assert.match(reason, /^certificate is not trusted \(Failed to verify certificate chain/);
    // Against our root as a whole it fails earlier (the rogue's TSA is unknown there too); with
    // the rogue's own root it would pass: the CA is what the first check turned on.
    assert.equal(failure(check(bundle, [exact()])).code, "TIMESTAMP_INVALID");
    assert.ok(check(bundle, [exact()], { root: rogue.trustedRoot }).ok);
  });

  test("an SCT from a CT log the root does not list fails", async () => {
    const bundle = await sign();
    const root = { ...sigstore.trustedRoot, ctlogs: rogue.trustedRoot.ctlogs };
    const { code, reason } = failure(check(bundle, [exact()], { root }));
    assert.equal(code, "CERTIFICATE_UNTRUSTED");
    assert.match(reason, /SCT verification failed/);
  });

  test("the statement must be about this image", async () => {
    const bundle = await sign();
    const { code, reason } = failure(
      check(bundle, [exact()], { digest: `sha256:${"0".repeat(64)}` }),
    );
    assert.equal(code, "SUBJECT_MISMATCH");
    assert.match(reason, /about another image/);
  });

  test("without keyless trust a certificate bundle is rejected as before", async () => {
    const bundle = await sign();
    for (const trust of [
      [],
      { keys: [] },
      { keys: [], keyless: keylessTrust(sigstore.trustedRoot, []) },
    ]) {
      const { code, reason } = failure(checkBundle(bundle, trust, DIGEST));
      assert.equal(code, "NO_KEYLESS_TRUST");
      assert.match(reason, /no keyless signer is configured/);
    }
  });

  test("an invalid trusted root or unmeetable thresholds are reported with every problem", () => {
    const bad = {
      mediaType: "application/json",
      tlogs: [{ baseUrl: "", publicKey: { rawBytes: "!!" } }],
      certificateAuthorities: [{ certChain: { certificates: [] } }],
    };
    const invalid = assertThrowsWithCode(
      () => keylessTrust(bad, [exact()]),
      "TRUSTED_ROOT_INVALID",
      KeylessError,
    );
    assert.deepEqual(
      invalid.problems.map((p) => p.path),
      [
        "mediaType",
        "tlogs[0].baseUrl",
        "tlogs[0].publicKey.rawBytes",
        "tlogs[0].logId",
        "certificateAuthorities[0].certChain.certificates",
      ],
    );
    const unmeetable = assertThrowsWithCode(
      () =>
        keylessTrust({ ...sigstore.trustedRoot, ctlogs: [] }, [exact()], { timestampThreshold: 0 }),
      "KEYLESS_OPTIONS_INVALID",
      KeylessError,
    );
    assert.deepEqual(
      unmeetable.problems.map((p) => p.path),
      ["timestampThreshold", "ctlogThreshold"],
    );
    // A root without a CT log works when the policy's edge opts out of SCTs explicitly.
    assert.ok(
      keylessTrust({ ...sigstore.trustedRoot, ctlogs: [] }, [exact()], { ctlogThreshold: 0 }),
    );
  });

  test("keyless signing refuses plain http to anything but loopback", () => {
    assert.throws(
      () =>
        keylessSigning({
          fulcioURL: "http://fulcio.example.com",
          rekorURL: sigstore.url,
          identityToken: () => Promise.resolve("x"),
        }),
      /must use https/,
    );
  });
});

describe(
  "keyless end to end: real registry, mcp-warden discovery, cosign v3",
  { skip: SKIP_NO_REGISTRY, timeout: 300_000 },
  () => {
    let sigstore: SigstoreMock;
    let registry: RegistryServer;
    let client: RegistryClient;
    let dir: string;
    let predicate: EvaluationPredicate;
    const cosign3 = findTool("cosign");

    before(async () => {
      [sigstore, registry] = await Promise.all([startSigstoreMock(), startRegistry()]);
      client = new RegistryClient({ timeoutMs: 5000 });
      dir = await mkdtemp(join(tmpdir(), "mcp-warden-keyless-"));
      await writeFile(join(dir, "trusted_root.json"), JSON.stringify(sigstore.trustedRoot));
      predicate = validPredicate();
    });
    after(async () => {
      await sigstore?.stop();
      await registry?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const keyless = () =>
      keylessSigning({
        fulcioURL: sigstore.url,
        rekorURL: sigstore.url,
        tsaURL: sigstore.url,
        rekorEntryType: "intoto",
        identityToken: () => Promise.resolve(sigstore.token({ iss: ISSUER, sub: SUBJECT })),
      });
    let image: { repo: string; ref: string; digest: string } | undefined;
    const signedImage = async () => {
      if (image) return image;
      const repo = `${registry.host}/mcp/keyless`;
      const pushed = await pushImage(client, repo, "v1", `keyless-${Date.now()}`);
      const ref = `${repo}@${pushed.manifest.digest}`;
      const { signer, witnesses } = keyless();
      const now = new Date();
      await signImage(client, ref, signer, now, witnesses);
      await attestEvaluation(client, ref, predicate, signer, now, witnesses);
      image = { repo, ref, digest: pushed.manifest.digest };
      return image;
    };

    test("signImage and attestEvaluation keylessly; gatherImageFacts verifies them with the keyless identity", async () => {
      const img = await signedImage();
      const signer = `keyless:${ISSUER}:${SUBJECT}`;
      const trust = keylessTrust(sigstore.trustedRoot, [
        { keyless: { issuer: ISSUER, subjectRegExp: "^https://github\\.com/acme/" } },
      ]);
      const facts = await gatherImageFacts(client, img.ref, { keys: [], keyless: trust });
      assert.equal(facts.digest, img.digest);
      assert.deepEqual(facts.verifiedSignatures, [{ signer }]);
      assert.deepEqual(
        facts.verifiedEvaluations.map((e) => [e.signer, e.verdict, e.trustLevel]),
        [[signer, "pass", "L3"]],
      );
      assert.deepEqual([facts.rejectedSignatures, facts.rejectedEvaluations], [[], []]);

      const other = keylessTrust(sigstore.trustedRoot, [
        exact(ISSUER, "https://github.com/other/x"),
      ]);
      const denied = await gatherImageFacts(client, img.ref, { keys: [], keyless: other });
      assert.deepEqual([denied.verifiedSignatures, denied.verifiedEvaluations], [[], []]);
      assert.match(
        denied.rejectedSignatures[0]!.reason,
        /does not match any trusted keyless signer/,
      );
      assert.match(
        denied.rejectedEvaluations[0]!.reason,
        /does not match any trusted keyless signer/,
      );
    });

    test(
      "cosign v3 verifies the keyless signature and attestation offline against the same trusted root",
      { skip: cosign3 ? false : "cosign v3 not built (scripts/build-supply-chain-tools.sh)" },
      async () => {
        const img = await signedImage();
        const cosign = (args: string[]) =>
          run(
            cosign3!,
            [
              ...args,
              "--trusted-root",
              join(dir, "trusted_root.json"),
              "--certificate-oidc-issuer",
              ISSUER,
              "--allow-insecure-registry",
              "--allow-http-registry",
              img.ref,
            ],
            { cwd: dir, timeout: 60_000 },
          );
        const verified = await cosign(["verify", "--certificate-identity", SUBJECT]);
        assert.match(verified.stdout, new RegExp(img.digest.replace("sha256:", "")));
        assert.match(verified.stderr, /transparency log was verified offline/);
        assert.match(verified.stderr, /verified using trusted certificate authority certificates/);
        const attested = await cosign([
          "verify-attestation",
          "--certificate-identity-regexp",
          "^https://github\\.com/acme/",
          "--type",
          "https://mcp-warden.dev/evaluation/v1",
        ]);
        assert.match(attested.stdout, /"payloadType":"application\/vnd.in-toto\+json"/);
        // cosign applies the identity too.
        await assert.rejects(
          cosign(["verify", "--certificate-identity", "https://github.com/other/x"]),
          (err: { stderr?: string }) => /no matching CertificateIdentity/.test(err.stderr ?? ""),
        );
      },
    );
  },
);
