/**
 * The OCI 1.1 referrers API path, against go-containerregistry's registry with referrers on
 * (built from the Go module proxy by scripts/build-supply-chain-tools.sh): distribution 2.8,
 * used elsewhere, only exercises the fallback index. Its opt-in flags page the referrers list
 * (`Link: <…>; rel="next"`) and answer `OCI-Subject`, which ggcr alone does not.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { RegistryClient, referrersTag } from "../../../supply-chain/registry/client.ts";
import { RegistryError } from "../../../supply-chain/registry/errors.ts";
import { MEDIA_TYPES, isIndex, type Descriptor } from "../../../supply-chain/registry/types.ts";
import { keySigner } from "../../../supply-chain/sign/key-signer.ts";
import { signImage } from "../../../supply-chain/sign/sign-image.ts";
import { gatherImageFacts } from "../../../supply-chain/verify/gather.ts";
import { keyId } from "../../../supply-chain/verify/trusted-keys.ts";
import { freePort } from "../../e2e/support/webhook-process.ts";
import { encode, findTool, pushImage } from "../../support/supply-chain.ts";
import { assertRejectsWithCode } from "../../support/throws.ts";

const binary = findTool("referrers-registry");
const notBuilt = "referrers-registry not built (scripts/build-supply-chain-tools.sh)";
/** A binary built before the paging flags: rebuilt by the script, skipped until then. */
const withFlags =
  binary !== undefined &&
  spawnSync(binary, ["-h"], { encoding: "utf8" }).stderr.includes("referrers-page-size");
const skipFlags = binary
  ? withFlags
    ? false
    : "referrers-registry predates -referrers-page-size (rerun scripts/build-supply-chain-tools.sh)"
  : notBuilt;

interface Registry {
  host: string;
  stop(): void;
}

/** Starts the registry on a free loopback port; `args(host)` are its extra flags. */
async function startRegistry(args: (host: string) => string[] = () => []): Promise<Registry> {
  const host = `127.0.0.1:${await freePort()}`;
  const child: ChildProcess = spawn(binary!, ["--address", host, ...args(host)], {
    stdio: "ignore",
  });
  const stop = () => void child.kill("SIGKILL");
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://${host}/v2/`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { host, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  stop();
  throw new Error("referrers registry did not start");
}

const EMPTY_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

/**
 * An artifact manifest referring to `subject`. ggcr reports a referrer's artifactType as its
 * config's media type, so the type is set on both.
 */
async function referrer(
  client: RegistryClient,
  repo: string,
  subject: Descriptor,
  artifactType: string,
  n: number,
): Promise<Uint8Array> {
  const empty = await client.pushBlob(repo, new TextEncoder().encode("{}"), MEDIA_TYPES.ociEmpty);
  return encode({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    artifactType,
    config: { mediaType: artifactType, digest: EMPTY_DIGEST, size: 2 },
    layers: [empty],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: { "org.example.n": String(n) },
  });
}

/** Attaches `count` referrers of `artifactType` to `subject`; their digests. */
async function attachMany(
  client: RegistryClient,
  repo: string,
  subject: Descriptor,
  artifactType: string,
  count: number,
  from = 0,
): Promise<string[]> {
  const digests: string[] = [];
  for (let i = from; i < from + count; i++) {
    const bytes = await referrer(client, repo, subject, artifactType, i);
    const attached = await client.attachReferrer(repo, bytes, MEDIA_TYPES.ociManifest);
    digests.push(attached.descriptor.digest);
  }
  return digests;
}

const sorted = (xs: string[]) => [...xs].sort();

