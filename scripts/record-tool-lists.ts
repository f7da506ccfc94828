// Records the real `tools/list` answers of published MCP servers, as the benign corpus of the
// description-safety benchmark (test/fixtures/descriptions/benign-real/<server>@<version>.tools.json).
// Each server is installed at an exact version from the npm registry or PyPI (the test support's
// cache), started over stdio the way the Action starts one (supply-chain/mcp/live-tools.ts), and
// its tools are written as it sent them. Credentials a server insists on at start-up are given
// placeholder values: listing tools calls no API.
//
//   node scripts/record-tool-lists.ts [--out DIR] [--only NAME[,NAME...]]
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { errorMessage } from "../policies/errors.ts";
import { listServerTools } from "../supply-chain/mcp/live-tools.ts";
import type { StdioCommand } from "../supply-chain/mcp/stdio-transport.ts";
import { fixtureName, installNpmServer, installPypiServer } from "../test/support/mcp-servers.ts";

interface Server {
  registry: "npm" | "pypi";
  name: string;
  version: string;
  /** PyPI: the module to run with `python -m`. */
  module?: string;
  args?: string[];
  env?: Record<string, string>;
  /** npm: packages installed beside it. */
  with?: string[];
}

const PLACEHOLDER = "placeholder-not-a-credential";

/** An npm server; `keys` are variables it insists on at start-up, given placeholders. */
const npm = (name: string, version: string, keys: string[] = [], more: Partial<Server> = {}) =>
  ({
    registry: "npm",
    name,
    version,
    ...(keys.length > 0 ? { env: Object.fromEntries(keys.map((k) => [k, PLACEHOLDER])) } : {}),
    ...more,
  }) satisfies Server;
const pypi = (name: string, version: string, module: string): Server => ({
  registry: "pypi",
  name,
  version,
  module,
});
const official = (name: string) => `@modelcontextprotocol/server-${name}`;

export const SERVERS: readonly Server[] = [
  npm(official("memory"), "2026.8.31"),
  npm(official("sequential-thinking"), "2026.8.31"),
  npm(official("github"), "2025.4.8", ["GITHUB_PERSONAL_ACCESS_TOKEN"]),
  npm(official("slack"), "2025.4.25", ["SLACK_BOT_TOKEN", "SLACK_TEAM_ID"]),
  npm(official("brave-search"), "0.6.2", ["BRAVE_API_KEY"]),
  npm(official("google-maps"), "0.6.2", ["GOOGLE_MAPS_API_KEY"]),
  npm(official("puppeteer"), "2025.5.12"),
  npm(official("postgres"), "0.6.2", [], { args: ["postgresql://127.0.0.1:1/none"] }),
  npm(official("everart"), "0.6.2", ["EVERART_API_KEY"]),
  npm(official("aws-kb-retrieval"), "0.6.2", [], {
    env: {
      AWS_ACCESS_KEY_ID: PLACEHOLDER,
      AWS_SECRET_ACCESS_KEY: PLACEHOLDER,
      AWS_REGION: "us-east-1",
    },
  }),
  npm("@upstash/context7-mcp", "4.1.1"),
  npm("tavily-mcp", "0.2.22", ["TAVILY_API_KEY"]),
  npm("firecrawl-mcp", "3.26.0", ["FIRECRAWL_API_KEY"]),
  npm("exa-mcp-server", "3.4.1", ["EXA_API_KEY"]),
  npm("@notionhq/notion-mcp-server", "2.5.2"),
  npm("mcp-server-kubernetes", "4.1.7"),
  pypi("mcp-server-fetch", "2026.10.24", "mcp_server_fetch"),
  pypi("mcp-server-git", "2026.10.19", "mcp_server_git"),
  pypi("duckduckgo-mcp-server", "0.7.0", "duckduckgo_mcp_server.server"),
  pypi("arxiv-mcp-server", "0.8.2", "arxiv_mcp_server"),
  pypi("mcp-server-calculator", "0.2.1", "mcp_server_calculator"),
];

async function command(server: Server): Promise<StdioCommand> {
  if (server.registry === "npm") {
    const entry = await installNpmServer({
      name: server.name,
      version: server.version,
      with: server.with ?? [],
    });
    return {
      command: process.execPath,
      args: [entry, ...(server.args ?? [])],
      ...(server.env ? { env: server.env } : {}),
    };
  }
  const { python, args } = await installPypiServer(
    server.name,
    server.version,
    server.module ?? server.name.replace(/-/g, "_"),
  );
  return {
    command: python,
    args: [...args, ...(server.args ?? [])],
    ...(server.env ? { env: server.env } : {}),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: "string", default: "test/fixtures/descriptions/benign-real" },
      only: { type: "string" },
    },
  });
  const only = values.only?.split(",");
  await mkdir(values.out, { recursive: true });
  let failed = 0;
  for (const server of SERVERS) {
    if (only !== undefined && !only.some((o) => server.name.includes(o))) continue;
    const file = join(values.out, `${fixtureName(server.name, server.version)}.tools.json`);
    try {
      const { tools } = await listServerTools(await command(server), {
        timeoutMs: 60_000,
        isolation: "off",
      });
      await writeFile(file, `${JSON.stringify(tools, null, 2)}\n`);
      console.log(`${server.name}@${server.version}: ${tools.length} tools → ${file}`);
    } catch (error) {
      failed++;
      console.error(`${server.name}@${server.version}: ${errorMessage(error)}`);
    }
  }
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
