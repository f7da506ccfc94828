import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  downloadEcosystem,
  OSV_EXPORT_BASE,
  validEcosystemName,
} from "../supply-chain/scan/osv/download.ts";
import { secureServiceUrl } from "../supply-chain/service-url.ts";
import { CliError } from "./errors.ts";

export const DB_USAGE = `usage:
  mcp-warden db download DIR [--ecosystem NAME]... [--base-url URL]

Downloads OSV's per-ecosystem exports (<base-url>/<ecosystem>/all.zip, default base
${OSV_EXPORT_BASE}) into DIR as <Ecosystem>/<ID>.json, the layout
--vulnerability-db DIR reads. Default ecosystems: ${"npm, PyPI, Go, Debian, Alpine"}. An interrupted
download is resumed (HTTP Range) when run again; each zip is checked whole (every entry's CRC-32)
before it replaces the previous copy. Progress goes to stderr, one line per ecosystem to stdout.`;

const DEFAULT_ECOSYSTEMS = ["npm", "PyPI", "Go", "Debian", "Alpine"];

export interface DbIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** `mcp-warden db download`: exit 0 when every ecosystem was downloaded and checked. */
export async function runDb(args: string[], io: DbIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
    (sub === undefined ? io.stderr : io.stdout)(`${DB_USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== "download") throw new CliError("USAGE", `unknown db command ${JSON.stringify(sub)}`);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      ecosystem: { type: "string", multiple: true, default: [] as string[] },
      "base-url": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.stdout(`${DB_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1)
    throw new CliError("USAGE", "db download needs one directory to download into");
  const ecosystems = values.ecosystem.length > 0 ? values.ecosystem : DEFAULT_ECOSYSTEMS;
  const bad = ecosystems.filter((e) => !validEcosystemName(e));
  if (bad.length > 0)
    throw new CliError(
      "USAGE",
      `--ecosystem ${bad.map((b) => JSON.stringify(b)).join(", ")}: not an OSV ecosystem name`,
    );
  let baseUrl: string | undefined;
  if (values["base-url"] !== undefined) {
    baseUrl = secureServiceUrl(values["base-url"]);
    if (baseUrl === undefined)
      throw new CliError(
        "USAGE",
        `--base-url must be an https:// URL (http only on loopback), not ${JSON.stringify(values["base-url"])}`,
      );
  }
  const dir = resolve(positionals[0] ?? ".");
  for (const ecosystem of ecosystems) {
    const r = await downloadEcosystem(dir, ecosystem, {
      ...(baseUrl === undefined ? {} : { baseUrl }),
      progress: (line) => io.stderr(`${line}\n`),
    });
    io.stdout(
      `${r.ecosystem}\t${r.records} records\tnewest modified ${r.newest ?? "unknown"}\t${r.path}\n`,
    );
  }
  return 0;
}