describe("the referrers API", { skip: binary ? false : notBuilt, timeout: 60_000 }, () => {
  let registry: Registry;
  const client = new RegistryClient();

  before(async () => {
    registry = await startRegistry();
  });
  after(() => registry?.stop());

  test("a referrer pushed with a subject is listed by the API, with no fallback tag", async () => {
    const repo = `${registry.host}/mcp/api`;
    const image = await pushImage(client, repo, "v1", `api-${Date.now()}`);
    const referrer = encode({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      artifactType: "application/vnd.example.sbom",
      config: { mediaType: MEDIA_TYPES.ociEmpty, digest: EMPTY_DIGEST, size: 2 },
      layers: [await client.pushBlob(repo, new TextEncoder().encode("{}"), MEDIA_TYPES.ociEmpty)],
      subject: {
        mediaType: image.manifest.mediaType,
        digest: image.manifest.digest,
        size: image.manifest.size,
      },
    });
    // Pushed by digest only: nothing but the registry's own index can list it.
    await client.pushManifest(
      repo,
      `sha256:${createHash("sha256").update(referrer).digest("hex")}`,
      referrer,
      MEDIA_TYPES.ociManifest,
    );
    assert.equal(await client.findManifest(repo, referrersTag(image.manifest.digest)), undefined);
    const listed = await client.referrers(repo, image.manifest.digest);
    assert.equal(listed.length, 1);
  });

  test("without OCI-Subject, attachReferrer also writes the fallback index", async () => {
    const repo = `${registry.host}/mcp/no-subject-header`;
    const image = await pushImage(client, repo, "v1", `fallback-${Date.now()}`);
    const bytes = await referrer(client, repo, image.manifest, "application/vnd.example.a", 0);
    const attached = await client.attachReferrer(repo, bytes, MEDIA_TYPES.ociManifest);
    assert.equal(attached.subjectProcessed, false);
    const tag = referrersTag(image.manifest.digest);
    assert.equal(attached.fallbackTag, tag);
    const index = await client.findManifest(repo, tag);
    assert.ok(index !== undefined && isIndex(index.json), "the fallback index exists");
    assert.deepEqual(
      index.json.manifests.map((d) => d.digest),
      [attached.descriptor.digest],
    );
  });

  test("signatures are found and verified through the API", async () => {
    const repo = `${registry.host}/mcp/signed`;
    const image = await pushImage(client, repo, "v1", `signed-${Date.now()}`);
    const ref = `${repo}@${image.manifest.digest}`;
    const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
    await signImage(client, ref, keySigner(key.privateKey), new Date());
    const facts = await gatherImageFacts(client, ref, {
      keys: [{ id: keyId(key.publicKey), key: key.publicKey }],
    });
    assert.deepEqual(facts.verifiedSignatures, [{ signer: keyId(key.publicKey) }]);
  });
});

