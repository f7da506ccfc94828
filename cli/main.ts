import { parseArgs } from "node:util";
import { errorMessage, WardenError } from "../policies/errors.ts";
import { runCheck, type CheckInputs, type ReportFormat } from "./check.ts";
import { CliError } from "./errors.ts";
import { runServe, type ServeEnv } from "./serve.ts";
import { REGISTRY_OPTIONS } from "./registry-access.ts";
import { oneOf, parseNow, registryAccess } from "./options.ts";
import { runVerify } from "./verify.ts";

export const USAGE = `usage:
  mcp-warden check [PATH|-]... [--policy FILE] [--exceptions PATH]... [--trust-inputs] [--rules GLOB[,GLOB...]] [--format text|json|sarif] [--now ISO8601]
                   [--verify-images [--registry-config FILE] [--insecure-registry HOST[:PORT]]... [--trusted-root FILE | --tuf-mirror URL --tuf-root FILE]]
  mcp-warden verify IMAGE [--policy FILE] [--format text|json] [--now ISO8601]
                   [--registry-config FILE] [--insecure-registry HOST[:PORT]]... [--trusted-root FILE | --tuf-mirror URL --tuf-root FILE]
  mcp-warden serve --tls-cert FILE --tls-key FILE [--port 8443] [--host 0.0.0.0]
                   [--policy FILE | --policy-name NAME] [--kubeconfig FILE] [--webhook-timeout 10]
                   [--stale-after 60s] [--body-limit BYTES] [--tls-reload-interval 10s] [--log-level info]
                   [--registry-config FILE] [--insecure-registry HOST[:PORT]]... [--trusted-root FILE | --tuf-mirror URL --tuf-root FILE] [--no-pull-secrets]
  mcp-warden evaluate [--manifest server.json] [--lockfile FILE]... [--vulnerability-db osv|URL|PATH] [--ignore-file FILE]
                   [--fail-on-severity critical|high|medium|low|none] [--min-trust-level L1..L4] [--tool-timeout 60]
                   [--format text|json|sarif] [--now ISO8601] [--write-manifest]
                   [--image REF [--platform os/arch[/variant]] [--sbom FILE] [--registry-config FILE] [--insecure-registry HOST[:PORT]]...]
                   [--vulnerability-db-warn-age 7d] [--vulnerability-db-max-age DURATION] [--server-env NAME]... [--quiet]
  mcp-warden db download DIR [--ecosystem NAME]... [--base-url URL]
  mcp-warden --help

check   judges every workload in the files, directories (recursively) or stdin (-) against the
        policy (default: policies/default.yaml). NetworkPolicy and RBAC documents among the inputs
        are the cluster state. Exceptions are trusted only from --exceptions PATH (files or
        directories, left out of the judged inputs) and the policy only from --policy:
        MCPWardenException and MCPWardenPolicy documents among the inputs are ignored with a
        note, unless --trust-inputs (local use).
verify  looks an image up in its registry: its signatures and evaluation attestations (referrers,
        the fallback index, cosign's .sig/.att tags), which verified against the policy's trusted
        signers and why others did not, and the policy's image/* rules; exit 0 when none denies.
evaluate runs the GitHub Action's evaluation of an MCP server release locally: the manifest and
        its declared permissions, the tools the running server lists (stdio), the lockfiles next
        to the manifest against OSV advisories (the API or an offline database), and with --image
        the packages installed in the image's own layers (control SC-04); nothing is signed. Exit 0
        when the verdict passes at --min-trust-level or above. --write-manifest writes the tools,
        prompts, resource templates and instructions the server exposes, pinned, and a permissions
        skeleton into the manifest's _meta, says what changed, and evaluates it. --sbom writes
        the image's inventory as a CycloneDX 1.5 document. --server-env NAME passes that variable
        of this environment to the server (named in the notices, never its value). Progress goes
        to stderr; --quiet silences it.
db      download DIR fetches OSV's per-ecosystem exports into DIR, the offline database that
        --vulnerability-db DIR reads (resumed when interrupted, checked before it replaces a copy).
serve   runs the validating admission webhook (POST /validate, /healthz, /readyz, /metrics) over
        HTTPS. Cluster state comes from --kubeconfig, $KUBECONFIG or the pod's service account;
        without any, it serves with empty cluster state and says so.
exit    0 every workload allowed, 1 any denied, 2 bad input or usage`;

export interface Io extends Omit<ServeEnv, "stdout"> {
  argv: string[];
  stdin: AsyncIterable<Uint8Array>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Print stack traces of internal errors. */
  debug: boolean;
}

const FORMATS: readonly ReportFormat[] = ["text", "json", "sarif"];

function parseCheckArgs(args: string[]): CheckInputs {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      policy: { type: "string" },
      exceptions: { type: "string", multiple: true, default: [] },
      "trust-inputs": { type: "boolean", default: false },
      rules: { type: "string" },
      format: { type: "string", default: "text" },
      now: { type: "string" },
      "verify-images": { type: "boolean", default: false },
      ...REGISTRY_OPTIONS,
    },
  });
  const format = oneOf("format", values.format, FORMATS);
  const now = parseNow(values.now);
  if (positionals.length === 0) {
    throw new CliError("USAGE", "check needs at least one file, directory or - (stdin)");
  }
  if (positionals.includes("-") && values.exceptions.includes("-")) {
    throw new CliError("USAGE", "stdin (-) can be the inputs or --exceptions, not both");
  }
  return {
    paths: positionals,
    policyFile: values.policy,
    exceptionPaths: values.exceptions,
    trustInputs: values["trust-inputs"],
    rules: values.rules?.split(","),
    format,
    now,
    verifyImages: values["verify-images"],
    registry: registryAccess(values),
  };
}

/** The CLI: parses the command line into typed inputs and runs the command. Returns the exit status. */
export async function main(io: Io): Promise<number> {
  const [command, ...rest] = io.argv;
  try {
    switch (command) {
      case "check":
        return await runCheck(parseCheckArgs(rest), io);
      case undefined:
      case "-h":
      case "--help":
      case "help":
        (command === undefined ? io.stderr : io.stdout)(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      case "serve":
        return await runServe(rest, io);
      case "verify":
        return await runVerify(rest, io);
      case "evaluate": {
        // Loaded on demand: the webhook and check never need the scanners or the MCP client.
        const { runEvaluate } = await import("./evaluate.ts");
        return await runEvaluate(rest, io);
      }
      case "db": {
        const { runDb } = await import("./db.ts");
        return await runDb(rest, io);
      }
      default:
        throw new CliError("USAGE", `unknown command ${JSON.stringify(command)}`);
    }
  } catch (e) {
    if (e instanceof WardenError) {
      io.stderr(`mcp-warden: ${e.describe()}\n`);
      if (e.code === "USAGE") io.stderr(`\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`mcp-warden: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    // Unexpected: one line, no stack trace, unless asked for.
    io.stderr(`mcp-warden: internal error: ${errorMessage(e)}\n`);
    if (io.debug) io.stderr(`${e instanceof Error ? e.stack : ""}\n`);
    return 2;
  }
}
