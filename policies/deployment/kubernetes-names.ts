import { createHash } from "node:crypto";

/** Names in the generated objects: DNS-1123 labels, label values and environment variables. */

const MAX_LABEL = 63;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Whether `name` is a DNS-1123 label, as namespaces must be. */
export function isDnsLabel(name: string): boolean {
  return DNS_LABEL.test(name) && name.length <= MAX_LABEL;
}

function sha256Prefix(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

/**
 * `raw` as a DNS-1123 label: lowercase, runs of other characters as one `-`, at most 63
 * characters. A longer name keeps its start and gets a hash of the whole, so names stay distinct.
 */
export function dnsLabel(raw: string, fallback: string): string {
  const s = raw
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (s === "") return fallback;
  if (s.length <= MAX_LABEL) return s;
  return `${s.slice(0, MAX_LABEL - 9).replace(/-+$/, "")}-${sha256Prefix(raw)}`;
}

/** The Deployment's name: the last segment of the server name (`io.github.acme/weather` → `weather`). */
export function deploymentName(serverName: string): string {
  const last =
    serverName
      .split("/")
      .filter((s) => s.trim() !== "")
      .pop() ?? "";
  return dnsLabel(last, "mcp-server");
}

/** `raw` as a label value (`1.2.3+build.5` → `1.2.3-build.5`); empty when nothing is left. */
export function labelValue(raw: string): string {
  return raw
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, MAX_LABEL)
    .replace(/[^A-Za-z0-9]+$/, "");
}

/** A credential's name as an environment variable (`github.token` → `github_token`). */
export function envName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** A DNS-1123 volume name from `base` that is not in `used` yet; it is added to `used`. */
export function uniqueName(base: string, used: Set<string>): string {
  let name = dnsLabel(base, "volume");
  for (let i = 2; used.has(name); i++) name = dnsLabel(`${base}-${i}`, "volume");
  used.add(name);
  return name;
}
