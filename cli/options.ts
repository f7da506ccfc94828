import { homedir } from "node:os";
import { join } from "node:path";
import { CliError } from "./errors.ts";
import type { RegistryAccess } from "./registry-access.ts";
import type { TrustedRootSource } from "./registry-config.ts";

/** The value of an enum flag (`--format text|json`); a usage error names the flag and the allowed values. */
export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined)
    throw new CliError("USAGE", `--${flag} ${value} is not one of ${allowed.join(", ")}`);
  return found;
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
