import { homedir } from "node:os";
import { join } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { parseDuration } from "../policies/workload/policy.ts";
import { CliError } from "./errors.ts";
import { closest, either } from "./suggest.ts";
import type { RegistryAccess } from "./registry-access.ts";
import type { TrustedRootSource } from "./registry-config.ts";

/** The value of an enum flag (`--format text|json`); a usage error names the flag and the allowed values. */
export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined)
    throw new CliError("USAGE", `--${flag} ${value} is not one of ${allowed.join(", ")}`);
  return found;
}

/** A flag's value as a positive number (`--port 8443`, `--body-limit 3145728`). */
export function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new CliError("USAGE", `${flag} ${value} must be a positive number`);
  return n;
}

/** A flag's value as a duration (`60s`, `2m`, `1h30m`), in milliseconds. */
export function duration(flag: string, value: string): number {
  if (!/^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/.test(value)) {
    throw new CliError("USAGE", `${flag} ${value} is not a duration (60s, 2m)`);
  }
  return parseDuration(value);
}

/** `--now`, or the current time. */
export function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const now = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}(T|$)/.test(value) || Number.isNaN(now.getTime())) {
    throw new CliError("USAGE", `--now ${value} is not an ISO 8601 time (2026-01-31T00:00:00Z)`);
  }
  return now;
}

export function registryAccess(values: {
  "registry-config"?: string | undefined;
  "insecure-registry": string[];
  "registry-timeout": string;
  "trusted-root"?: string | undefined;
  "tuf-mirror"?: string | undefined;
  "tuf-root"?: string | undefined;
  "tuf-cache"?: string | undefined;
}): RegistryAccess {
  const timeoutMs = Number(values["registry-timeout"]);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new CliError(
      "USAGE",
      `--registry-timeout ${values["registry-timeout"]} must be milliseconds`,
    );
  }
  return {
    registryConfig: values["registry-config"],
    trustedRoot: trustedRootSource(values),
    insecureRegistries: values["insecure-registry"],
    timeoutMs,
  };
}

/** `--trusted-root`, or `--tuf-mirror` with `--tuf-root` (cached under ~/.cache/mcp-warden/tuf). */
export function trustedRootSource(values: {
  "trusted-root"?: string | undefined;
  "tuf-mirror"?: string | undefined;
  "tuf-root"?: string | undefined;
  "tuf-cache"?: string | undefined;
}): TrustedRootSource {
  return {
    file: values["trusted-root"],
    tufMirror: values["tuf-mirror"],
    tufRoot: values["tuf-root"],
    tufCache: values["tuf-cache"] ?? join(homedir(), ".cache", "mcp-warden", "tuf"),
  };
}

const PARSE_ERRORS = new Set([
  "ERR_PARSE_ARGS_UNKNOWN_OPTION",
  "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
  "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL",
]);

/**
 * node:util's `parseArgs`, strict, its errors turned into a usage error of one plain line (the
 * option or argument at fault, the option meant when it was mistyped) without the parser's advice.
 * @throws CliError USAGE
 */
export function parseOptions<T extends ParseArgsConfig>(
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    if (e instanceof TypeError && "code" in e && PARSE_ERRORS.has(String(e.code))) {
      throw new CliError("USAGE", describeParseError(String(e.code), e.message, config), {
        cause: e,
      });
    }
    throw e;
  }
}

/** What is wrong with the command line, found again among the parser's tokens. */
function describeParseError(code: string, message: string, config: ParseArgsConfig): string {
  const options = config.options ?? {};
  const { tokens } = parseArgs({ ...config, strict: false, allowPositionals: true, tokens: true });
  for (const t of tokens) {
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && t.kind === "option" && !(t.name in options)) {
      const meant = closest(
        t.rawName,
        Object.keys(options).map((o) => `--${o}`),
      );
      return `unknown option ${t.rawName}${meant.length > 0 ? `; did you mean ${either(meant)}?` : ""}`;
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && t.kind === "option") {
      const type = options[t.name]?.type;
      if (type === "boolean" && t.value !== undefined) return `${t.rawName} takes no value`;
      if (type === "string" && t.value === undefined) return `${t.rawName} needs a value`;
      if (type === "string" && !t.inlineValue && t.value !== undefined && /^-./.test(t.value))
        return `${t.rawName} needs a value, but the option ${t.value} follows it`;
    }
    if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL" && t.kind === "positional") {
      return `unexpected argument ${JSON.stringify(t.value)}: this command takes options only`;
    }
  }
  return parseErrorLine(message);
}

/** A parseArgs error message without its advice: the first sentence, as one line. */
export function parseErrorLine(message: string): string {
  const first = message.split(/\.\s|\n/)[0] ?? message;
  return first.charAt(0).toLowerCase() + first.slice(1);
}
