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

export const SERVERS: readonly Server[] = [
  { registry: "npm", name: "@modelcontextprotocol/server-memory", version: "2026.8.31" },
  {
    registry: "npm",
    name: "@modelcontextprotocol/server-sequential-thinking",
    version: "2026.8.31",
  },
  {
    registry: "npm",
    name: "@modelcontextprotocol/server-github",
    version: "2025.4.8",
    env: { GITHUB_PERSONAL_ACCESS_TOKEN: PLACEHOLDER },
  },
  {
    registry: "npm",
    name: "@modelcontextprotocol/server-slack",
    version: "2025.4.25",
    env: { SLACK_BOT_TOKEN: PLACEHOLDER, SLACK_TEAM_ID: "T00000000" },
  },
  {
    registry: "npm",
    name: "@modelcontextprotocol/server-brave-search",
    version: "0.6.2",
    env: { BRAVE_API_KEY: PLACEHOLDER },
  },
  {
    registry: "npm",
    name: "@modelcontextprotocol/server-google-maps",
    version: "0.6.2",
    env: { GOOGLE_MAPS_API_KEY: PLACEHOLDER },
  },
  { registry: "npm", name: "@modelcontextprotocol/server-puppeteer", version: "2025.5.12" },
  {
    registry: "npm",
    name: "@modelcontextprotocol/server-postgres",
    version: "0.6.2",
    args: ["postgresql://127.0.0.1:1/none"],
  },
  {
    registry: "npm",
    name: "@modelcontextprotocol/server-everart",
    version: "0.6.2",
    env: { EVERART_API_KEY: PLACEHOLDER },
  },
  {
    registry: "npm",
    name: "@modelcontextprotocol/server-aws-kb-retrieval",
    version: "0.6.2",
    env: {
      AWS_ACCESS_KEY_ID: PLACEHOLDER,
      AWS_SECRET_ACCESS_KEY: PLACEHOLDER,
      AWS_REGION: "us-east-1",
    },
  },
  { registry: "npm", name: "@upstash/context7-mcp", version: "4.1.1" },
  {
    registry: "npm",
    name: "tavily-mcp",
    version: "0.2.22",
    env: { TAVILY_API_KEY: PLACEHOLDER },
  },
  {
    registry: "npm",
    name: "firecrawl-mcp",
    version: "3.26.0",
    env: { FIRECRAWL_API_KEY: PLACEHOLDER },
  },
  {
    registry: "npm",
    name: "exa-mcp-server",
    version: "3.4.1",
    env: { EXA_API_KEY: PLACEHOLDER },
  },
  { registry: "npm", name: "@notionhq/notion-mcp-server", version: "2.5.2" },
  { registry: "npm", name: "mcp-server-kubernetes", version: "4.1.7" },
  { registry: "pypi", name: "mcp-server-fetch", version: "2026.10.24", module: "mcp_server_fetch" },
  { registry: "pypi", name: "mcp-server-git", version: "2026.10.19", module: "mcp_server_git" },
  {
    registry: "pypi",
    name: "duckduckgo-mcp-server",
    version: "0.7.0",
    module: "duckduckgo_mcp_server.server",
  },
  { registry: "pypi", name: "arxiv-mcp-server", version: "0.8.2", module: "arxiv_mcp_server" },
  {
    registry: "pypi",
    name: "mcp-server-calculator",
    version: "0.2.1",
    module: "mcp_server_calculator",
  },
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
