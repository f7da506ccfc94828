/**
 * The self-contained bridge executable inside a real runnable server image: Debian 12's glibc
 * from `dpkg -x`, the real Node binary and the published server-everything, pushed to the real
 * registry, pulled and unpacked, then run with runc as the generated pod runs it: the image
 * unchanged, the bridge bind-mounted read-only at /mcp-warden (the pod's emptyDir), the process
 * `bridge -- <the image's Entrypoint and Cmd>` as the image's user with a read-only root and no
 * capabilities. The container shares this machine's network namespace (runc here has no CNI to
 * give it one of its own), so the test reaches the bridge on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { extractImage } from "../../../supply-chain/image/extract.ts";
import { pullImage } from "../../../supply-chain/image/pull.ts";
import { chooseImageRuntime } from "../../../supply-chain/mcp/image-runtime.ts";
import { ociConfig } from "../../../supply-chain/mcp/oci-config.ts";
import { RegistryClient } from "../../../supply-chain/registry/client.ts";
import { bridgeBinary } from "../../support/bridge-binary.ts";
import { installNpmServer, NPM_SERVERS } from "../../support/mcp-servers.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../../support/registry-server.ts";
import {
  IMAGE_USER,
  pushServerImage,
  serverImagesUnavailable,
} from "../../support/server-images.ts";

const run = promisify(execFile);

async function whyNot(): Promise<string | false> {
  if (SKIP_NO_REGISTRY) return SKIP_NO_REGISTRY;
  const images = await serverImagesUnavailable();
  if (images) return images;
  const runc = await chooseImageRuntime(["runc"]);
  if (runc.runtime === undefined) return `runc cannot run here: ${runc.passedOver.join("; ")}`;
  // Rootless runc cannot share the host's network namespace without one of its own.
  if (process.getuid?.() !== 0) return "runc shares the host network only when run as root";
  return false;
}

const unavailable = await whyNot();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe(
  "the bridge executable in a glibc server image",
  { skip: unavailable, timeout: 600_000 },
  () => {
    let registry: RegistryServer;
    let dir: string;
    let container: ChildProcess | undefined;
    const name = `mcp-warden-bridge-${process.pid}`;
    const client = new RegistryClient();

    before(async () => {
      registry = await startRegistry();
      dir = await mkdtemp(join(tmpdir(), "mcp-warden-bridge-image-"));
    });
    after(async () => {
      await run("runc", ["--root", join(dir, "state"), "delete", "--force", name]).catch(
        () => undefined,
      );
      container?.kill("SIGKILL");
      await registry?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    test("server-everything's image behind the bridge lists what the package lists over stdio, and answers calls", async () => {
      const server = NPM_SERVERS.everything;
      const built = await pushServerImage(client, `${registry.host}/everything`, server.version, {
        npm: server,
      });
      const image = await pullImage(client, built.pinned);
      const rootfs = join(dir, "rootfs");
      await extractImage(client, image, rootfs);
      await chmod(rootfs, 0o755);
      await mkdir(join(rootfs, "mcp-warden"), { recursive: true });
      // The emptyDir the init container fills: the executable alone, mounted read-only.
      const volume = join(dir, "bridge-volume");
      await mkdir(volume);
      await copyFile(await bridgeBinary(), join(volume, "bridge"));
      await chmod(volume, 0o755);
      await chmod(join(volume, "bridge"), 0o755);

      const port = await freePort();
      const evaluated = [...image.config.entrypoint, ...image.config.cmd];
      const spec = ociConfig(
        {
          args: [
            "/mcp-warden/bridge",
            "--host",
            "127.0.0.1",
            "--port",
            String(port),
            "--",
            ...evaluated,
          ],
          env: image.config.env,
          cwd: image.config.workingDir ?? "/",
          user: { uid: IMAGE_USER, gid: IMAGE_USER },
        },
        { rootfs: "rootfs", hostname: "mcp-server" },
      );
      const linux = spec.linux as { namespaces: { type: string }[] };
      linux.namespaces = linux.namespaces.filter((n) => n.type !== "network");
      (spec.mounts as unknown[]).push({
        destination: "/mcp-warden",
        type: "bind",
        source: volume,
        options: ["rbind", "ro", "nosuid", "nodev"],
      });
      await writeFile(join(dir, "config.json"), JSON.stringify(spec));
      await mkdir(join(dir, "state"), { mode: 0o700 });
      let logs = "";
      container = spawn("runc", ["--root", join(dir, "state"), "run", "--bundle", dir, name], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      // Listened for at once: the container may end before the test reaches its last await.
      const exited = new Promise((r) => container?.once("exit", r));
      container.stderr?.on("data", (b: Buffer) => (logs += b.toString()));
      container.stdout?.on("data", (b: Buffer) => (logs += b.toString()));

      const url = `http://127.0.0.1:${port}/mcp`;
      for (let i = 0; i < 300 && !/"listening"/.test(logs); i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.match(logs, /"event":"listening"/, logs);

      const http = new Client({ name: "bridge-image-test", version: "1.0.0" });
      await http.connect(new StreamableHTTPClientTransport(new URL(url)));
      const overHttp = (await http.listTools()).tools;
      const stdio = new Client({ name: "bridge-image-test", version: "1.0.0" });
      await stdio.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [await installNpmServer(server)],
          stderr: "ignore",
        }),
      );
      const overStdio = (await stdio.listTools()).tools;
      await stdio.close();
      assert.ok(overHttp.length > 5);
      assert.deepEqual(overHttp, overStdio);

      const echo = await http.callTool({ name: "echo", arguments: { message: "from the image" } });
      assert.deepEqual(echo.content, [{ type: "text", text: "Echo: from the image" }]);
      // The server runs with the image's environment, handed on by the bridge.
      const got = await http.callTool({ name: "get-env", arguments: {} });
      const env = JSON.parse((got.content as { text: string }[])[0]?.text ?? "{}") as Record<
        string,
        string
      >;
      assert.equal(env.NODE_ENV, "production");
      await http.close();

      container.kill("SIGTERM");
      await run("runc", ["--root", join(dir, "state"), "kill", name, "SIGTERM"]).catch(
        () => undefined,
      );
      const stopped = await Promise.race([
        exited.then(() => true),
        new Promise((r) => setTimeout(() => r(false), 30_000).unref()),
      ]);
      assert.ok(stopped, `the container did not stop within 30 s of SIGTERM:\n${logs}`);
      assert.match(logs, /"event":"shutting-down"/, logs);
    });
  },
);