describe(
  "the referrers API in pages, with OCI-Subject",
  { skip: skipFlags, timeout: 60_000 },
  () => {
    const TYPE_A = "application/vnd.example.a";
    const TYPE_B = "application/vnd.example.b";
    let registry: Registry;
    const client = new RegistryClient();
    let repo: string;
    let subject: Descriptor;
    let typeA: string[];
    let typeB: string[];

    before(async () => {
      registry = await startRegistry(() => ["-referrers-page-size", "2", "-oci-subject"]);
      repo = `${registry.host}/mcp/paged`;
      subject = (await pushImage(client, repo, "v1", `paged-${Date.now()}`)).manifest;
      typeA = await attachMany(client, repo, subject, TYPE_A, 3);
      typeB = await attachMany(client, repo, subject, TYPE_B, 2, 3);
    });
    after(() => registry?.stop());

    test("OCI-Subject: attachReferrer reports the subject processed and writes no fallback tag", async () => {
      const image = await pushImage(client, repo, "v2", `processed-${Date.now()}`);
      const bytes = await referrer(client, repo, image.manifest, TYPE_A, 0);
      const attached = await client.attachReferrer(repo, bytes, MEDIA_TYPES.ociManifest);
      assert.equal(attached.subjectProcessed, true);
      assert.equal(attached.fallbackTag, undefined);
      const tag = referrersTag(image.manifest.digest);
      assert.equal(await client.findManifest(repo, tag), undefined);
      const head = await fetch(`http://${registry.host}/v2/mcp/paged/manifests/${tag}`, {
        method: "HEAD",
      });
      assert.equal(head.status, 404);
      // Listed by the API alone.
      const listed = await client.referrers(repo, image.manifest.digest);
      assert.deepEqual(
        listed.map((d) => d.digest),
        [attached.descriptor.digest],
      );
    });

    test("the registry answers five referrers in three linked pages of at most two", async () => {
      const path = `/v2/mcp/paged/referrers/${subject.digest}`;
      let url: string | undefined = `http://${registry.host}${path}`;
      const pages: string[][] = [];
      for (let i = 0; url !== undefined && i < 10; i++) {
        const res: Response = await fetch(url, { headers: { accept: MEDIA_TYPES.ociIndex } });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), MEDIA_TYPES.ociIndex);
        const index = (await res.json()) as {
          schemaVersion: number;
          mediaType: string;
          manifests: Descriptor[];
        };
        assert.equal(index.schemaVersion, 2);
        assert.equal(index.mediaType, MEDIA_TYPES.ociIndex);
        pages.push(index.manifests.map((d) => d.digest));
        const link = res.headers.get("link");
        if (link === null) url = undefined;
        else {
          const m = /^<([^>]+)>; rel="next"$/.exec(link);
          assert.ok(m, link);
          assert.match(m[1]!, new RegExp(`^${path}\\?n=2&last=sha256%3A[0-9a-f]{64}$`));
          url = new URL(m[1]!, url).href;
        }
      }
      assert.deepEqual(
        pages.map((p) => p.length),
        [2, 2, 1],
      );
      assert.deepEqual(sorted(pages.flat()), sorted([...typeA, ...typeB]));
    });

    test("the client follows the pages and lists all five", async () => {
      const listed = await client.referrers(repo, subject.digest);
      assert.deepEqual(sorted(listed.map((d) => d.digest)), sorted([...typeA, ...typeB]));
    });

    test("an artifactType filter holds across pages", async () => {
      const a = await client.referrers(repo, subject.digest, { artifactType: TYPE_A });
      assert.deepEqual(sorted(a.map((d) => d.digest)), sorted(typeA));
      const b = await client.referrers(repo, subject.digest, { artifactType: TYPE_B });
      assert.deepEqual(sorted(b.map((d) => d.digest)), sorted(typeB));
      // The next link carries the filter on.
      const res = await fetch(
        `http://${registry.host}/v2/mcp/paged/referrers/${subject.digest}?artifactType=${encodeURIComponent(TYPE_A)}`,
      );
      await res.body?.cancel();
      assert.match(
        res.headers.get("link") ?? "",
        new RegExp(`[?&]artifactType=${encodeURIComponent(TYPE_A).replace(/\./g, "\\.")}[&>]`),
      );
    });

    test("more pages than the client's limit is refused", async () => {
      const image = await pushImage(client, repo, "many", `many-${Date.now()}`);
      // 16 pages of two: the most the client reads.
      const first = await attachMany(client, repo, image.manifest, TYPE_A, 32);
      const listed = await client.referrers(repo, image.manifest.digest);
      assert.deepEqual(sorted(listed.map((d) => d.digest)), sorted(first));
      await attachMany(client, repo, image.manifest, TYPE_A, 1, 32);
      await assertRejectsWithCode(
        client.referrers(repo, image.manifest.digest),
        "TOO_LARGE",
        RegistryError,
      );
    });

    test("signatures spread over pages are all found and verified", async () => {
      const image = await pushImage(client, repo, "signed", `signed-${Date.now()}`);
      const ref = `${repo}@${image.manifest.digest}`;
      const keys = [0, 1, 2].map(() => generateKeyPairSync("ec", { namedCurve: "P-256" }));
      for (const key of keys) await signImage(client, ref, keySigner(key.privateKey), new Date());
      assert.equal(await client.findManifest(repo, referrersTag(image.manifest.digest)), undefined);
      const facts = await gatherImageFacts(client, ref, {
        keys: keys.map((k) => ({ id: keyId(k.publicKey), key: k.publicKey })),
      });
      assert.deepEqual(
        sorted(facts.verifiedSignatures.map((s) => s.signer)),
        sorted(keys.map((k) => keyId(k.publicKey))),
      );
    });
  },
);

describe("referrers page links", { skip: skipFlags, timeout: 60_000 }, () => {
  const client = new RegistryClient();

  async function withThreeReferrers(origin: (host: string) => string) {
    const registry = await startRegistry((host) => [
      "-referrers-page-size",
      "2",
      "-referrers-link-origin",
      origin(host),
    ]);
    const repo = `${registry.host}/mcp/links`;
    const subject = (await pushImage(client, repo, "v1", `links-${Date.now()}`)).manifest;
    const digests = await attachMany(client, repo, subject, "application/vnd.example.a", 3);
    return { registry, repo, subject, digests };
  }

  test("an absolute link on the registry's own origin is followed", async () => {
    const { registry, repo, subject, digests } = await withThreeReferrers((h) => `http://${h}`);
    try {
      const listed = await client.referrers(repo, subject.digest);
      assert.deepEqual(sorted(listed.map((d) => d.digest)), sorted(digests));
    } finally {
      registry.stop();
    }
  });

  test("a link to another origin is refused", async () => {
    // The same server by another name: still another origin.
    const { registry, repo, subject } = await withThreeReferrers(
      (h) => `http://localhost:${h.split(":")[1]}`,
    );
    try {
      const err = await assertRejectsWithCode(
        client.referrers(repo, subject.digest),
        "PROTOCOL",
        RegistryError,
      );
      assert.match(err.message, /leaves the registry/);
    } finally {
      registry.stop();
    }
  });
});
