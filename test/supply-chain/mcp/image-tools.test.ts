/**
 * Tools listed from a server image itself: real images (Debian's glibc from `dpkg -x`, the real
 * Node binary, a published npm server or a purpose-built probe server) pushed to the real
 * registry, pulled and run under each runtime this machine has.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { pullImage } from "../../../supply-chain/image/pull.ts";
import {
  chooseImageRuntime,
  type ImageRuntimeName,
} from "../../../supply-chain/mcp/image-runtime.ts";
import { listImageTools } from "../../../supply-chain/mcp/image-tools.ts";
import { listServerTools } from "../../../supply-chain/mcp/live-tools.ts";
import { RegistryClient } from "../../../supply-chain/registry/client.ts";
import { ROOT } from "../../support/cli.ts";
import {
  installNpmServer,
  installPypiServer,
  NPM_SERVERS,
  PYPI_SERVERS,
} from "../../support/mcp-servers.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../../support/registry-server.ts";
import {
  pushServerImage,
  serverImagesUnavailable,
  IMAGE_USER,
} from "../../support/server-images.ts";
import { assertRejectsWithCode } from "../../support/throws.ts";
import { WardenError } from "../../../policies/errors.ts";

const run = promisify(execFile);

/**
 * A stdio MCP server that reports, as its one tool's description, what it sees of its sandbox:
 * its capabilities, whether it can write its root or /tmp, its network interfaces and whether it
 * can reach `PROBE_HOST:PROBE_PORT`.
 */
const PROBE_SERVER = `
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const field = (status, key) => new RegExp("^" + key + ":\\\\s*(\\\\S+)", "m").exec(status)?.[1];
function tryWrite(path) {
  try { fs.writeFileSync(path, "x"); return "written"; } catch (e) { return e.code; }
}
function connect() {
  return new Promise((done) => {
    const s = net.connect({ host: process.env.PROBE_HOST, port: Number(process.env.PROBE_PORT) });
    const timer = setTimeout(() => { s.destroy(); done("timeout"); }, 3000);
    s.on("connect", () => { clearTimeout(timer); s.destroy(); done("connected"); });
    s.on("error", (e) => { clearTimeout(timer); done(e.code); });
  });
}
async function probe() {
  const status = fs.readFileSync("/proc/self/status", "utf8");
  let sysNet;
  try { sysNet = fs.readdirSync("/sys/class/net").sort(); } catch (e) { sysNet = e.code; }
  return {
    uid: process.getuid(), gid: process.getgid(), cwd: process.cwd(),
    capEff: field(status, "CapEff"), capPrm: field(status, "CapPrm"), capBnd: field(status, "CapBnd"),
    noNewPrivs: field(status, "NoNewPrivs"),
    root: tryWrite("/probe-" + process.pid), tmp: tryWrite("/tmp/probe-" + process.pid),
    sysNet, interfaces: Object.keys(os.networkInterfaces()).sort(),
    up: Object.values(os.networkInterfaces()).flat().map((i) => i.address).sort(),
    connect: await connect(),
    env: { HOME: process.env.HOME, FROM_MANIFEST: process.env.FROM_MANIFEST, NODE_ENV: process.env.NODE_ENV },
  };
}
let buf = "";
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...m }) + "\\n");
process.stdin.on("data", async (chunk) => {
  buf += chunk;
  let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    const msg = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    if (msg.method === "initialize")
      send({ id: msg.id, result: { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "probe", version: "1.0.0" } } });
    else if (msg.method === "tools/list")
      send({ id: msg.id, result: { tools: [{ name: "probe", description: JSON.stringify(await probe()), inputSchema: { type: "object" } }] } });
    else if (msg.id !== undefined) send({ id: msg.id, error: { code: -32601, message: "no such method" } });
  }
});
`;

interface Probe {
  uid: number;
  gid: number;
  cwd: string;
  capEff: string;
  capPrm: string;
  capBnd: string;
  noNewPrivs: string;
  root: string;
  tmp: string;
  sysNet: string[] | string;
  interfaces: string[];
  up: string[];
  connect: string;
  env: Record<string, string | undefined>;
}

const unavailable = SKIP_NO_REGISTRY || (await serverImagesUnavailable());
const available: ImageRuntimeName[] = [];
for (const name of ["runc", "unshare"] as const)
  if ((await chooseImageRuntime([name])).runtime !== undefined) available.push(name);

