/**
 * Hostile registries against the webhook's memory and event loop: huge lists, manifests, blobs,
 * endless pages and expensive envelopes from a front on a real `docker-registry`. Memory is
 * measured in a child process run with the deployment's V8 flags (a hard heap limit); the event loop by a concurrent admission.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import type { EvaluationPredicate } from "../../../policies/evaluation/predicate.ts";
import {
  legacyTag,
  referrersTag,
  type RegistryClient,
} from "../../../supply-chain/registry/client.ts";
import { LIMITS } from "../../../supply-chain/registry/limits.ts";
import { MEDIA_TYPES, type Descriptor } from "../../../supply-chain/registry/types.ts";
import { keySigner } from "../../../supply-chain/sign/key-signer.ts";
import { attestEvaluation, signImage } from "../../../supply-chain/sign/sign-image.ts";
import { keyPolicy, webhook } from "../../support/admission-harness.ts";
import { validPredicate } from "../../support/evaluation.ts";
import {
  answer,
  endless,
  matches,
  startHostileFront,
  startHostileRegistry,
  INDEX_HEADERS,
  ociIndex,
  servedReferrer,
  type FrontRequest,
  type HostileFront,
  type HostileRegistry,
} from "../../support/hostile-front.ts";
import { SKIP_NO_REGISTRY, type RegistryServer } from "../../support/registry-server.ts";
import { encode } from "../../support/supply-chain.ts";

const run = promisify(execFile);
const INDEX = INDEX_HEADERS;
const CHILD = new URL("../../support/admission-memory-child.ts", import.meta.url).pathname;
/** The webhook container's memory limit in deploy/. */
const CONTAINER_LIMIT_MIB = 256;
/** The V8 flags the webhook runs with in deploy/ (NODE_OPTIONS of its container). */
function deployedNodeOptions(): string[] {
  const text = readFileSync(new URL("../../../deploy/deployment.yaml", import.meta.url), "utf8");
  const deployment = parseAllDocuments(text)
    .map((d) => d.toJS() as { kind?: string; spec?: DeploymentSpec })
    .find((d) => d.kind === "Deployment");
  const env = deployment?.spec?.template.spec.containers[0]?.env ?? [];
  const value = env.find((e) => e.name === "NODE_OPTIONS")?.value ?? "";
  return value.split(/\s+/).filter((f) => f !== "");
}

interface DeploymentSpec {
  template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } };
}

const descriptor = (i: number) => ({
  mediaType: MEDIA_TYPES.ociManifest,
  artifactType: MEDIA_TYPES.sigstoreBundleV03,
  digest: `sha256:${createHash("sha256").update(String(i)).digest("hex")}`,
  size: 1000,
});

