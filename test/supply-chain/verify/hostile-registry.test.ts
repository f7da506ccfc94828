/**
 * Whoever controls what a registry answers (or can push to an image's repository) must not get an
 * image admitted, take the webhook down, or get a validly signed image denied. A real
 * `docker-registry` on loopback, behind a front that garbles selected answers.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { stringify } from "yaml";
import type { EvaluationPredicate } from "../../../policies/evaluation/predicate.ts";
import { legacyTag, referrersTag, RegistryClient } from "../../../supply-chain/registry/client.ts";
import { RegistryError } from "../../../supply-chain/registry/errors.ts";
import { addressClass, assertDestination, Transport } from "../../../supply-chain/registry/http.ts";
import { LIMITS, quotable } from "../../../supply-chain/registry/limits.ts";
import {
  EMPTY_DESCRIPTOR,
  MEDIA_TYPES,
  type Descriptor,
} from "../../../supply-chain/registry/types.ts";
import { keySigner } from "../../../supply-chain/sign/key-signer.ts";
import { attestEvaluation, signImage } from "../../../supply-chain/sign/sign-image.ts";
import { gatherImageFacts } from "../../../supply-chain/verify/gather.ts";
import { keyId } from "../../../supply-chain/verify/trusted-keys.ts";
import { keyPolicy, keyPolicyDocument, webhook } from "../../support/admission-harness.ts";
import { compliantPodSpec } from "../../support/policies.ts";
import { runCli } from "../../support/cli.ts";
import { validPredicate } from "../../support/evaluation.ts";
import {
  answer,
  matches,
  startHostileRegistry,
  trickle,
  INDEX_HEADERS,
  ociIndex,
  servedReferrer,
  type FrontRequest,
  type FrontRule,
  type HostileFront,
  type HostileRegistry,
} from "../../support/hostile-front.ts";
import { SKIP_NO_REGISTRY, type RegistryServer } from "../../support/registry-server.ts";
import { encode } from "../../support/supply-chain.ts";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

const INDEX = INDEX_HEADERS;
/** A hostile answer made for one image. */
type RuleFor = (img: { digest: string }) => FrontRule;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f]/;

