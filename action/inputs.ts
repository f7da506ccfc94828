import { errorMessage, type FieldProblem } from "../policies/errors.ts";
import { SEVERITY_THRESHOLDS, type SeverityThreshold } from "../policies/evaluation/controls.ts";
import { TRUST_LEVELS } from "../policies/evaluation/predicate.ts";
import type { TrustLevel } from "../policies/trust-level.ts";
import { secureServiceUrl } from "../supply-chain/service-url.ts";
import {
  DEFAULT_DB_WARN_AGE,
  parseAge,
  vulnerabilityDbOf,
  type DatabaseAgeLimits,
  type VulnerabilityDb,
} from "../supply-chain/evaluate/sources.ts";
import { ENV_NAME } from "../supply-chain/evaluate/server-env.ts";
import { DEFAULT_PLATFORM, parsePlatform, type PlatformSpec } from "../supply-chain/image/pull.ts";
import { ActionError } from "./errors.ts";

/** Every input `action.yml` declares; a test keeps the two in step. */
export const INPUT_NAMES = [
  "image",
  "manifest",
  "lockfiles",
  "fail-on-severity",
  "ignore-file",
  "vulnerability-db",
  "vulnerability-db-warn-age",
  "vulnerability-db-max-age",
  "signing",
  "key",
  "key-password",
  "tlog-upload",
  "min-trust-level",
  "registry-username",
  "registry-password",
  "github-token",
  "insecure-registries",
  "kubernetes-manifests",
  "kubernetes-namespace",
  "gateway-image",
  "write-manifest",
  "tool-timeout",
  "fulcio-url",
  "rekor-url",
  "tsa-url",
  "rekor-entry-type",
  "platform",
  "server-env",
] as const;
export type InputName = (typeof INPUT_NAMES)[number];

export type RekorEntryType = "dsse" | "intoto";

export type Signing =
  | {
      mode: "keyless";
      fulcioUrl: string;
      rekorUrl: string;
      rekorEntryType: RekorEntryType;
      tsaUrl?: string;
    }
  | {
      mode: "key";
      key: string;
      password?: string;
      rekorUrl?: string;
      rekorEntryType: RekorEntryType;
      tsaUrl?: string;
    }
  | { mode: "none" };

/** The Action's inputs, parsed and checked: what `run` works from. */
export interface ActionInputs {
  image: string;
  manifest: string;
  /** Paths, or `detect` to find them next to the manifest. */
  lockfiles: string[] | "detect";
  failOnSeverity: SeverityThreshold;
  ignoreFile?: string;
  vulnerabilityDb: VulnerabilityDb;
  /** How old an offline database may be. */
  databaseAge: DatabaseAgeLimits;
  signing: Signing;
  minTrustLevel: TrustLevel;
  registry: { username?: string; password?: string; githubToken?: string; insecure: string[] };
  kubernetesManifests?: string;
  /** The namespace of the generated objects; absent: none (the one they are applied to). */
  kubernetesNamespace?: string;
  /** The signed mcp-warden image, pinned: the generated server goes behind its gateway. */
  gatewayImage?: string;
  /** Write the manifest with what the server exposes, as a file of the run's output (`manifest`). */
  writeManifest: boolean;
  toolTimeoutMs: number;
  /** The image's platform read for the inventory, when `image` names an index. */
  platform: PlatformSpec;
  /** Names of this process's environment variables passed to the server under evaluation. */
  serverEnv: string[];
}

