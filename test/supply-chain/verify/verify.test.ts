/**
 * Signatures and evaluations end to end with real components: Debian's docker-registry on
 * loopback (no referrers API, so the fallback index), cosign v3 and v2 built from the Go module
 * proxy, and mcp-warden's own signing. Each case pushes its own image.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { EvaluationPredicate } from "../../../policies/evaluation/predicate.ts";
import type { ImageFacts } from "../../../policies/workload/image-evidence.ts";
import { imageRules } from "../../../policies/workload/rules/image.ts";
import { RegistryClient } from "../../../supply-chain/registry/client.ts";
import { EMPTY_DESCRIPTOR, EMPTY_JSON, MEDIA_TYPES } from "../../../supply-chain/registry/types.ts";
import { CosignKeyError } from "../../../supply-chain/sign/cosign-key.ts";
import { keySigner } from "../../../supply-chain/sign/key-signer.ts";
import { attestEvaluation, signImage } from "../../../supply-chain/sign/sign-image.ts";
import { gatherImageFacts } from "../../../supply-chain/verify/gather.ts";
import { keyId, type TrustedKey } from "../../../supply-chain/verify/trusted-keys.ts";
import { contextFor } from "../../support/context.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../../support/registry-server.ts";
import { encode, findTool, pushImage } from "../../support/supply-chain.ts";
import { validPredicate } from "../../support/evaluation.ts";
import { assertThrowsWithCode } from "../../support/throws.ts";

const run = promisify(execFile);
const cosign3 = findTool("cosign");
const cosign2 = findTool("cosign-v2");
const skip =
  SKIP_NO_REGISTRY ||
  (cosign3 && cosign2 ? false : "cosign v3/v2 not built (scripts/build-supply-chain-tools.sh)");
// Set from the fixture: a day after the evaluation it records.
let NOW = new Date();
const HOUR = 3_600_000;

function trusted(key: KeyObject): TrustedKey {
  return { id: keyId(key), key };
}

/** What image/signed and image/evaluated say about these facts under the default settings. */
function judge(
  reference: string,
  facts: ImageFacts,
  settings?: { minTrustLevel?: "L1" | "L2" | "L3" | "L4"; maxAgeMs?: number },
) {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p" },
    spec: { containers: [{ name: "c", image: reference }] },
  };
  const ctx = contextFor(pod, {
    evidence: { forImage: (ref) => (ref === reference ? facts : undefined) },
    now: NOW,
    settings: {
      evaluation: {
        minTrustLevel: settings?.minTrustLevel ?? "L3",
        maxAgeMs: settings?.maxAgeMs ?? 720 * 3_600_000,
      },
    },
  });
  const rule = (id: string) => imageRules.find((r) => r.id === id)!.check(ctx);
  return { signed: rule("image/signed"), evaluated: rule("image/evaluated") };
}

