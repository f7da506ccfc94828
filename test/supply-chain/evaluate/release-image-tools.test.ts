/**
 * With an image given, a release's tools are listed from the image itself, and the evaluation
 * records where they came from (`toolSource`). Real images of a published server (Debian's glibc,
 * the real Node binary, server-filesystem in /app) in the real registry.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { evaluateRelease, type ReleaseInputs } from "../../../supply-chain/evaluate/release.ts";
import { openVulnerabilitySource } from "../../../supply-chain/evaluate/sources.ts";
import { readInventory } from "../../../supply-chain/image/inventory.ts";
import { pullImage } from "../../../supply-chain/image/pull.ts";
import { chooseImageRuntime } from "../../../supply-chain/mcp/image-runtime.ts";
import { RegistryClient } from "../../../supply-chain/registry/client.ts";
import { ROOT } from "../../support/cli.ts";
import { installNpmServer, NPM_SERVERS } from "../../support/mcp-servers.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../../support/registry-server.ts";
import { pushServerImage, serverImagesUnavailable } from "../../support/server-images.ts";

const FIXTURES = join(ROOT, "test", "fixtures");
type Filesystem = typeof NPM_SERVERS.filesystem | typeof NPM_SERVERS.filesystemOld;

const unavailable =
  SKIP_NO_REGISTRY ||
  (await serverImagesUnavailable()) ||
  ((await chooseImageRuntime()).runtime === undefined && "no container runtime works here");

describe("a release's tools listed from its image", { skip: unavailable, timeout: 600_000 }, () => {
  let registry: RegistryServer;
  let dir: string;
  const client = new RegistryClient();
  before(async () => {
    registry = await startRegistry();
    dir = await mkdtemp(join(tmpdir(), "mcp-warden-release-image-"));
  });
  after(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /**
   * A workspace whose manifest pins `declared`'s tools and names `declared`'s package as its stdio
   * command (installed here, run with this Node), with a `FROM_MANIFEST` env.
   */
  async function workspace(declared: Filesystem, name: string): Promise<string> {
    const ws = join(dir, name);
    await mkdir(join(ws, "data"), { recursive: true });
    const manifest = JSON.parse(
      await readFile(join(FIXTURES, "mcp", "server-filesystem.server.json"), "utf8"),
    ) as { version: string; _meta: Record<string, unknown> };
    manifest.version = declared.version;
    manifest._meta["dev.mcp-warden/tools"] = JSON.parse(
      await readFile(
        join(FIXTURES, "mcp", `server-filesystem@${declared.version}.tools.json`),
        "utf8",
      ),
    ) as unknown;
    manifest._meta["dev.mcp-warden/stdio"] = {
      command: process.execPath,
      args: [await installNpmServer(declared), join(ws, "data")],
      env: { FROM_MANIFEST: "yes" },
    };
    await writeFile(join(ws, "server.json"), JSON.stringify(manifest));
    return ws;
  }

  /** server-filesystem `inImage` pushed as a runnable image, serving /tmp. */
  async function image(inImage: Filesystem, config: Record<string, unknown> = {}) {
    const built = await pushServerImage(
      client,
      `${registry.host}/filesystem`,
      `${inImage.version}-${Object.keys(config).length}`,
      { npm: inImage, args: ["/tmp"] },
      config,
    );
    const pulled = await pullImage(client, built.pinned);
    return {
      reference: built.pinned,
      inventory: await readInventory(client, pulled),
      pulled: { client, image: pulled },
    };
  }

  async function evaluate(ws: string, extra: Partial<ReleaseInputs> = {}) {
    return evaluateRelease({
      manifestPath: join(ws, "server.json"),
      lockfiles: [],
      settings: { failOnSeverity: "critical", minTrustLevel: "L1", ignores: [] },
      vulnerabilities: await openVulnerabilitySource(
        { kind: "offline", path: join(FIXTURES, "osv", "npm") },
        (p) => p,
      ),
      signing: "none",
      toolTimeoutMs: 60_000,
      evaluator: { name: "mcp-warden", version: "0.0.0" },
      now: new Date("2026-12-01T00:00:00Z"),
      baseDir: ws,
      ...extra,
    });
  }

  const cd01 = (e: Awaited<ReturnType<typeof evaluate>>) =>
    e.predicate.controls.find((c) => c.id === "CD-01");

  test("the image of the declared server passes CD-01, listed from the image", async () => {
    const ws = await workspace(NPM_SERVERS.filesystem, "same");
    const built = await image(NPM_SERVERS.filesystem);
    const e = await evaluate(ws, { image: built });
    assert.equal(e.toolSource, "image");
    assert.ok(e.toolRuntime !== undefined);
    // The command that ran is recorded: the generator and runtime/gateway-required hold the pod to it.
    assert.deepEqual(e.predicate.run, {
      transport: "stdio",
      entrypoint: built.pulled.image.config.entrypoint,
      cmd: built.pulled.image.config.cmd,
    });
    assert.deepEqual(e.predicate.run.cmd.slice(-1), ["/tmp"]);
    assert.equal(cd01(e)?.status, "pass", JSON.stringify(cd01(e)));
    const about = e.notices.filter((n) => /listed|image|namespaces/.test(n.message));
    assert.deepEqual(about, []);
  });

  test("an image holding another version of the server fails CD-01, though its package passes", async () => {
    // The manifest pins 2025.3.28 and names that package; the image holds 2025.7.1.
    const ws = await workspace(NPM_SERVERS.filesystemOld, "other");
    const fromPackage = await evaluate(ws);
    assert.equal(fromPackage.toolSource, "package");
    assert.equal(cd01(fromPackage)?.status, "pass", JSON.stringify(cd01(fromPackage)));

    const fromImage = await evaluate(ws, { image: await image(NPM_SERVERS.filesystem) });
    assert.equal(fromImage.toolSource, "image");
    assert.equal(cd01(fromImage)?.status, "fail");
    assert.ok((cd01(fromImage)?.findings.length ?? 0) > 0);
  });

  test("an image that cannot be run falls back to the package, and says so", async () => {
    const ws = await workspace(NPM_SERVERS.filesystem, "fallback");
    const e = await evaluate(ws, {
      image: await image(NPM_SERVERS.filesystem, { Entrypoint: ["/no/such/node"] }),
    });
    assert.equal(e.toolSource, "package");
    assert.equal(e.toolRuntime, undefined);
    assert.equal(cd01(e)?.status, "pass");
    // The image did not run: nothing to hold a pod to.
    assert.equal(e.predicate.run, undefined);
    const notice = e.notices.find((n) => /could not be listed from the image/.test(n.message));
    assert.ok(notice, JSON.stringify(e.notices));
    assert.match(notice.message, /listed from the package the manifest names instead/);
    assert.match(notice.message, /\/no\/such\/node/);
  });

  test("a listing from an earlier run is recorded as such", async () => {
    const ws = await workspace(NPM_SERVERS.filesystem, "earlier");
    const e = await evaluate(ws, {
      listing: { tools: [], definitions: { prompts: [], resourceTemplates: [] } },
    });
    assert.equal(e.toolSource, "earlier-run");
  });
});