function list(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function oneOf<T extends string>(
  name: InputName,
  value: string,
  allowed: readonly T[],
  problems: FieldProblem[],
): T {
  const found = allowed.find((a) => a === value.trim());
  if (found === undefined)
    problems.push({
      path: name,
      message: `must be one of ${allowed.join(", ")}, not ${JSON.stringify(value)}`,
    });
  return found ?? allowed[0]!;
}

function httpsUrl(name: InputName, value: string, problems: FieldProblem[]): string {
  const url = secureServiceUrl(value);
  if (url !== undefined) return url;
  problems.push({
    path: name,
    message: `must be an https:// URL (http only on loopback), not ${JSON.stringify(value)}`,
  });
  return value;
}

function optional(value: string): string | undefined {
  const v = value.trim();
  return v === "" ? undefined : v;
}

/**
 * Reads the inputs through `get` (the runner's `INPUT_*` variables via `@actions/core`) into one
 * typed object. Every bad input is reported at once.
 * @throws ActionError USAGE listing each bad input by name
 */
export function readInputs(get: (name: InputName) => string): ActionInputs {
  const problems: FieldProblem[] = [];
  const image = get("image").trim();
  if (image === "") problems.push({ path: "image", message: "is required" });

  const db = vulnerabilityDbOf(get("vulnerability-db"));
  if ("error" in db) problems.push({ path: "vulnerability-db", message: db.error });
  const vulnerabilityDb: VulnerabilityDb = "error" in db ? { kind: "api", url: "" } : db;

  const mode = oneOf("signing", get("signing") || "keyless", ["keyless", "key", "none"], problems);
  const tsaUrl = optional(get("tsa-url"));
  const rekorEntryType = oneOf(
    "rekor-entry-type",
    get("rekor-entry-type") || "dsse",
    ["dsse", "intoto"],
    problems,
  );
  const rekorUrl = httpsUrl(
    "rekor-url",
    get("rekor-url") || "https://rekor.sigstore.dev",
    problems,
  );
  let signing: Signing;
  if (mode === "keyless") {
    signing = {
      mode,
      fulcioUrl: httpsUrl(
        "fulcio-url",
        get("fulcio-url") || "https://fulcio.sigstore.dev",
        problems,
      ),
      rekorUrl,
      rekorEntryType,
      ...(tsaUrl ? { tsaUrl: httpsUrl("tsa-url", tsaUrl, problems) } : {}),
    };
  } else if (mode === "key") {
    const key = get("key");
    if (key.trim() === "") problems.push({ path: "key", message: "is required with signing: key" });
    const tlog = oneOf("tlog-upload", get("tlog-upload") || "false", ["false", "true"], problems);
    const password = get("key-password");
    signing = {
      mode,
      key,
      rekorEntryType,
      ...(password === "" ? {} : { password }),
      ...(tlog === "true" ? { rekorUrl } : {}),
      ...(tlog === "true" && tsaUrl ? { tsaUrl: httpsUrl("tsa-url", tsaUrl, problems) } : {}),
    };
  } else {
    signing = { mode };
  }

  const timeout = Number(get("tool-timeout") || "60");
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 3600)
    problems.push({
      path: "tool-timeout",
      message: "must be a number of seconds between 1 and 3600",
    });

  const warnAge = parseAge(get("vulnerability-db-warn-age") || DEFAULT_DB_WARN_AGE);
  if (warnAge === undefined)
    problems.push({
      path: "vulnerability-db-warn-age",
      message: "must be an age such as 7d or 36h",
    });
  const maxAgeText = optional(get("vulnerability-db-max-age"));
  const maxAge = maxAgeText === undefined ? undefined : parseAge(maxAgeText);
  if (maxAgeText !== undefined && maxAge === undefined)
    problems.push({
      path: "vulnerability-db-max-age",
      message: "must be an age such as 30d or 72h",
    });

  let platform = DEFAULT_PLATFORM;
  try {
    platform = parsePlatform(get("platform").trim() || "linux/amd64");
  } catch (e) {
    problems.push({ path: "platform", message: errorMessage(e) });
  }
  const serverEnv = list(get("server-env"));
  const badNames = serverEnv.filter((n) => !ENV_NAME.test(n));
  if (badNames.length > 0)
    problems.push({
      path: "server-env",
      message: `takes environment variable names (SSL_CERT_FILE), not ${badNames.map((n) => JSON.stringify(n)).join(", ")}`,
    });
  // The Action's own inputs (the key, passwords) and the runner's tokens never reach the server.
  const runnerOwn = serverEnv.filter((n) => /^(INPUT|ACTIONS)_/i.test(n));
  if (runnerOwn.length > 0)
    problems.push({
      path: "server-env",
      message: `${runnerOwn.join(", ")}: the Action's inputs (INPUT_*) and the runner's tokens (ACTIONS_*) are not passed to the server`,
    });

  const lockfiles = get("lockfiles").trim() || "detect";
  const inputs: ActionInputs = {
    image,
    manifest: get("manifest").trim() || "server.json",
    lockfiles: lockfiles === "detect" ? "detect" : list(lockfiles),
    failOnSeverity: oneOf(
      "fail-on-severity",
      get("fail-on-severity") || "high",
      SEVERITY_THRESHOLDS,
      problems,
    ),
    vulnerabilityDb,
    databaseAge: {
      warnAfterMs: warnAge ?? 0,
      ...(maxAge === undefined ? {} : { failAfterMs: maxAge }),
    },
    signing,
    minTrustLevel: oneOf("min-trust-level", get("min-trust-level") || "L2", TRUST_LEVELS, problems),
    registry: {
      insecure: list(get("insecure-registries")),
      ...(optional(get("registry-username")) ? { username: get("registry-username").trim() } : {}),
      ...(get("registry-password") !== "" ? { password: get("registry-password") } : {}),
      ...(get("github-token") !== "" ? { githubToken: get("github-token") } : {}),
    },
    writeManifest:
      oneOf("write-manifest", get("write-manifest") || "false", ["false", "true"], problems) ===
      "true",
    toolTimeoutMs: Math.round(timeout * 1000),
    platform,
    serverEnv,
  };
  const ignoreFile = optional(get("ignore-file"));
  if (ignoreFile !== undefined) inputs.ignoreFile = ignoreFile;
  const k8s = optional(get("kubernetes-manifests"));
  if (k8s !== undefined) inputs.kubernetesManifests = k8s;
  const k8sNamespace = optional(get("kubernetes-namespace"));
  if (k8sNamespace !== undefined) inputs.kubernetesNamespace = k8sNamespace;
  const gatewayImage = optional(get("gateway-image"));
  if (gatewayImage !== undefined) {
    inputs.gatewayImage = gatewayImage;
    if (k8s === undefined)
      problems.push({ path: "gateway-image", message: "needs kubernetes-manifests" });
    if (k8sNamespace === undefined)
      problems.push({
        path: "gateway-image",
        message: "needs kubernetes-namespace: the gateway's binding and grant name it",
      });
  }

  if (problems.length > 0)
    throw new ActionError("USAGE", "invalid action inputs", {
      problems: problems.map((p) => ({ path: `input ${p.path}`, message: p.message })),
    });
  return inputs;
}