describe(
  "signatures and evaluations with a real registry and real cosign",
  { skip, timeout: 300_000 },
  () => {
    let registry: RegistryServer;
    let client: RegistryClient;
    let dir: string;
    let predicate: EvaluationPredicate;
    const ours = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const attacker = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const oursSigner = keySigner(ours.privateKey);
    const attackerSigner = keySigner(attacker.privateKey);
    let seed = 0;

    const cosign = (bin: string, args: string[]) =>
      run(bin, args, {
        cwd: dir,
        timeout: 60_000,
        env: { ...process.env, COSIGN_PASSWORD: "", COSIGN_YES: "true" },
      });
    const insecure = ["--allow-insecure-registry", "--allow-http-registry"];
    const newImage = async () => {
      const repo = `${registry.host}/mcp/server`;
      const tag = `v${++seed}`;
      const pushed = await pushImage(client, repo, tag, `seed-${seed}-${Date.now()}`);
      return {
        repo,
        ref: `${repo}@${pushed.manifest.digest}`,
        digest: pushed.manifest.digest,
        descriptor: pushed.manifest,
      };
    };
    const evaluation = (changes: Partial<EvaluationPredicate>): EvaluationPredicate => ({
      ...predicate,
      ...changes,
    });

    before(async () => {
      registry = await startRegistry();
      client = new RegistryClient({ timeoutMs: 5000 });
      dir = await mkdtemp(join(tmpdir(), "mcp-warden-verify-"));
      await cosign(cosign3!, ["generate-key-pair", "--output-key-prefix", "cosign"]);
      await writeFile(
        join(dir, "ours.pub"),
        ours.publicKey.export({ type: "spki", format: "pem" }),
      );
      predicate = validPredicate();
      NOW = new Date(Date.parse(predicate.time) + 24 * HOUR);
    });

    after(async () => {
      await registry?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const cosignKey = async () =>
      trusted(
        (await import("node:crypto")).createPublicKey(await readFile(join(dir, "cosign.pub"))),
      );

    test("a cosign v3 key-based signature (bundle referrer) verifies", async () => {
      const img = await newImage();
      await cosign(cosign3!, [
        "sign",
        "--key",
        "cosign.key",
        "--tlog-upload=false",
        "--use-signing-config=false",
        ...insecure,
        img.ref,
      ]);
      const key = await cosignKey();
      const facts = await gatherImageFacts(client, img.ref, { keys: [key] });
      assert.deepEqual(facts.verifiedSignatures, [{ signer: key.id }]);
      assert.deepEqual(judge(img.ref, facts).signed, []);
    });

    test("a cosign v2 legacy .sig signature verifies", async () => {
      const img = await newImage();
      await cosign(cosign2!, [
        "sign",
        "--key",
        "cosign.key",
        "--tlog-upload=false",
        ...insecure,
        img.ref,
      ]);
      const key = await cosignKey();
      const facts = await gatherImageFacts(client, img.ref, { keys: [key] });
      assert.deepEqual(facts.verifiedSignatures, [{ signer: key.id }]);
    });

    test("mcp-warden's signature and evaluation verify with cosign verify and verify-attestation", async () => {
      const img = await newImage();
      await signImage(client, img.ref, oursSigner, NOW);
      await attestEvaluation(client, img.ref, predicate, oursSigner, NOW);
      const verified = await cosign(cosign3!, [
        "verify",
        "--key",
        "ours.pub",
        "--insecure-ignore-tlog",
        ...insecure,
        img.ref,
      ]);
      assert.match(verified.stdout, new RegExp(img.digest.replace("sha256:", "")));
      const attested = await cosign(cosign3!, [
        "verify-attestation",
        "--key",
        "ours.pub",
        "--insecure-ignore-tlog",
        "--type",
        "https://mcp-warden.dev/evaluation/v1",
        ...insecure,
        img.ref,
      ]);
      assert.match(attested.stdout, /"payloadType":"application\/vnd.in-toto\+json"/);
      const facts = await gatherImageFacts(client, img.ref, { keys: [trusted(ours.publicKey)] });
      assert.equal(facts.verifiedSignatures.length, 1);
      assert.deepEqual(
        facts.verifiedEvaluations.map((e) => [e.verdict, e.trustLevel]),
        [["pass", "L3"]],
      );
      assert.deepEqual(judge(img.ref, facts), { signed: [], evaluated: [] });
    });

    test("mcp-warden signs with a key in cosign's encrypted format; cosign verifies it", async () => {
      await run(cosign3!, ["generate-key-pair", "--output-key-prefix", "protected"], {
        cwd: dir,
        env: { ...process.env, COSIGN_PASSWORD: "correct horse" },
      });
      const pem = await readFile(join(dir, "protected.key"), "utf8");
      assertThrowsWithCode(() => keySigner(pem, "wrong"), "WRONG_PASSWORD", CosignKeyError);
      const img = await newImage();
      await signImage(client, img.ref, keySigner(pem, "correct horse"), NOW);
      const verified = await cosign(cosign3!, [
        "verify",
        "--key",
        "protected.pub",
        "--insecure-ignore-tlog",
        ...insecure,
        img.ref,
      ]);
      assert.match(verified.stdout, new RegExp(img.digest.replace("sha256:", "")));
    });

    test("a tag is resolved to its digest, and the digest is what is signed", async () => {
      const img = await newImage();
      const signed = await signImage(client, `${img.repo}:v${seed}`, oursSigner, NOW);
      assert.equal(signed.subject.digest, img.digest);
      const facts = await gatherImageFacts(client, img.ref, { keys: [trusted(ours.publicKey)] });
      assert.equal(facts.verifiedSignatures.length, 1);
    });

    test("unsigned image: no signature, no evaluation, both rules deny", async () => {
      const img = await newImage();
      const facts = await gatherImageFacts(client, img.ref, { keys: [trusted(ours.publicKey)] });
      const { signed, evaluated } = judge(img.ref, facts);
      assert.match(signed[0]!.message, /is not signed/);
      assert.match(evaluated[0]!.message, /has no evaluation attestation/);
    });

    test("a signature by an untrusted key is rejected", async () => {
      const img = await newImage();
      await signImage(client, img.ref, attackerSigner, NOW);
      const facts = await gatherImageFacts(client, img.ref, { keys: [trusted(ours.publicKey)] });
      assert.equal(facts.verifiedSignatures.length, 0);
      assert.match(facts.rejectedSignatures[0]!.reason, /untrusted key/);
      assert.match(judge(img.ref, facts).signed[0]!.message, /no signature from a trusted signer/);
    });

    test("a signature and an attestation copied from another image are rejected", async () => {
      const source = await newImage();
      const signed = await signImage(client, source.ref, oursSigner, NOW);
      const attested = await attestEvaluation(client, source.ref, predicate, oursSigner, NOW);
      const target = await newImage();
      for (const referrer of [signed.referrer, attested.referrer]) {
        const manifest = await client.getManifest(source.repo, referrer.descriptor.digest);
        const copy = {
          ...manifest.json,
          subject: {
            mediaType: target.descriptor.mediaType,
            digest: target.digest,
            size: target.descriptor.size,
          },
        };
        await client.attachReferrer(target.repo, encode(copy), MEDIA_TYPES.ociManifest);
      }
      const facts = await gatherImageFacts(client, target.ref, { keys: [trusted(ours.publicKey)] });
      assert.equal(facts.verifiedSignatures.length, 0);
      assert.equal(facts.verifiedEvaluations.length, 0);
      assert.match(facts.rejectedSignatures[0]!.reason, /about another image/);
      assert.match(facts.rejectedEvaluations[0]!.reason, /about another image/);
    });

    test("a tampered payload is rejected", async () => {
      const img = await newImage();
      const attested = await attestEvaluation(
        client,
        img.ref,
        evaluation({ verdict: "fail" }),
        oursSigner,
        NOW,
      );
      const manifest = await client.getManifest(img.repo, attested.referrer.descriptor.digest);
      const layer = (manifest.json as { layers: { digest: string }[] }).layers[0]!;
      const bundle = JSON.parse(
        Buffer.from(await client.getBlob(img.repo, layer.digest)).toString(),
      ) as { dsseEnvelope: { payload: string } };
      const statement = Buffer.from(bundle.dsseEnvelope.payload, "base64")
        .toString()
        .replace('"verdict":"fail"', '"verdict":"pass"');
      bundle.dsseEnvelope.payload = Buffer.from(statement).toString("base64");
      const bytes = encode(bundle);
      const pushed = await client.pushBlob(img.repo, bytes, MEDIA_TYPES.sigstoreBundleV03);
      const forged = { ...manifest.json, layers: [pushed] };
      await client.attachReferrer(img.repo, encode(forged), MEDIA_TYPES.ociManifest);
      const facts = await gatherImageFacts(client, img.ref, { keys: [trusted(ours.publicKey)] });
      assert.deepEqual(
        facts.verifiedEvaluations.map((e) => e.verdict),
        ["fail"],
      );
      assert.ok(facts.rejectedEvaluations.some((r) => /does not verify/.test(r.reason)));
      assert.match(judge(img.ref, facts).evaluated[0]!.message, /its verdict is fail/);
    });

    test("evaluations are held to the policy: verdict, trust level, age", async () => {
      const cases: [Partial<EvaluationPredicate>, RegExp][] = [
        [{ verdict: "fail" }, /its verdict is fail/],
        [{ trustLevel: "L2" }, /trust level L2 is below the required L3/],
        [
          { time: new Date(Date.parse(predicate.time) - 40 * 24 * HOUR).toISOString() },
          /older than the allowed 720h/,
        ],
      ];
      for (const [changes, expected] of cases) {
        const img = await newImage();
        await signImage(client, img.ref, oursSigner, NOW);
        await attestEvaluation(client, img.ref, evaluation(changes), oursSigner, NOW);
        const facts = await gatherImageFacts(client, img.ref, { keys: [trusted(ours.publicKey)] });
        const { signed, evaluated } = judge(img.ref, facts);
        assert.deepEqual(signed, []);
        assert.match(evaluated[0]?.message ?? "", expected);
      }
    });

    test("an attestation an attacker pushed next to the valid one is ignored; the valid one is used", async () => {
      const img = await newImage();
      await signImage(client, img.ref, oursSigner, NOW);
      await attestEvaluation(client, img.ref, predicate, oursSigner, NOW);
      // Newer, and claiming L4: it would win if it were trusted.
      await attestEvaluation(
        client,
        img.ref,
        evaluation({
          trustLevel: "L4",
          time: new Date(Date.parse(predicate.time) + 6 * HOUR).toISOString(),
        }),
        attackerSigner,
        NOW,
      );
      const facts = await gatherImageFacts(client, img.ref, { keys: [trusted(ours.publicKey)] });
      assert.deepEqual(
        facts.verifiedEvaluations.map((e) => e.trustLevel),
        ["L3"],
      );
      assert.equal(facts.rejectedEvaluations.length, 1);
      assert.deepEqual(judge(img.ref, facts), { signed: [], evaluated: [] });
    });

    test("referrers pointing at a missing or an oversized blob are rejected; the valid one still counts", async () => {
      const img = await newImage();
      await signImage(client, img.ref, oursSigner, NOW);
      const subject = {
        mediaType: img.descriptor.mediaType,
        digest: img.digest,
        size: img.descriptor.size,
      };
      const referrerWith = (layer: { mediaType: string; digest: string; size: number }) => ({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        artifactType: MEDIA_TYPES.sigstoreBundleV03,
        config: EMPTY_DESCRIPTOR,
        layers: [layer],
        subject,
      });
      await client.pushBlob(img.repo, EMPTY_JSON, MEDIA_TYPES.ociEmpty);
      const big = await client.pushBlob(
        img.repo,
        new Uint8Array(2 * 1024 * 1024).fill(0x20),
        MEDIA_TYPES.sigstoreBundleV03,
      );
      await client.attachReferrer(img.repo, encode(referrerWith(big)), MEDIA_TYPES.ociManifest);
      const doomed = await client.pushBlob(
        img.repo,
        encode({ doomed: img.digest }),
        MEDIA_TYPES.sigstoreBundleV03,
      );
      await client.attachReferrer(img.repo, encode(referrerWith(doomed)), MEDIA_TYPES.ociManifest);
      // The registry deletes the blob; the referrer manifest keeps pointing at it.
      const repository = img.repo.slice(registry.host.length + 1);
      const deleted = await fetch(`${registry.url}/v2/${repository}/blobs/${doomed.digest}`, {
        method: "DELETE",
      });
      assert.equal(deleted.status, 202);
      const facts = await gatherImageFacts(client, img.ref, { keys: [trusted(ours.publicKey)] });
      assert.equal(facts.verifiedSignatures.length, 1);
      assert.equal(facts.rejectedSignatures.length, 2);
      const reasons = facts.rejectedSignatures.map((r) => r.reason).join("\n");
      assert.match(reasons, new RegExp(`referrer sha256:[0-9a-f]{64}: .*(limit|large)`, "i"));
      assert.match(reasons, /not found|unknown/i);
      assert.deepEqual(judge(img.ref, facts).signed, []);
    });

    test("a registry that is down, or too slow, fails fast with a reason; the rules deny", async () => {
      const closed = await new Promise<number>((resolve) => {
        const s: Server = createServer();
        s.listen(0, "127.0.0.1", () => {
          const port = (s.address() as { port: number }).port;
          s.close(() => resolve(port));
        });
      });
      const down = `127.0.0.1:${closed}/mcp/server@sha256:${"a".repeat(64)}`;
      const downFacts = await gatherImageFacts(
        new RegistryClient({ timeoutMs: 2000, retries: 0 }),
        down,
        { keys: [trusted(ours.publicKey)] },
      );
      assert.ok(downFacts.lookupError);
      assert.match(judge(down, downFacts).signed[0]!.message, /could not be verified/);

      const silent: Server = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      try {
        const slow = `127.0.0.1:${(silent.address() as { port: number }).port}/mcp/server@sha256:${"a".repeat(64)}`;
        const slowFacts = await gatherImageFacts(
          new RegistryClient({ timeoutMs: 300, retries: 0 }),
          slow,
          { keys: [trusted(ours.publicKey)] },
        );
        assert.ok(slowFacts.lookupError);
        assert.match(judge(slow, slowFacts).evaluated[0]!.message, /could not be verified/);
      } finally {
        silent.close();
      }
    });
  },
);
