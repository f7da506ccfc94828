import { readFile, rename, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { SEVERITY_THRESHOLDS } from "../policies/evaluation/controls.ts";
import { authorManifest } from "../policies/evaluation/manifest-authoring.ts";
import { isTrustLevelAtLeast, TRUST_LEVELS } from "../policies/evaluation/predicate.ts";
import { InputError } from "../policies/errors.ts";
import type { TrustLevel } from "../policies/trust-level.ts";
import { evaluateRelease, type ReleaseEvaluation } from "../supply-chain/evaluate/release.ts";
import { releaseSarif } from "../supply-chain/evaluate/sarif.ts";
import {
  DEFAULT_DB_WARN_AGE,
  openVulnerabilitySource,
  parseAge,
  readIgnoreFile,
  vulnerabilityDbOf,
} from "../supply-chain/evaluate/sources.ts";
import {
  readImageForEvaluation,
  type EvaluatedImage,
  type Progress,
} from "../supply-chain/evaluate/image.ts";
import { parsePlatform } from "../supply-chain/image/pull.ts";
import { serverEnvFrom, type ServerEnv } from "../supply-chain/evaluate/server-env.ts";
import { inventoryBom } from "../supply-chain/sbom/cyclonedx.ts";
import { parseImageReference } from "../policies/workload/image-reference.ts";
import { CliError } from "./errors.ts";
import { oneOf, parseNow, parseOptions, registryAccess } from "./options.ts";
import { registryClient } from "./registry-access.ts";

export interface EvaluateIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const FORMATS = ["text", "json", "sarif"] as const;

/**
 * How many definitions were hashed, and how many of those hashes are the pins the manifest
 * declares: "hashed" alone means nothing held them to an approved definition.
 */
function pinCount(
  pins: readonly { name: string; sha256: string }[],
  declared: readonly { name: string; sha256?: string }[],
): string {
  const pinned = new Map(declared.map((d) => [d.name, d.sha256]));
  const matching = pins.filter((p) => pinned.get(p.name) === p.sha256).length;
  if (pins.length > 0 && matching === pins.length)
    return `${pins.length} matching the declared pins`;
  return `${pins.length} hashed, ${matching === 0 ? "none" : matching} matching the declared pins`;
}

/** Where the listed tools came from, as the report says it. */
function listedFrom(e: ReleaseEvaluation): string {
  return e.toolSource === "image"
    ? `the image's own server (${e.toolRuntime ?? "a container runtime"})`
    : "the running server";
}

function describe(e: ReleaseEvaluation, min: TrustLevel): string {
  const p = e.predicate;
  const lines = [
    `server       ${p.server.name} ${p.server.version} (${e.manifestFile}, ${p.server.manifestDigest})`,
    `verdict      ${p.verdict}`,
    `trust level  ${p.trustLevel}${isTrustLevelAtLeast(p.trustLevel, min) ? "" : ` (below the minimum ${min})`}`,
    ...(p.trustLevelCappedBy ?? []).map((r) => `  capped     ${r}`),
    `lockfiles    ${e.lockfiles.map((l) => `${l.file} (${l.packages.length} packages)`).join(", ") || "none"}`,
    ...(e.image
      ? [
          `image        ${e.image.reference} (${e.image.inventory.image}): ${e.image.inventory.packages.length} packages in ${e.image.inventory.stats.layers} layers`,
        ]
      : []),
    `tools        ${pinCount(p.tools, e.manifest.tools)}${e.exposedTools ? `, listed from ${listedFrom(e)}` : ", from the manifest only"}`,
    ...(p.prompts || p.resourceTemplates || p.instructions
      ? [
          `other pins   ${pinCount(
            [
              ...(p.prompts ?? []),
              ...(p.resourceTemplates ?? []),
              ...(p.instructions ? [{ name: "", ...p.instructions }] : []),
            ],
            [
              ...e.manifest.definitions.prompts,
              ...e.manifest.definitions.resourceTemplates,
              ...(e.manifest.definitions.instructions
                ? [{ name: "", ...e.manifest.definitions.instructions }]
                : []),
            ],
          )} (${p.prompts?.length ?? 0} prompts, ${p.resourceTemplates?.length ?? 0} resource templates, ${p.instructions ? "instructions" : "no instructions"})${e.exposedDefinitions ? "" : ", from the manifest only"}`,
        ]
      : []),
    "",
    "controls",
  ];
  for (const c of p.controls) {
    lines.push(
      `  ${c.status.padEnd(4)} ${c.id}  ${c.title ?? ""}${c.notes ? ` — ${c.notes}` : ""}`,
    );
    for (const f of c.findings)
      lines.push(
        `         ${f.severity ? `[${f.severity}] ` : ""}${f.message}${f.location ? ` (${f.location})` : ""}`,
      );
    for (const w of c.waived ?? [])
      lines.push(
        `         waived until ${w.expires} (${w.reason}): ${w.finding.message}${w.finding.location ? ` (${w.finding.location})` : ""}`,
      );
  }
  for (const n of e.notices) lines.push(`${n.level}: ${n.message}`);
  return `${lines.join("\n")}\n`;
}

/**
 * `mcp-warden evaluate`: the Action's evaluation of a release, run locally. Nothing is signed and
 * no CI provenance exists, so those controls are skipped and the level is capped accordingly.
 * Exit 0 when the verdict passes at the minimum level or above, 1 otherwise, 2 on bad input.
 */
export async function runEvaluate(args: string[], io: EvaluateIo): Promise<number> {
  const { values } = parseOptions({
    args,
    allowPositionals: false,
    strict: true,
    options: {
      manifest: { type: "string", default: "server.json" },
      lockfile: { type: "string", multiple: true, default: [] as string[] },
      "vulnerability-db": { type: "string", default: "osv" },
      "vulnerability-db-warn-age": { type: "string", default: DEFAULT_DB_WARN_AGE },
      "vulnerability-db-max-age": { type: "string" },
      "ignore-file": { type: "string" },
      "fail-on-severity": { type: "string", default: "high" },
      "min-trust-level": { type: "string", default: "L2" },
      "tool-timeout": { type: "string", default: "60" },
      format: { type: "string", default: "text" },
      now: { type: "string" },
      image: { type: "string" },
      platform: { type: "string" },
      "registry-config": { type: "string" },
      "insecure-registry": { type: "string", multiple: true, default: [] as string[] },
      "registry-timeout": { type: "string", default: "10000" },
      "write-manifest": { type: "boolean", default: false },
      sbom: { type: "string" },
      "server-env": { type: "string", multiple: true, default: [] as string[] },
      quiet: { type: "boolean", default: false },
    },
  });
  const failOnSeverity = oneOf("fail-on-severity", values["fail-on-severity"], SEVERITY_THRESHOLDS);
  const minTrustLevel = oneOf("min-trust-level", values["min-trust-level"], TRUST_LEVELS);
  const format = oneOf("format", values.format, FORMATS);
  const timeout = Number(values["tool-timeout"]);
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 3600)
    throw new CliError(
      "USAGE",
      `--tool-timeout ${values["tool-timeout"]} must be seconds (1 to 3600)`,
    );
  const db = vulnerabilityDbOf(values["vulnerability-db"]);
  if ("error" in db) throw new CliError("USAGE", `--vulnerability-db ${db.error}`);
  const warnAge = parseAge(values["vulnerability-db-warn-age"]);
  if (warnAge === undefined)
    throw new CliError(
      "USAGE",
      `--vulnerability-db-warn-age ${values["vulnerability-db-warn-age"]} is not an age (7d, 36h)`,
    );
  const maxAgeText = values["vulnerability-db-max-age"];
  const maxAge = maxAgeText === undefined ? undefined : parseAge(maxAgeText);
  if (maxAgeText !== undefined && maxAge === undefined)
    throw new CliError(
      "USAGE",
      `--vulnerability-db-max-age ${maxAgeText} is not an age (30d, 72h)`,
    );
  const now = parseNow(values.now);
  if (values.sbom !== undefined && values.image === undefined)
    throw new CliError("USAGE", "--sbom needs --image: the SBOM is the image's inventory");
  const serverEnv = serverEnvOf(values["server-env"]);
  // Progress is for a person watching: stderr, never stdout, and silenced by --quiet.
  const progress = values.quiet ? undefined : (m: string) => io.stderr(`${m}\n`);
  const cwd = process.cwd();
  const ignoreFile = values["ignore-file"];
  const ignores = ignoreFile ? await readIgnoreFile(resolve(cwd, ignoreFile), ignoreFile) : [];

  const image =
    values.image === undefined
      ? undefined
      : await readImage(values.image, values.platform, registryAccess(values), progress);

  const manifestPath = resolve(cwd, values.manifest);
  const release = {
    manifestPath,
    lockfiles:
      values.lockfile.length === 0 ? "detect" : values.lockfile.map((l) => resolve(cwd, l)),
    settings: { failOnSeverity, minTrustLevel, ignores },
    vulnerabilities: await openVulnerabilitySource(db, (p) => resolve(cwd, p)),
    ...(serverEnv.length > 0 ? { serverEnv } : {}),
    ...(progress ? { progress } : {}),
    signing: "none",
    toolTimeoutMs: Math.round(timeout * 1000),
    evaluator: { name: "mcp-warden", version: pkg.version },
    now,
    baseDir: cwd,
    databaseAge: {
      warnAfterMs: warnAge,
      ...(maxAge === undefined ? {} : { failAfterMs: maxAge }),
    },
    ...(image ? { image } : {}),
  } as const;
  let evaluation = await evaluateRelease(release, ignoreFile);
  const written: string[] = [];
  if (values["write-manifest"]) {
    const tools = evaluation.exposedTools;
    const definitions = evaluation.exposedDefinitions;
    if (tools === undefined || definitions === undefined)
      throw new InputError(
        "INPUT_INVALID",
        `--write-manifest: ${evaluation.manifestFile} was not written: ${
          evaluation.predicate.controls.find((c) => c.id === "CD-01")?.notes ??
          "the server was not listed"
        }`,
      );
    const before = await readFile(manifestPath, "utf8");
    const authored = authorManifest(before, { tools, definitions });
    if (authored.text !== before) {
      // Written beside and renamed over: an interrupted run never leaves half a manifest.
      const temp = `${manifestPath}.${process.pid}.tmp`;
      await writeFile(temp, authored.text);
      await rename(temp, manifestPath);
      // The evaluation is of the manifest as written, against the same listing.
      evaluation = await evaluateRelease(
        {
          ...release,
          listing: { tools, definitions },
          // The listing keeps the evidence of the run that made it.
          ...(evaluation.toolSource === "image" ? { listingFrom: "image" as const } : {}),
        },
        ignoreFile,
      );
    }
    written.push(
      authored.changes.length === 0
        ? `${evaluation.manifestFile} already declares what the server exposes; nothing written`
        : `wrote ${evaluation.manifestFile} (review the changes and commit them):`,
      ...authored.changes.map((c) => `  ${c}`),
    );
  }
  if (values.sbom !== undefined && image !== undefined) {
    const bom = inventoryBom(image.inventory, {
      repository: repositoryOf(image.reference),
      platform: image.platform,
      tool: { name: "mcp-warden", version: pkg.version },
      now,
    });
    await writeFile(resolve(cwd, values.sbom), `${JSON.stringify(bom, null, 2)}\n`);
    progress?.(
      `wrote the SBOM (CycloneDX ${bom.specVersion}, ${bom.components.length} components) to ${values.sbom}`,
    );
  }
  const p = evaluation.predicate;
  // The text report lists the notices; beside JSON or SARIF they go to stderr.
  if (format !== "text")
    for (const n of evaluation.notices) io.stderr(`${n.level}: ${n.message}\n`);
  if (format === "json") io.stdout(`${JSON.stringify(p, null, 2)}\n`);
  else if (format === "sarif")
    io.stdout(
      `${JSON.stringify(releaseSarif(evaluation, { threshold: failOnSeverity, version: pkg.version }), null, 2)}\n`,
    );
  else io.stdout(describe(evaluation, minTrustLevel));
  // Machine formats keep stdout for the document.
  if (written.length > 0) (format === "text" ? io.stdout : io.stderr)(`${written.join("\n")}\n`);
  return p.verdict === "pass" && isTrustLevelAtLeast(p.trustLevel, minTrustLevel) ? 0 : 1;
}

/** The image through a client with the registry options' credentials (supply-chain/evaluate/image.ts). */
async function readImage(
  reference: string,
  platform: string | undefined,
  access: ReturnType<typeof registryAccess>,
  progress: Progress | undefined,
): Promise<EvaluatedImage> {
  const client = await registryClient(access);
  return readImageForEvaluation(client, reference, {
    ...(platform === undefined ? {} : { platform: parsePlatform(platform) }),
    ...(progress ? { progress } : {}),
  });
}

/** `--server-env NAME`: names only, as an environment variable is named; values read here. */
function serverEnvOf(names: readonly string[]): ServerEnv {
  const { serverEnv, invalid } = serverEnvFrom(names, process.env);
  if (invalid.length > 0)
    throw new CliError(
      "USAGE",
      `--server-env takes variable names (SSL_CERT_FILE), not ${invalid.map((b) => JSON.stringify(b)).join(", ")}`,
    );
  return serverEnv;
}

/** The repository part of an image reference, as an attestation subject names it. */
function repositoryOf(reference: string): string {
  const parsed = parseImageReference(reference);
  return parsed.ok ? parsed.value.name : reference;
}
