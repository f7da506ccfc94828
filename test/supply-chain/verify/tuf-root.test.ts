/**
 * The sigstore trusted root fetched through TUF (`@sigstore/tuf`) from real TUF repositories
 * built, signed and served on loopback by test/support/tuf-repo.ts: the published root comes
 * back intact; tampered targets, wrongly signed or expired metadata, insecure or unreachable
 * mirrors are refused with a typed error; and the fetched root verifies a keyless signature
 * made against the sigstore mock whose trusted root was published.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { keylessSigning } from "../../../supply-chain/sign/keyless-signer.ts";
import { signStatement } from "../../../supply-chain/sign/statement-bundle.ts";
import { checkBundle } from "../../../supply-chain/verify/bundle-check.ts";
import { keylessTrust } from "../../../supply-chain/verify/keyless.ts";
import {
  checkMirrorURL,
  fetchTrustedRoot,
  isLoopbackHost,
  TufRootError,
} from "../../../supply-chain/verify/tuf-root.ts";
import { startSigstoreMock, type SigstoreMock } from "../../support/sigstore-mock.ts";
import { startTufRepo, type TufRepo, type TufRepoOptions } from "../../support/tuf-repo.ts";
import { assertRejectsWithCode } from "../../support/throws.ts";

const ISSUER = "https://token.actions.githubusercontent.com";
const SUBJECT = "https://github.com/acme/mcp-server/.github/workflows/release.yml@refs/heads/main";
const HEX = "4f".repeat(32);
const STATEMENT = {
  _type: "https://in-toto.io/Statement/v1",
  subject: [{ digest: { sha256: HEX } }],
  predicateType: "https://sigstore.dev/cosign/sign/v1",
  predicate: {},
};

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("trusted root fetched through TUF from a loopback repository", () => {
  let sigstore: SigstoreMock;
  let work: string;
  const repos: TufRepo[] = [];

  before(async () => {
    sigstore = await startSigstoreMock();
    work = await mkdtemp(join(tmpdir(), "mcp-warden-tuf-test-"));
  });
  after(async () => {
    await Promise.all(repos.map((r) => r.stop()));
    await sigstore?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  let caches = 0;
  const freshCache = (): string => join(work, `cache-${++caches}`);
  const repo = async (opts: Partial<TufRepoOptions> = {}): Promise<TufRepo> => {
    const r = await startTufRepo({
      targets: { "trusted_root.json": sigstore.trustedRoot },
      ...opts,
    });
    repos.push(r);
    return r;
  };
  const fetchFrom = (r: TufRepo, cachePath = freshCache()) =>
    fetchTrustedRoot({ mirrorURL: r.url, initialRoot: r.rootPath, cachePath, timeoutMs: 2000 });

  test("the published trusted_root.json is fetched, verified and returned as published", async () => {
    const r = await repo();
    const root = await fetchFrom(r);
    assert.deepEqual(root, sigstore.trustedRoot);
    // The TUF client workflow: probe for a newer root, then timestamp, snapshot, targets, target.
    assert.deepEqual(r.requests, [
      "/2.root.json",
      "/timestamp.json",
      "/snapshot.json",
      "/targets.json",
      "/targets/trusted_root.json",
    ]);
  });

  test("a second fetch with the same cache reuses the verified target", async () => {
    const r = await repo();
    const cachePath = freshCache();
    await fetchFrom(r, cachePath);
    const before = r.requests.length;
    assert.deepEqual(await fetchFrom(r, cachePath), sigstore.trustedRoot);
    assert.ok(!r.requests.slice(before).includes("/targets/trusted_root.json"));
  });

  test("the fetched root verifies a keyless signature made against the published sigstore", async () => {
    const r = await repo();
    const root = await fetchFrom(r);
    const { signer, witnesses } = keylessSigning({
      fulcioURL: sigstore.url,
      rekorURL: sigstore.url,
      tsaURL: sigstore.url,
      rekorEntryType: "intoto",
      identityToken: () => Promise.resolve(sigstore.token({ iss: ISSUER, sub: SUBJECT })),
      retries: 0,
    });
    const bundle = await signStatement(STATEMENT, signer, witnesses);
    const trust = keylessTrust(root, [{ keyless: { issuer: ISSUER, subject: SUBJECT } }]);
    const check = checkBundle(bundle, { keys: [], keyless: trust }, `sha256:${HEX}`);
    assert.equal(check.ok, true, check.ok ? "" : check.reason);
  });

  test("a target changed after signing is refused (hash mismatch)", async () => {
    const r = await repo({ tamper: "target-content" });
    await assertRejectsWithCode(fetchFrom(r), "TUF_TARGET_MISMATCH", TufRootError);
  });

  test("targets metadata signed by a key root does not delegate to is refused", async () => {
    const r = await repo({ tamper: "targets-wrong-key" });
    await assertRejectsWithCode(fetchFrom(r), "TUF_SIGNATURE_INVALID", TufRootError);
  });

  test("targets metadata changed after signing is refused", async () => {
    const r = await repo({ tamper: "targets-modified" });
    await assertRejectsWithCode(fetchFrom(r), "TUF_SIGNATURE_INVALID", TufRootError);
  });

  test("timestamp metadata signed by the wrong key is refused", async () => {
    const r = await repo({ tamper: "timestamp-wrong-key" });
    await assertRejectsWithCode(fetchFrom(r), "TUF_SIGNATURE_INVALID", TufRootError);
  });

  test("an expired timestamp is refused", async () => {
    const r = await repo({ timestampExpires: new Date(Date.now() - 60_000) });
    const err = await assertRejectsWithCode(fetchFrom(r), "TUF_METADATA_EXPIRED", TufRootError);
    assert.match(err.message, /expired/i);
  });

  test("a root from another repository does not trust this one", async () => {
    const [a, b] = await Promise.all([repo(), repo()]);
    await assertRejectsWithCode(
      fetchTrustedRoot({ mirrorURL: a.url, initialRoot: b.rootPath, cachePath: freshCache() }),
      "TUF_SIGNATURE_INVALID",
      TufRootError,
    );
  });

  test("a repository without trusted_root.json is refused", async () => {
    const r = await repo({ targets: { "other.json": { a: 1 } } });
    await assertRejectsWithCode(fetchFrom(r), "TUF_TARGET_NOT_FOUND", TufRootError);
  });

  test("an unreachable mirror fails quickly with a clear error", async () => {
    const r = await repo();
    const port = await closedPort();
    const started = Date.now();
    const err = await assertRejectsWithCode(
      fetchTrustedRoot({
        mirrorURL: `http://127.0.0.1:${port}`,
        initialRoot: r.rootPath,
        cachePath: freshCache(),
      }),
      "TUF_MIRROR_UNREACHABLE",
      TufRootError,
    );
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    assert.match(err.message, new RegExp(`unreachable \\(http://127\\.0\\.0\\.1:${port}\\)`));
  });

  test("plain http is refused off loopback before any request", async () => {
    const r = await repo();
    const before = r.requests.length;
    await assertRejectsWithCode(
      fetchTrustedRoot({
        mirrorURL: "http://tuf-repo-cdn.sigstore.dev",
        initialRoot: r.rootPath,
        cachePath: freshCache(),
      }),
      "TUF_MIRROR_URL_INVALID",
      TufRootError,
    );
    assert.equal(r.requests.length, before);
    assert.throws(() => checkMirrorURL("ftp://127.0.0.1/"), TufRootError);
    assert.throws(() => checkMirrorURL("https://user:pw@example.com/"), TufRootError);
    assert.equal(
      checkMirrorURL("https://tuf-repo-cdn.sigstore.dev/"),
      "https://tuf-repo-cdn.sigstore.dev",
    );
    assert.equal(checkMirrorURL("http://[::1]:8080/repo/"), "http://[::1]:8080/repo");
    assert.ok(isLoopbackHost("127.0.0.2") && isLoopbackHost("localhost"));
    assert.ok(!isLoopbackHost("10.0.0.1") && !isLoopbackHost("127.example.com"));
  });

  test("an unreadable or non-root initial root is refused", async () => {
    const r = await repo();
    await assertRejectsWithCode(
      fetchTrustedRoot({
        mirrorURL: r.url,
        initialRoot: join(work, "missing.json"),
        cachePath: freshCache(),
      }),
      "TUF_INITIAL_ROOT_INVALID",
      TufRootError,
    );
    const notRoot = join(work, "not-root.json");
    await writeFile(notRoot, JSON.stringify({ signed: { _type: "targets" }, signatures: [] }));
    await assertRejectsWithCode(
      fetchTrustedRoot({ mirrorURL: r.url, initialRoot: notRoot, cachePath: freshCache() }),
      "TUF_INITIAL_ROOT_INVALID",
      TufRootError,
    );
  });

  test("a target that is not JSON is refused after verification", async () => {
    const r = await repo({ targets: { "trusted_root.json": "not json {" } });
    await assertRejectsWithCode(fetchFrom(r), "TUF_TARGET_INVALID", TufRootError);
  });
});
