/**
 * `mcp-warden evaluate --image` lists the tools from the image itself: a runnable image (Debian's
 * glibc, the real Node binary, a published server in /app) in the real registry, whose server is
 * not the version the manifest pins.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { chooseImageRuntime } from "../../supply-chain/mcp/image-runtime.ts";
import { RegistryClient } from "../../supply-chain/registry/client.ts";
import { runCli, ROOT } from "../support/cli.ts";
import { installNpmServer, NPM_SERVERS } from "../support/mcp-servers.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../support/registry-server.ts";
import { pushServerImage, serverImagesUnavailable } from "../support/server-images.ts";

const FIXTURES = join(ROOT, "test", "fixtures");
const unavailable =
  SKIP_NO_REGISTRY ||
  (await serverImagesUnavailable()) ||
  ((await chooseImageRuntime()).runtime === undefined && "no container runtime works here");

describe(
  "mcp-warden evaluate --image lists the image's tools",
  { skip: unavailable, timeout: 300_000 },
  () => {
    let registry: RegistryServer;
    let ws: string;
    before(async () => {
      registry = await startRegistry();
      ws = await mkdtemp(join(tmpdir(), "mcp-warden-evaluate-image-tools-"));
    });
    after(async () => {
      await registry?.stop();
      if (ws) await rm(ws, { recursive: true, force: true });
    });

    test("an image holding another version than the manifest pins fails CD-01", async () => {
      const declared = NPM_SERVERS.filesystemOld;
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
        args: [await installNpmServer(declared), ws],
      };
      await writeFile(join(ws, "server.json"), JSON.stringify(manifest));
      const built = await pushServerImage(
        new RegistryClient(),
        `${registry.host}/servers/filesystem`,
        NPM_SERVERS.filesystem.version,
        { npm: NPM_SERVERS.filesystem, args: ["/tmp"] },
      );
      const r = await runCli(
        ["evaluate", "--image", built.ref, "--vulnerability-db", join(FIXTURES, "osv", "npm")],
        { cwd: ws },
      );
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        /^tools +.*, listed from the image's own server \((docker|runc|unshare)\)$/m,
      );
      assert.match(r.stdout, /fail CD-01/);
      assert.doesNotMatch(r.stdout + r.stderr, /listed from the package/);
    });
  },
);