describe(
  "hostile registries and the webhook's memory and event loop",
  { skip: SKIP_NO_REGISTRY, timeout: 300_000 },
  () => {
    let registry: RegistryServer;
    let front: HostileFront;
    let client: RegistryClient;
    let predicate: EvaluationPredicate;
    let now: Date;
    const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const signer = keySigner(key.privateKey);
    let setup: HostileRegistry;

    before(async () => {
      setup = await startHostileRegistry();
      ({ registry, front, client } = setup);
      predicate = validPredicate();
      now = new Date(Date.parse(predicate.time) + 3_600_000);
    });
    after(() => setup?.stop());

    const image = (name: string) => setup.image(name, front);

    const referrer = (digest: string, layer: Descriptor) => servedReferrer(front, digest, layer);
    const index = ociIndex;

    /** Hostile answers that each try to make one lookup hold a lot of memory. */
    const hostile: [
      string,
      (digest: string) => (req: FrontRequest, res: ServerResponse) => boolean,
    ][] = [
      [
        "an endless referrers list",
        (digest) => (req, res) =>
          matches(req, `/referrers/${digest}`) &&
          endless(
            res,
            INDEX,
            `${JSON.stringify(descriptor(0))},`,
            '{"schemaVersion":2,"manifests":[',
          ),
      ],
      [
        "an endless manifest for the image itself",
        (digest) => (req, res) => {
          if (!matches(req, `/manifests/${digest}`)) return false;
          // No digest header: the client has to GET the manifest and hash it.
          if (req.method === "HEAD")
            return answer(req, res, 200, { "content-type": MEDIA_TYPES.ociManifest });
          return endless(
            res,
            { "content-type": MEDIA_TYPES.ociManifest },
            '{"a":"aaaaaaaaaaaaaaaa"},',
            "[",
          );
        },
      ],
      [
        "an endless bundle blob",
        (digest) => {
          const hugeBlob = {
            mediaType: MEDIA_TYPES.sigstoreBundleV03,
            digest: `sha256:${"e".repeat(64)}`,
            size: 1,
          };
          const listed = index([referrer(digest, hugeBlob)]);
          return (req, res) =>
            (matches(req, `/manifests/${referrersTag(digest)}`) &&
              answer(req, res, 200, INDEX, listed)) ||
            (matches(req, `/blobs/${hugeBlob.digest}`, "GET") &&
              endless(res, { "content-type": "application/octet-stream" }, "x".repeat(4096)));
        },
      ],
      [
        "a fallback index of four megabytes of empty descriptors",
        (digest) => {
          // Each one is three field problems for a validator that reports them all.
          const body = `{"schemaVersion":2,"manifests":[${"{},".repeat((4 * 1024 * 1024 - 40) / 3)}{}]}`;
          return (req, res) =>
            matches(req, `/manifests/${referrersTag(digest)}`) &&
            answer(req, res, 200, INDEX, body);
        },
      ],
      [
        "endless pagination",
        (digest) => (req, res) => {
          if (!matches(req, `/referrers/${digest}`)) return false;
          const n = Number(/[?&]n=(\d+)/.exec(req.path)?.[1] ?? 0);
          const page = index(Array.from({ length: 1000 }, (_, i) => descriptor(n * 1000 + i)));
          return answer(
            req,
            res,
            200,
            { ...INDEX, link: `</v2/mcp/x/referrers/${digest}?n=${n + 1}>; rel="next"` },
            page,
          );
        },
      ],
      [
        "a fallback index of descriptors with a hundred annotations each",
        (digest) => {
          const annotations = Object.fromEntries(
            Array.from({ length: 100 }, (_, i) => [`k${i}`, "v"]),
          );
          const body = index(
            Array.from({ length: 700 }, (_, i) => ({
              ...descriptor(i),
              annotations,
            })),
          );
          return (req, res) =>
            matches(req, `/manifests/${referrersTag(digest)}`) &&
            answer(req, res, 200, INDEX, body);
        },
      ],
      [
        "32 referrers with bundles of nearly a megabyte each",
        (digest) => {
          const listed = index(
            Array.from({ length: 40 }, (_, i) => {
              const payload = Buffer.from(
                `{"_type":"https://in-toto.io/Statement/v1","pad":"${randomBytes(380_000).toString("hex")}${i}"}`,
              ).toString("base64");
              const bundle = front.serve(
                JSON.stringify({
                  mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
                  verificationMaterial: { publicKey: { hint: "x" }, tlogEntries: [] },
                  dsseEnvelope: {
                    payload,
                    payloadType: MEDIA_TYPES.inToto,
                    signatures: [{ sig: "AAAA", keyid: "" }],
                  },
                }),
                MEDIA_TYPES.sigstoreBundleV03,
              );
              return referrer(digest, bundle);
            }),
          );
          return (req, res) =>
            matches(req, `/manifests/${referrersTag(digest)}`) &&
            answer(req, res, 200, INDEX, listed);
        },
      ],
    ];

    test("one admission, or eight at once, stays far below the container's memory limit", async () => {
      // Four fronts (four registries, as the webhook counts them), one image per kind of
      // answer on each, so that lookups really run side by side in every slot.
      const first = front;
      const more = await Promise.all([1, 2, 3].map(() => startHostileFront(registry.host)));
      const sets: string[][] = [[], [], [], []];
      try {
        for (const [, rule] of hostile) {
          for (const [i, f] of [first, ...more].entries()) {
            front = f;
            const img = await image("memory");
            f.rules.push(rule(img.digest));
            sets[i]!.push(img.front);
          }
        }
      } finally {
        front = first;
      }
      after(() => Promise.all(more.map((f) => f.close())));
      const flags = deployedNodeOptions();
      assert.ok(
        flags.some((f) => f.startsWith("--max-old-space-size=")),
        flags.join(" "),
      );
      const input = {
        publicKeyPem: key.publicKey.export({ type: "spki", format: "pem" }).toString(),
        now: now.toISOString(),
        deadlineMs: 20_000,
        // Eight admissions at once, each pod naming every hostile image of one set.
        admissions: [...sets, ...sets],
      };
      const { stdout } = await run(
        process.execPath,
        // As deployed: past its heap limit the child dies, and the test fails.
        ["--expose-gc", ...flags, CHILD, JSON.stringify(input)],
        { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
      );
      const out = JSON.parse(stdout) as {
        results: { allowed: boolean; message: string; elapsedMs: number }[];
        baselineHeapMiB: number;
        peakHeapMiB: number;
        baselineRssMiB: number;
        peakRssMiB: number;
      };
      const figures = `heap ${out.baselineHeapMiB.toFixed(1)} → ${out.peakHeapMiB.toFixed(1)} MiB, rss ${out.baselineRssMiB.toFixed(1)} → ${out.peakRssMiB.toFixed(1)} MiB`;
      process.stderr.write(`# hostile lookups: ${figures}\n`);
      for (const r of out.results) {
        assert.equal(r.allowed, false, r.message);
        const denied = r.message.match(/\[image\/signed\]/g) ?? [];
        assert.equal(denied.length, hostile.length, r.message);
        assert.doesNotMatch(r.message, /admission\/error/);
      }
      // heapUsed counts garbage not yet collected too: the heap limit is the hard bound.
      assert.ok(out.peakHeapMiB - out.baselineHeapMiB < 64, figures);
      assert.ok(out.peakRssMiB < CONTAINER_LIMIT_MIB, figures);
    });

    test("envelopes with thousands of signatures do not block a concurrent admission past its deadline", async () => {
      // A valid, signed and evaluated image, and next to it an image whose .att tag a pusher
      // filled with 32 envelopes of ~1 MiB, each with thousands of signatures over a big payload.
      const good = await image("good");
      await signImage(client, good.direct, signer, now);
      await attestEvaluation(client, good.direct, predicate, signer, now);
      const heavy = await image("heavy");
      const config = await client.pushBlob(heavy.repo, encode({}), MEDIA_TYPES.ociConfig);
      const layers: Descriptor[] = [];
      for (let i = 0; i < LIMITS.maxLegacyLayersPerTag; i++) {
        const payload = randomBytes(300_000).toString("base64");
        const signatures = Array.from({ length: 4500 }, () => ({
          keyid: "",
          sig: randomBytes(70).toString("base64"),
        }));
        layers.push(
          await client.pushBlob(
            heavy.repo,
            encode({ payloadType: MEDIA_TYPES.inToto, payload, signatures }),
            MEDIA_TYPES.dsseEnvelope,
          ),
        );
      }
      await client.pushManifest(
        heavy.repo,
        legacyTag(heavy.digest, ".att"),
        encode({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config, layers }),
        MEDIA_TYPES.ociManifest,
      );

      const deadlineMs = 4000;
      const hook = webhook(keyPolicy(key.publicKey, "enforce"), { deadlineMs, now });
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      try {
        const [bad, ok] = await Promise.all([
          hook.admit([heavy.direct], "heavy"),
          hook.admit([good.direct], "good"),
        ]);
        delay.disable();
        const maxDelayMs = delay.max / 1e6;
        process.stderr.write(
          `# heavy admission ${bad.elapsedMs.toFixed(0)} ms, concurrent one ${ok.elapsedMs.toFixed(0)} ms, event loop delay max ${maxDelayMs.toFixed(0)} ms\n`,
        );
        assert.equal(ok.allowed, true, ok.message);
        assert.ok(ok.elapsedMs < deadlineMs, `answered after ${ok.elapsedMs} ms`);
        assert.equal(bad.allowed, false);
        assert.match(bad.message, /\[image\/signed\]/);
        assert.match(bad.message, /signatures, more than the 4 allowed/);
        // Generous: what must not happen is a multi-second block of every other admission.
        assert.ok(maxDelayMs < 1000, `the event loop was blocked for ${maxDelayMs} ms`);
      } finally {
        delay.disable();
        await hook.close();
      }
    });
  },
);
