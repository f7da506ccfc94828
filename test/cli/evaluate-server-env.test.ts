/**
 * `mcp-warden evaluate --server-env NAME`: only the named variables of this process's environment
 * reach the server under evaluation. The server is a real MCP server over stdio, written here with
 * the SDK, that lists one tool per variable it was started with, the value as its description.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCli, ROOT } from "../support/cli.ts";

const OSV = join(ROOT, "test", "fixtures", "osv", "npm");

/** An MCP server that reports its environment as its tools (PATH and HOME left out). */
function envServer(): string {
  const mcp = import.meta.resolve("@modelcontextprotocol/sdk/server/mcp.js");
  const stdio = import.meta.resolve("@modelcontextprotocol/sdk/server/stdio.js");
  return `
import { McpServer } from ${JSON.stringify(mcp)};
import { StdioServerTransport } from ${JSON.stringify(stdio)};
const server = new McpServer({ name: "env-reporter", version: "1.0.0" });
for (const [name, value] of Object.entries(process.env)) {
  if (name === "PATH" || name === "HOME") continue;
  server.registerTool("env_" + name, { description: String(value) }, async () => ({ content: [] }));
}
await server.connect(new StdioServerTransport());
`;
}

describe("mcp-warden evaluate --server-env", { timeout: 120_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mcp-warden-server-env-"));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function workspace(name: string): Promise<string> {
    const ws = join(dir, name);
    await mkdir(ws, { recursive: true });
    await writeFile(join(ws, "server.mjs"), envServer());
    const manifest = {
      name: "io.github.acme/env-reporter",
      description: "Reports the environment it was started with.",
      version: "1.0.0",
      _meta: {
        "dev.mcp-warden/stdio": { command: process.execPath, args: [join(ws, "server.mjs")] },
      },
    };
    await writeFile(join(ws, "server.json"), JSON.stringify(manifest, null, 2));
    return ws;
  }

  /** The tools the server listed, written into the manifest by --write-manifest. */
  async function listedEnv(ws: string): Promise<Record<string, string>> {
    const manifest = JSON.parse(await readFile(join(ws, "server.json"), "utf8")) as {
      _meta: Record<string, { name: string; description?: string }[] | undefined>;
    };
    return Object.fromEntries(
      (manifest._meta["dev.mcp-warden/tools"] ?? []).map((t) => [
        t.name.replace(/^env_/, ""),
        t.description ?? "",
      ]),
    );
  }

  const env = {
    ...process.env,
    SSL_CERT_FILE: "/etc/ssl/certs/intercepting-proxy-ca.pem",
    HTTPS_PROXY: "http://proxy.internal:3128",
    RUNNER_SECRET: "s3cret-not-for-the-server",
  };

  // What the server exposes is written into the manifest, where listedEnv reads it.
  const evaluate = (...more: string[]) => [
    ...["evaluate", "--vulnerability-db", OSV, "--min-trust-level", "L1"],
    ...["--write-manifest", "--quiet", ...more],
  ];

  test("only the named variables pass, with their values; the notices name them, never a value", async () => {
    const ws = await workspace("named");
    const r = await runCli(
      evaluate(
        ...["--server-env", "SSL_CERT_FILE", "--server-env", "HTTPS_PROXY"],
        ...["--server-env", "MCP_WARDEN_NOT_SET", "--format", "json"],
      ),
      { cwd: ws, env },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(await listedEnv(ws), {
      SSL_CERT_FILE: "/etc/ssl/certs/intercepting-proxy-ca.pem",
      HTTPS_PROXY: "http://proxy.internal:3128",
    });
    assert.match(
      r.stderr,
      /^warning: the server was started with SSL_CERT_FILE, HTTPS_PROXY from this process's environment \(--server-env\)$/m,
    );
    assert.match(
      r.stderr,
      /^warning: --server-env MCP_WARDEN_NOT_SET: not set in this process's environment/m,
    );
    for (const value of [env.SSL_CERT_FILE, env.HTTPS_PROXY, env.RUNNER_SECRET])
      assert.ok(!r.stderr.includes(value), `${value} is not in the notices`);
  });

  test("without --server-env the server gets none of them", async () => {
    const ws = await workspace("none");
    const r = await runCli(evaluate(), { cwd: ws, env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(await listedEnv(ws), {});
    assert.doesNotMatch(r.stdout + r.stderr, /server-env/);
  });

  test("a value where a name belongs is a usage error", async () => {
    const ws = await workspace("bad");
    const r = await runCli(
      ["evaluate", "--vulnerability-db", OSV, "--server-env", "HTTPS_PROXY=http://proxy:3128"],
      { cwd: ws, env },
    );
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /--server-env takes variable names/);
  });
});
