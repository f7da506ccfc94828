import { WardenError } from "../policies/errors.ts";
import type { RegistryAccess } from "./registry-access.ts";

/** `--now`, or the current time. */
export function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const now = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}(T|$)/.test(value) || Number.isNaN(now.getTime())) {
    throw new WardenError("USAGE", `--now ${value} is not an ISO 8601 time (2026-01-31T00:00:00Z)`);
  }
  return now;
}

export function registryAccess(values: {
  "registry-config"?: string | undefined;
  "insecure-registry": string[];
  "registry-timeout": string;
  "trusted-root"?: string | undefined;
}): RegistryAccess {
  const timeoutMs = Number(values["registry-timeout"]);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new WardenError(
      "USAGE",
      `--registry-timeout ${values["registry-timeout"]} must be milliseconds`,
    );
  }
  return {
    registryConfig: values["registry-config"],
    trustedRoot: values["trusted-root"],
    insecureRegistries: values["insecure-registry"],
    timeoutMs,
  };
}
