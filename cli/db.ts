import { resolve } from "node:path";
import { downloadEcosystem, validEcosystemName } from "../supply-chain/scan/osv/download.ts";
import { secureServiceUrl } from "../supply-chain/service-url.ts";
import { CliError } from "./errors.ts";
import { parseOptions } from "./options.ts";
import { closest } from "./suggest.ts";

const DEFAULT_ECOSYSTEMS = ["npm", "PyPI", "Go", "Debian", "Alpine"];

export interface DbIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** `mcp-warden db download`: exit 0 when every ecosystem was downloaded and checked. */
export async function runDb(args: string[], io: DbIo): Promise<number> {
  // `mcp-warden db help` and `db --help` never get here: main prints the help.
  const [sub, ...rest] = args;
  if (sub === undefined) throw new CliError("USAGE", "needs a subcommand (download)");
  if (sub !== "download") {
    const meant = closest(sub, ["download"]).length > 0 ? "; did you mean download?" : "";
    throw new CliError("USAGE", `unknown subcommand ${JSON.stringify(sub)}${meant}`);
  }
  const { values, positionals } = parseOptions({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      ecosystem: { type: "string", multiple: true, default: [] as string[] },
      "base-url": { type: "string" },
    },
  });
  if (positionals.length !== 1)
    throw new CliError("USAGE", "download needs one directory to download into");
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