describe("hostile registry answers", { skip: SKIP_NO_REGISTRY, timeout: 300_000 }, () => {
  let registry: RegistryServer;
  let front: HostileFront;
  let client: RegistryClient;
  let predicate: EvaluationPredicate;
  let now: Date;
  let dir: string;
  let policyFile: string;
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const signer = keySigner(key.privateKey);
  const trusted = [{ id: keyId(key.publicKey), key: key.publicKey }];
  let hostile: HostileRegistry;

  before(async () => {
    hostile = await startHostileRegistry();
    ({ registry, front, client } = hostile);
    predicate = validPredicate();
    now = new Date(Date.parse(predicate.time) + 3_600_000);
    dir = await mkdtemp(join(tmpdir(), "mcp-warden-hostile-"));
    policyFile = join(dir, "policy.yaml");
    await writeFile(policyFile, stringify(keyPolicyDocument(key.publicKey, "audit")));
  });
  beforeEach(() => {
    front.rules.length = 0;
  });
  after(async () => {
    await hostile?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const image = (name = "app") => hostile.image(name);

  /** `mcp-warden verify` of `ref` under the audit policy, as a user runs it. */
  const verifyCli = (ref: string, ...extra: string[]) =>
    runCli(["verify", ref, "--policy", policyFile, "--now", now.toISOString(), ...extra]);

  /** A new image, signed and with a passing evaluation, by the trusted key. */
  async function signedImage(name = "signed") {
    const img = await image(name);
    await signImage(client, img.direct, signer, now);
    await attestEvaluation(client, img.direct, predicate, signer, now);
    return img;
  }

  const lookup = (ref: string, opts: { timeoutMs?: number } = {}) =>
    gatherImageFacts(new RegistryClient({ retries: 0 }), ref, { keys: trusted, ...opts });

  /** The fallback index of `digest` answered by `body` (any method). */
  const fallback =
    (digest: string, body: string, headers: Record<string, string> = INDEX) =>
    (req: FrontRequest, res: ServerResponse) =>
      matches(req, `/manifests/${referrersTag(digest)}`) && answer(req, res, 200, headers, body);

  describe("a malformed value anywhere is a lookup failure that denies, never an internal error", () => {
    const cases: [string, RuleFor][] = [
      [
        "a referrers page whose Link header is not a URL",
        () => (req, res) =>
          matches(req, /\/referrers\//) &&
          answer(req, res, 200, { ...INDEX, link: '<http://[::1>; rel="next"' }, ociIndex([])),
      ],
      [
        "Docker-Content-Digest and Content-Type garbled, and a manifest that is not JSON",
        ({ digest }) =>
          (req, res) =>
            matches(req, `/manifests/${digest}`) &&
            answer(
              req,
              res,
              200,
              {
                "content-type": "application/vnd.oci.image.manifest.v1+json;;=;",
                "docker-content-digest": "sha256:../../x",
              },
              "{ not json",
            ),
      ],
      ["a fallback index that is not JSON", ({ digest }) => fallback(digest, '{"manifests": [')],
      [
        "a fallback index with descriptors of the wrong types",
        ({ digest }) =>
          fallback(
            digest,
            ociIndex([
              { mediaType: 5, digest: "sha256:zz", size: -1, annotations: { a: {} } },
              {
                mediaType: MEDIA_TYPES.ociManifest,
                digest: `sha256:${"0".repeat(64)}`,
                size: 1e300,
              },
            ]),
          ),
      ],
      [
        "annotations that are not strings",
        ({ digest }) =>
          fallback(
            digest,
            ociIndex([
              {
                mediaType: MEDIA_TYPES.ociManifest,
                digest: `sha256:${"1".repeat(64)}`,
                size: 10,
                annotations: { "dev.sigstore.bundle.predicateType": 42 },
              },
            ]),
          ),
      ],
      [
        "a fallback index nested deeper than any parser should go",
        ({ digest }) => fallback(digest, "[".repeat(200_000)),
      ],
      [
        "a WWW-Authenticate challenge whose realm is not a URL",
        () => (req, res) =>
          answer(req, res, 401, { "www-authenticate": 'Bearer realm="http://[bad",service="x"' }),
      ],
      [
        "a WWW-Authenticate challenge that is not a challenge",
        () => (req, res) => answer(req, res, 401, { "www-authenticate": ',,,"=;;\\' }),
      ],
      [
        "a redirect whose Location is not a URL",
        ({ digest }) =>
          (req, res) =>
            matches(req, `/manifests/${referrersTag(digest)}`) &&
            answer(req, res, 307, { location: "http://[::1" }),
      ],
      [
        "a referrer whose bundle is not JSON, next to one whose bundle is not a bundle",
        ({ digest }) => {
          const junk = front.serve("\u0000\u0001 not json", MEDIA_TYPES.sigstoreBundleV03);
          const notBundle = front.serve(
            JSON.stringify({ mediaType: 7, content: [] }),
            MEDIA_TYPES.sigstoreBundleV03,
          );
          const referrers = [junk, notBundle].map((layer) => servedReferrer(front, digest, layer));
          return fallback(digest, ociIndex(referrers));
        },
      ],
      [
        "a legacy .att envelope whose payload and signatures are not base64, and a .sig that is an error page",
        ({ digest }) => {
          const envelope = front.serve(
            JSON.stringify({
              payloadType: MEDIA_TYPES.inToto,
              payload: "%%%",
              signatures: [{ sig: "***" }, null, 3],
            }),
            MEDIA_TYPES.dsseEnvelope,
          );
          const att = JSON.stringify({
            schemaVersion: 2,
            mediaType: MEDIA_TYPES.ociManifest,
            config: EMPTY_DESCRIPTOR,
            layers: [
              {
                ...envelope,
                annotations: {
                  "dev.sigstore.cosign/certificate":
                    "-----BEGIN CERTIFICATE-----%%%-----END CERTIFICATE-----",
                },
              },
            ],
          });
          return (req, res) =>
            (matches(req, `/manifests/${legacyTag(digest, ".att")}`) &&
              answer(req, res, 200, { "content-type": MEDIA_TYPES.ociManifest }, att)) ||
            (matches(req, `/manifests/${legacyTag(digest, ".sig")}`) &&
              answer(req, res, 200, { "content-type": "text/html" }, "<html>oops</html>"));
        },
      ],
    ];

    for (const [name, rule] of cases) {
      test(name, async () => {
        const img = await image("malformed");
        front.rules.push(rule(img));
        const facts = await lookup(img.front);
        assert.equal(facts.verifiedSignatures.length, 0);
        assert.ok(
          facts.lookupError !== undefined || facts.rejectedSignatures.length > 0,
          JSON.stringify(facts),
        );
        // The webhook with the documented fail-open for internal errors still denies, through
        // image/signed: a malformed answer is a lookup failure, not an internal error.
        const hook = webhook(keyPolicy(key.publicKey, "audit"), { deadlineMs: 5000, now });
        try {
          const result = await hook.admit([img.front]);
          assert.equal(result.allowed, false, result.message);
          assert.match(result.message, /\[image\/signed\] spec\.containers\[0\]\.image: /);
          assert.doesNotMatch(result.message, /admission\/error/);
        } finally {
          await hook.close();
        }
      });
    }

    test("a bundle carrying more log entries, timestamps or certificates than any real one is refused unread", async () => {
      const img = await image("excess");
      const entry = {
        logIndex: "1",
        logId: { keyId: "AAAA" },
        kindVersion: { kind: "x", version: "1" },
      };
      const bundles = [
        { tlogEntries: Array.from({ length: 1000 }, () => entry) },
        {
          timestampVerificationData: { rfc3161Timestamps: Array.from({ length: 50 }, () => ({})) },
        },
        {
          x509CertificateChain: {
            certificates: Array.from({ length: 50 }, () => ({ rawBytes: "AAAA" })),
          },
        },
      ].map((verificationMaterial) =>
        front.serve(
          JSON.stringify({ mediaType: MEDIA_TYPES.sigstoreBundleV03, verificationMaterial }),
          MEDIA_TYPES.sigstoreBundleV03,
        ),
      );
      front.rules.push(
        fallback(img.digest, ociIndex(bundles.map((b) => servedReferrer(front, img.digest, b)))),
      );
      const facts = await lookup(img.front);
      assert.deepEqual(
        facts.rejectedSignatures.map((r) =>
          /carries (\d+) ([A-Za-z0-9 ]+), more than/.exec(r.reason)?.slice(1),
        ),
        [
          ["1000", "transparency log entries"],
          ["50", "RFC 3161 timestamps"],
          ["50", "chain certificates"],
        ],
      );
    });

    test("mcp-warden verify denies with the lookup's reason (exit 1), never an internal error", async () => {
      const img = await image("malformed");
      front.rules.push(cases[0]![1](img));
      const res = await verifyCli(img.front);
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stdout, /lookup {5}FAILED: .*referrers page link .* is not a URL/);
      assert.match(res.stdout, /DENY {2}image\/signed: .*could not be verified/);
    });
  });

  describe("one broken piece of evidence never hides the valid evidence next to it", () => {
    test("junk pushed to the .sig and .att tags and a junk referrer next to a valid signature", async () => {
      const img = await signedImage("junk-next-to-valid");
      // What anyone who can push to the repository can do, in the real registry.
      const junkPayload = await client.pushBlob(
        img.repo,
        randomBytes(64),
        MEDIA_TYPES.cosignSimpleSigning,
      );
      const junkEnvelope = await client.pushBlob(
        img.repo,
        encode({ payloadType: MEDIA_TYPES.inToto, payload: "e30=", signatures: [{ sig: "AAAA" }] }),
        MEDIA_TYPES.dsseEnvelope,
      );
      const config = await client.pushBlob(img.repo, encode({}), MEDIA_TYPES.ociConfig);
      const legacy = (layers: Descriptor[]) =>
        encode({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config, layers });
      await client.pushManifest(
        img.repo,
        legacyTag(img.digest, ".sig"),
        legacy([
          { ...junkPayload, annotations: { "dev.cosignproject.cosign/signature": "not base64!" } },
          {
            ...junkPayload,
            annotations: {
              "dev.sigstore.cosign/certificate": "junk",
              "dev.sigstore.cosign/bundle": "{",
            },
          },
        ]),
        MEDIA_TYPES.ociManifest,
      );
      await client.pushManifest(
        img.repo,
        legacyTag(img.digest, ".att"),
        legacy([junkEnvelope]),
        MEDIA_TYPES.ociManifest,
      );
      const junkBundle = await client.pushBlob(
        img.repo,
        encode({ not: "a bundle" }),
        MEDIA_TYPES.sigstoreBundleV03,
      );
      await client.attachReferrer(
        img.repo,
        encode({
          schemaVersion: 2,
          mediaType: MEDIA_TYPES.ociManifest,
          artifactType: MEDIA_TYPES.sigstoreBundleV03,
          config: EMPTY_DESCRIPTOR,
          layers: [junkBundle],
          subject: img.subject,
        }),
        MEDIA_TYPES.ociManifest,
      );

      const facts = await lookup(img.direct);
      assert.deepEqual(facts.verifiedSignatures, [{ signer: trusted[0]!.id }]);
      assert.equal(facts.verifiedEvaluations.length, 1);
      assert.ok(facts.rejectedSignatures.length >= 2, JSON.stringify(facts.rejectedSignatures));
      assert.equal(facts.lookupError, undefined);

      const hook = webhook(keyPolicy(key.publicKey, "enforce"), { deadlineMs: 5000, now });
      try {
        const result = await hook.admit([img.direct]);
        assert.equal(result.allowed, true, result.message);
      } finally {
        await hook.close();
      }
    });

    test("a .sig tag answered with garbage and an .att tag that always fails, next to a valid signature", async () => {
      const img = await signedImage("broken-legacy");
      front.rules.push(
        (req, res) =>
          matches(req, `/manifests/${legacyTag(img.digest, ".sig")}`) &&
          answer(req, res, 200, { "content-type": MEDIA_TYPES.ociManifest }, "\u0000garbage"),
        (req, res) =>
          matches(req, `/manifests/${legacyTag(img.digest, ".att")}`) && answer(req, res, 500, {}),
      );
      const facts = await lookup(img.front);
      assert.deepEqual(facts.verifiedSignatures, [{ signer: trusted[0]!.id }]);
      assert.equal(facts.verifiedEvaluations.length, 1);
      // The failing tag is reported, and does not decide.
      assert.match(facts.lookupError ?? "", /HTTP 500.*\.att/);
      const hook = webhook(keyPolicy(key.publicKey, "enforce"), { deadlineMs: 5000, now });
      try {
        const result = await hook.admit([img.front]);
        assert.equal(result.allowed, true, result.message);
      } finally {
        await hook.close();
      }
    });
  });

  describe("one deadline for a whole lookup", () => {
    const slowCases: [string, RuleFor][] = [
      [
        "a fallback index trickled one byte at a time (slowloris body)",
        ({ digest }) =>
          (req, res) =>
            matches(req, `/manifests/${referrersTag(digest)}`, "GET") && trickle(res, INDEX, 100),
      ],
      [
        "headers that never finish",
        ({ digest }) =>
          (req, res) =>
            matches(req, `/manifests/${referrersTag(digest)}`, "GET") &&
            trickle(res, INDEX, 100, true),
      ],
      [
        "many pages, each slow but within the per-call timeout",
        () => (req, res) => {
          if (!matches(req, /\/referrers\//)) return false;
          const n = Number(/[?&]n=(\d+)/.exec(req.path)?.[1] ?? 0);
          const next =
            req.path.replace(/[?&]n=\d+/, "") + `${req.path.includes("?") ? "&" : "?"}n=${n + 1}`;
          setTimeout(
            () => answer(req, res, 200, { ...INDEX, link: `<${next}>; rel="next"` }, ociIndex([])),
            900,
          );
          return true;
        },
      ],
    ];

    for (const [name, rule] of slowCases) {
      test(`${name}: the lookup, the webhook and mcp-warden verify end within one deadline`, async () => {
        const img = await image("slow");
        front.rules.push(rule(img));
        // Each call alone would have 5 s; the whole lookup has 1.5 s.
        const started = performance.now();
        const facts = await gatherImageFacts(
          new RegistryClient({ timeoutMs: 5000, retries: 0 }),
          img.front,
          {
            keys: trusted,
            timeoutMs: 1500,
          },
        );
        const tookMs = performance.now() - started;
        assert.match(facts.lookupError ?? "", /deadline|cancelled|within/);
        assert.ok(tookMs < 4000, `lookup took ${tookMs} ms`);

        // The webhook: lookups end before the admission's own deadline, so even with
        // "admission/error": audit the image is denied through image/signed.
        const hook = webhook(keyPolicy(key.publicKey, "audit"), {
          deadlineMs: 2000,
          now,
          client: { timeoutMs: 5000, retries: 0 },
        });
        try {
          const result = await hook.admit([img.front]);
          assert.equal(result.allowed, false, result.message);
          assert.match(result.message, /\[image\/signed\] .*could not be verified/);
          assert.ok(result.elapsedMs < 2000, `answered after ${result.elapsedMs} ms`);
        } finally {
          await hook.close();
        }

        const cliStarted = performance.now();
        const res = await verifyCli(img.front, "--registry-timeout", "1500");
        const cliMs = performance.now() - cliStarted;
        assert.equal(res.code, 1, res.stderr);
        assert.match(res.stdout, /DENY {2}image\/signed: .*could not be verified/);
        // Node's start-up included; without one deadline the pages alone take 16 × 0.9 s.
        assert.ok(cliMs < 9000, `verify took ${cliMs} ms`);
      });
    }

    test("a slow registry cannot hold every lookup slot: images elsewhere are still judged in time", async () => {
      const slow = await Promise.all(Array.from({ length: 6 }, () => image("slow-many")));
      const slowDigests = new Set(slow.map((img) => img.digest));
      front.rules.push(
        (req, res) =>
          [...slowDigests].some((d) => matches(req, `/manifests/${d}`)) &&
          trickle(res, { "content-type": MEDIA_TYPES.ociManifest }, 200, true),
      );
      const good = await signedImage("elsewhere");
      const hook = webhook(keyPolicy(key.publicKey, "enforce"), { deadlineMs: 3000, now });
      try {
        const [stuck, judged] = await Promise.all([
          hook.admit(
            slow.map((img) => img.front),
            "slow",
          ),
          // After the slow lookups have taken their slots.
          new Promise((r) => setTimeout(r, 200)).then(() => hook.admit([good.direct], "good")),
        ]);
        assert.equal(stuck.allowed, false);
        assert.equal(judged.allowed, true, judged.message);
        assert.ok(judged.elapsedMs < 2000, `answered after ${judged.elapsedMs} ms`);
      } finally {
        await hook.close();
      }
    });

    test("check --verify-images: two images on slow registries end within one deadline each, and deny", async () => {
      const imgs = [await image("slow-check"), await image("slow-check")];
      for (const img of imgs) front.rules.push(slowCases[2]![1](img));
      const manifest = join(dir, "slow-pod.yaml");
      const spec = compliantPodSpec();
      const template = (spec.containers as Record<string, unknown>[])[0]!;
      spec.containers = imgs.map((img, i) => ({ ...template, name: `c${i}`, image: img.front }));
      await writeFile(
        manifest,
        stringify({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "slow", namespace: "team-a" },
          spec,
        }),
      );
      const started = performance.now();
      const res = await runCli([
        "check",
        manifest,
        "--policy",
        policyFile,
        "--verify-images",
        "--registry-timeout",
        "1500",
        "--format",
        "json",
      ]);
      const tookMs = performance.now() - started;
      assert.equal(res.code, 1, res.stderr);
      const findings = (
        JSON.parse(res.stdout) as { results: { findings: { rule: string; message: string }[] }[] }
      ).results[0]!.findings.filter((f) => f.rule === "image/signed");
      assert.equal(findings.length, 2);
      for (const f of findings) assert.match(f.message, /could not be verified/);
      // Node's start-up included; the images are looked up side by side.
      assert.ok(tookMs < 9000, `check took ${tookMs} ms`);
    });

    test("identical descriptors and shared bundles are fetched and counted once per lookup", async () => {
      const img = await signedImage("duplicates");
      const listed = (await client.referrers(img.repo, img.digest))[0]!;
      const referrer = await client.getManifest(img.repo, listed.digest);
      const layer = (referrer.json as { layers: Descriptor[] }).layers[0]!;
      // And five other manifests (served by the front) naming the same bundle blob.
      const sharing = Array.from({ length: 5 }, (_, i) => ({
        ...front.serve(
          JSON.stringify({ ...referrer.json, annotations: { n: String(i) } }),
          MEDIA_TYPES.ociManifest,
        ),
        artifactType: MEDIA_TYPES.sigstoreBundleV03,
      }));
      front.rules.push(
        fallback(img.digest, ociIndex([...Array.from({ length: 20 }, () => listed), ...sharing])),
      );
      const before = front.requests.length;
      const facts = await lookup(img.front);
      assert.deepEqual(facts.verifiedSignatures, [{ signer: trusted[0]!.id }]);
      const seen = front.requests.slice(before);
      assert.equal(
        seen.filter((r) => r.endsWith(`/manifests/${listed.digest}`)).length,
        1,
        seen.join("\n"),
      );
      assert.equal(seen.filter((r) => r.endsWith(`/blobs/${layer.digest}`)).length, 1);
    });
  });

  describe("redirects and links stay where the registry is; registry text is not echoed at length", () => {
    test("address classes", () => {
      const cases: [string, string][] = [
        ["127.0.0.1:5000", "loopback"],
        ["localhost", "loopback"],
        ["[::1]:443", "loopback"],
        ["[::ffff:7f00:1]", "loopback"],
        ["0.0.0.0", "loopback"],
        [new URL("http://0x7f.1/").host, "loopback"],
        ["169.254.169.254", "link-local"],
        ["[fe80::1]", "link-local"],
        ["10.1.2.3", "private"],
        ["172.20.0.1:5000", "private"],
        ["192.168.1.1", "private"],
        ["[fd00::1]", "private"],
        ["kubernetes.default.svc", "private"],
        ["registry.kube-system.svc.cluster.local:5000", "private"],
        ["metadata.google.internal", "private"],
        ["registry", "private"],
        ["ghcr.io", "public"],
        ["8.8.8.8", "public"],
        ["[2001:db8::1]", "public"],
      ];
      for (const [host, cls] of cases) assert.equal(addressClass(host), cls, host);
      const publicRegistry = { registry: "ghcr.io", operation: "getBlob" };
      for (const target of [
        "http://127.0.0.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/",
        "https://[::ffff:127.0.0.1]/",
        "https://kubernetes.default.svc/",
      ])
        assert.throws(
          () => assertDestination(new URL(target), publicRegistry),
          (err: unknown) => err instanceof RegistryError && err.code === "DESTINATION_REFUSED",
          target,
        );
      assertDestination(new URL("https://pkg-containers.githubusercontent.com/x"), publicRegistry);
      assertDestination(new URL("http://127.0.0.1:9/"), {
        registry: "127.0.0.1:5000",
        operation: "x",
      });
      assertDestination(new URL("https://10.0.0.7/"), {
        registry: "10.0.0.5:5000",
        operation: "x",
      });
      // Docker Hub is public.
      assert.throws(() =>
        assertDestination(new URL("http://127.0.0.1/"), { registry: "docker.io", operation: "x" }),
      );
    });

    test("registry text is quoted without control, invisible or direction characters, cut short", () => {
      assert.equal(
        quotable("ok\u202eevil\u001b[31m\r\nnext\u200b\u0007", 100),
        "ok evil [31m next ",
      );
      const long = quotable("x".repeat(5_000_000), 50);
      assert.equal(long.length, 50);
      assert.ok(long.endsWith("…"));
      assert.equal(quotable("short"), "short");
    });

    test("a public registry may not send us to loopback, nor to a name that resolves to an internal address", async () => {
      // A loopback server that counts connections: none may reach it.
      let connections = 0;
      const server = createServer((_req, res) => {
        connections++;
        res.end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as AddressInfo;
      // DNS as a resolver on the open internet would answer (no real DNS here).
      const names: Record<string, string[]> = {
        "ghcr.io": ["140.82.112.34"],
        "metadata.attacker.example": ["169.254.169.254"],
        "rebind.attacker.example": ["140.82.112.35", "127.0.0.1"],
        "cdn.example": ["151.101.1.1"],
        "harbor.corp.example": ["10.20.0.5"],
        "minio.corp.example": ["10.20.0.9"],
      };
      const transport = new Transport({
        insecure: [],
        retries: 0,
        resolve: (name) => Promise.resolve(names[name] ?? []),
      });
      const send = (url: string, registry = "ghcr.io") =>
        transport.send(
          { method: "GET", url: new URL(url) },
          { registry, operation: "token", signal: AbortSignal.timeout(2000), timeoutMs: 2000 },
        );
      const refused = (err: unknown) =>
        err instanceof RegistryError && err.code === "DESTINATION_REFUSED";
      try {
        await assert.rejects(send(`http://127.0.0.1:${port}/token`), refused);
        await assert.rejects(send(`https://metadata.attacker.example:${port}/`), refused);
        await assert.rejects(send(`https://rebind.attacker.example:${port}/`), refused);
        assert.equal(connections, 0);
        // A registry whose own name resolves to a private network may send us there.
        await assert.rejects(
          send(`https://minio.corp.example:${port}/`, "harbor.corp.example"),
          (err: unknown) => err instanceof RegistryError && err.code !== "DESTINATION_REFUSED",
        );
      } finally {
        server.close();
      }
    });

    test("blob redirects to link-local or private addresses are refused; to the registry's own loopback, followed", async () => {
      const img = await signedImage("redirects");
      const [, registryPort] = registry.host.split(":");
      const redirectBlobs =
        (to: (path: string) => string) => (req: FrontRequest, res: ServerResponse) =>
          matches(req, /\/blobs\/sha256:/, "GET") &&
          answer(req, res, 307, { location: to(req.path) });

      front.rules.push(redirectBlobs(() => "https://169.254.169.254/latest/meta-data/iam"));
      let facts = await lookup(img.front);
      assert.equal(facts.verifiedSignatures.length, 0);
      assert.match(
        facts.rejectedSignatures.map((r) => r.reason).join("\n"),
        /refusing to follow the registry to 169\.254\.169\.254/,
      );

      front.rules.length = 0;
      front.rules.push(redirectBlobs(() => "https://10.0.0.1/blob"));
      facts = await lookup(img.front);
      assert.equal(facts.verifiedSignatures.length, 0);
      assert.match(
        facts.rejectedSignatures.map((r) => r.reason).join("\n"),
        /10\.0\.0\.1 \(private\)/,
      );

      front.rules.length = 0;
      front.rules.push(redirectBlobs((path) => `http://127.0.0.1:${registryPort}${path}`));
      facts = await lookup(img.front);
      assert.deepEqual(facts.verifiedSignatures, [{ signer: trusted[0]!.id }]);
    });

    test("a token realm on a cluster-internal address is refused; the image is denied", async () => {
      const img = await image("realm");
      front.rules.push((req, res) =>
        answer(req, res, 401, {
          "www-authenticate": 'Bearer realm="https://10.96.0.1/token",service="x"',
        }),
      );
      const started = performance.now();
      const facts = await lookup(img.front);
      assert.match(facts.lookupError ?? "", /refusing to follow the registry to 10\.96\.0\.1/);
      // Refused, not tried: a connection to 10.96.0.1 would hang until the deadline.
      assert.ok(performance.now() - started < LIMITS.lookupTimeoutMs / 2);
    });

    test("a registry's error text reaches a denial short and without control characters", async () => {
      const img = await image("chatty");
      const shout = `\u001b[31m${"A".repeat(6000)}\r\nInjected: header\u0007`;
      // HEAD answers have no body: the GETs that follow resolving the image carry the text.
      front.rules.push(
        (req, res) =>
          req.method === "GET" &&
          answer(
            req,
            res,
            403,
            { "content-type": "application/json" },
            JSON.stringify({ errors: [{ code: "DENIED", message: shout }] }),
          ),
      );
      const hook = webhook(keyPolicy(key.publicKey, "audit"), { deadlineMs: 5000, now });
      try {
        const result = await hook.admit([img.front]);
        assert.equal(result.allowed, false);
        assert.match(result.message, /\[image\/signed\] .*could not be verified: .*DENIED/);
        assert.doesNotMatch(result.message, CONTROL);
        assert.ok(!result.message.includes("A".repeat(2000)), "the registry's text is cut short");
        assert.ok(result.message.length < 4000, `${result.message.length} characters`);
      } finally {
        await hook.close();
      }
    });
  });
});