describe("tools listed from the image", { skip: unavailable, timeout: 600_000 }, () => {
  let registry: RegistryServer;
  let dir: string;
  const client = new RegistryClient();
  before(async () => {
    registry = await startRegistry();
    dir = await mkdtemp(join(tmpdir(), "mcp-warden-image-tools-"));
  });
  after(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function probeImage(): Promise<{ image: Awaited<ReturnType<typeof pullImage>> }> {
    const built = await pushServerImage(client, `${registry.host}/probe`, "1", {
      files: { "probe.cjs": PROBE_SERVER },
      main: "probe.cjs",
    });
    return { image: await pullImage(client, built.pinned) };
  }

  const port = () => registry.host.split(":")[1] ?? "";

  test("the probe reaches the registry when run on the host (the control)", async () => {
    const file = join(dir, "probe.cjs");
    await writeFile(file, PROBE_SERVER);
    const listed = await listServerTools(
      {
        command: process.execPath,
        args: [file],
        env: { PROBE_HOST: "127.0.0.1", PROBE_PORT: port() },
      },
      { timeoutMs: 20_000, isolation: "off" },
    );
    const seen = JSON.parse(listed.tools[0]?.description ?? "{}") as Probe;
    assert.equal(seen.connect, "connected");
  });

  for (const runtime of ["runc", "unshare"] as const)
    test(
      `${runtime}: the image's server runs as its user, with no network, a read-only root and no capabilities`,
      { skip: available.includes(runtime) ? false : `${runtime} does not work here` },
      async () => {
        const { image } = await probeImage();
        // The unpacked root goes into a temporary directory of this test's, to see it removed.
        const temp = join(dir, `tmp-${runtime}`);
        await mkdir(temp);
        const saved = process.env.TMPDIR;
        process.env.TMPDIR = temp;
        let listed;
        try {
          listed = await listImageTools(
            { client, image },
            {
              timeoutMs: 30_000,
              runtimes: [runtime],
              env: { PROBE_HOST: "127.0.0.1", PROBE_PORT: port(), FROM_MANIFEST: "yes" },
            },
          );
        } finally {
          if (saved === undefined) delete process.env.TMPDIR;
          else process.env.TMPDIR = saved;
        }
        assert.deepEqual(await readdir(temp), []);
        assert.equal(listed.runtime, runtime);
        const seen = JSON.parse(listed.tools[0]?.description ?? "{}") as Probe;
        assert.equal(seen.uid, IMAGE_USER);
        assert.equal(seen.gid, IMAGE_USER);
        assert.equal(seen.cwd, "/app");
        assert.equal(seen.capEff, "0000000000000000");
        assert.equal(seen.capPrm, "0000000000000000");
        assert.equal(seen.noNewPrivs, "1");
        assert.equal(seen.root, "EROFS");
        assert.equal(seen.tmp, "written");
        // Only a loopback of its own (runc brings it up, unshare leaves it down): the host's
        // registry on the host's loopback is out of reach.
        assert.deepEqual(seen.sysNet, ["lo"]);
        assert.ok(
          seen.up.every((a) => a === "127.0.0.1" || a === "::1"),
          seen.up.join(),
        );
        assert.notEqual(seen.connect, "connected");
        assert.deepEqual(seen.env, {
          HOME: "/home/nonroot",
          FROM_MANIFEST: "yes",
          NODE_ENV: "production",
        });
      },
    );

  /** Whether every directory down to `path` lets other users through (the child runs as nobody). */
  function othersCanReach(path: string): boolean {
    for (let d = path; ; d = dirname(d)) {
      if ((statSync(d).mode & 0o001) === 0) return false;
      if (dirname(d) === d) return true;
    }
  }

  for (const runtime of ["runc", "unshare"] as const)
    test(
      `${runtime}, rootless: an unprivileged process runs the image with no capabilities, no network and a read-only root`,
      {
        skip:
          process.getuid?.() !== 0
            ? "needs root to start the unprivileged process"
            : !othersCanReach(ROOT)
              ? `the checkout ${ROOT} is not reachable by an unprivileged user (a 0700 directory above it, as mktemp -d makes)`
              : available.includes(runtime)
                ? false
                : `${runtime} does not work here`,
      },
      async () => {
        const { image } = await probeImage();
        // A child as nobody pulls and lists the image; the test directory must be readable to it.
        await chmod(dir, 0o755);
        const child = join(dir, "rootless.ts");
        await writeFile(
          child,
          `import { pullImage } from ${JSON.stringify(join(ROOT, "supply-chain/image/pull.ts"))};
import { listImageTools } from ${JSON.stringify(join(ROOT, "supply-chain/mcp/image-tools.ts"))};
import { RegistryClient } from ${JSON.stringify(join(ROOT, "supply-chain/registry/client.ts"))};
const client = new RegistryClient();
const image = await pullImage(client, process.argv[2]);
const listed = await listImageTools({ client, image }, {
  timeoutMs: 30000, runtimes: [process.argv[3]], env: { PROBE_HOST: "127.0.0.1", PROBE_PORT: process.argv[4] },
});
process.stdout.write(listed.tools[0].description);
`,
        );
        await chmod(child, 0o644);
        const pinned = `${image.registry}/${image.repository}@${image.digest}`;
        const { stdout } = await run(
          "setpriv",
          [
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "env",
            "-i",
            `PATH=${process.env.PATH ?? "/usr/bin:/bin"}`,
            "HOME=/tmp",
            process.execPath,
            child,
            pinned,
            runtime,
            port(),
          ],
          { timeout: 120_000 },
        );
        const seen = JSON.parse(stdout) as Probe;
        // Rootless runc maps only the namespace's root (to nobody); unshare keeps the image's user.
        assert.equal(seen.uid, runtime === "runc" ? 0 : IMAGE_USER);
        assert.equal(seen.capEff, "0000000000000000");
        assert.equal(seen.capPrm, "0000000000000000");
        assert.equal(seen.noNewPrivs, "1");
        assert.equal(seen.root, "EROFS");
        assert.equal(seen.tmp, "written");
        assert.deepEqual(seen.sysNet, ["lo"]);
        assert.notEqual(seen.connect, "connected");
      },
    );

  test(
    "a published server lists the same tools from its image as from its package",
    { skip: available.length === 0 ? "no runtime works here" : false },
    async () => {
      const server = NPM_SERVERS.everything;
      const built = await pushServerImage(client, `${registry.host}/everything`, server.version, {
        npm: server,
      });
      const image = await pullImage(client, built.pinned);
      const fromImage = await listImageTools({ client, image }, { timeoutMs: 60_000 });
      const entry = await installNpmServer(server);
      const fromPackage = await listServerTools(
        { command: process.execPath, args: [entry] },
        { timeoutMs: 60_000 },
      );
      assert.ok(fromImage.tools.length > 5);
      assert.deepEqual(fromImage.tools, fromPackage.tools);
      assert.deepEqual(fromImage.definitions, fromPackage.definitions);
    },
  );

  test(
    "a published PyPI server on Debian's Python lists the same tools from its image as from its package",
    { skip: available.length === 0 ? "no runtime works here" : false },
    async (t) => {
      const server = PYPI_SERVERS.time;
      let venv;
      try {
        venv = await installPypiServer(server.name, server.version, server.module);
      } catch (e) {
        t.skip(
          `${server.name} could not be installed: ${e instanceof Error ? e.message : String(e)}`,
        );
        return;
      }
      const built = await pushServerImage(client, `${registry.host}/time`, server.version, {
        pypi: server,
      });
      const image = await pullImage(client, built.pinned);
      // The server writes the local zone into its descriptions: the same one on both sides.
      const env = { TZ: "Asia/Tokyo" };
      const fromImage = await listImageTools({ client, image }, { timeoutMs: 60_000, env });
      const fromPackage = await listServerTools(
        { command: venv.python, args: venv.args, env },
        { timeoutMs: 60_000 },
      );
      assert.ok(fromImage.tools.length > 0);
      assert.match(JSON.stringify(fromImage.tools), /Asia\/Tokyo/);
      assert.deepEqual(fromImage.tools, fromPackage.tools);
      assert.deepEqual(fromImage.definitions, fromPackage.definitions);
    },
  );

  test(
    "an image whose command does not exist fails with the runtime's reason",
    { skip: available.length === 0 ? "no runtime works here" : false },
    async () => {
      const built = await pushServerImage(
        client,
        `${registry.host}/broken`,
        "1",
        { files: { "probe.cjs": PROBE_SERVER }, main: "probe.cjs" },
        { Entrypoint: ["/usr/local/bin/no-such-node"] },
      );
      const image = await pullImage(client, built.pinned);
      const error = await assertRejectsWithCode(
        listImageTools({ client, image }, { timeoutMs: 20_000 }),
        "MCP_SERVER_FAILED",
        WardenError,
      );
      assert.match(error.message, new RegExp(`${image.digest}`));
      assert.match(error.message, /no-such-node/);
    },
  );

  test("an image with neither Entrypoint nor Cmd is refused before anything runs", async () => {
    const built = await pushServerImage(
      client,
      `${registry.host}/empty`,
      "1",
      { files: { "probe.cjs": PROBE_SERVER }, main: "probe.cjs" },
      { Entrypoint: [], Cmd: [] },
    );
    const image = await pullImage(client, built.pinned);
    const error = await assertRejectsWithCode(
      listImageTools({ client, image }, { timeoutMs: 20_000 }),
      "MCP_SERVER_FAILED",
      WardenError,
    );
    assert.match(error.message, /neither Entrypoint nor Cmd/);
  });

  test("no runtime at all: the error names why each was passed over", async () => {
    const { image } = await probeImage();
    const saved = process.env.PATH;
    try {
      process.env.PATH = join(dir, "empty-path");
      const error = await assertRejectsWithCode(
        listImageTools({ client, image }, { timeoutMs: 20_000, runtimes: ["docker"] }),
        "MCP_SERVER_FAILED",
        WardenError,
      );
      assert.match(error.message, /no container runtime could run the image/);
      assert.match(error.message, /docker: not found on PATH/);
    } finally {
      process.env.PATH = saved;
    }
  });
});
