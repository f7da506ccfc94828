import { readdir, readFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { InputError } from "../../policies/errors.ts";
import {
  evaluateControls,
  trustOf,
  verdictOf,
  type Observations,
} from "../../policies/evaluation/controls.ts";
import {
  decideServer,
  listedToolsAt,
  manifestToolsAt,
} from "../../policies/evaluation/description-safety.ts";
import { checkToxicFlows } from "../../policies/evaluation/toxic-flows.ts";
import { findingSubject } from "../../policies/evaluation/finding-subject.ts";
import {
  applyControlWaivers,
  applyIgnores,
  describeEntry,
  type ControlWaiverOutcome,
  type IgnoreOutcome,
} from "../../policies/evaluation/ignores.ts";
import {
  isTrustLevelAtLeast,
  type ControlFinding,
  type EvaluationPredicate,
  type SourceInfo,
  type VulnerabilityFinding,
} from "../../policies/evaluation/predicate.ts";
import {
  compareDefinitions,
  manifestDefinitionsAt,
  pinInstructions,
  pinPrompt,
  pinResourceTemplate,
  type ServerDefinitions,
} from "../../policies/evaluation/server-definitions.ts";
import {
  INSTRUCTIONS_KEY,
  parseServerManifest,
  TOOLS_KEY,
  PROMPTS_KEY,
  RESOURCE_TEMPLATES_KEY,
  type ServerManifest,
  type StdioCommand,
} from "../../policies/evaluation/server-manifest.ts";
import { settingsDigest, type EvaluationSettings } from "../../policies/evaluation/settings.ts";
import { checkDeclaredPins, compareTools } from "../../policies/evaluation/tool-declaration.ts";
import { pinTool, pinTools, type ToolDefinition } from "../../policies/evaluation/tool-pins.ts";
import { lockfileAgreement, manifestAgreement } from "./image-agreement.ts";
import { osvEcosystemOf, scannablePackages, type ImageInventory } from "../image/inventory.ts";
import type { ServerListing } from "../../policies/evaluation/manifest-authoring.ts";
import type { ImageRuntimeName } from "../mcp/image-runtime.ts";
import type { ImageSource } from "../mcp/image-tools.ts";
import { withServerEnv, type ServerEnv } from "./server-env.ts";
import { LOCKFILE_NAMES, parseGoModule, parseLockfile } from "../scan/lockfiles/index.ts";
import type { Lockfile, VulnerabilitySource } from "../scan/types.ts";
import {
  checkDatabaseAge,
  DEFAULT_DB_WARN_AGE,
  describeSource,
  parseAge,
  type DatabaseAgeLimits,
} from "./sources.ts";
import { listReleaseTools, type ToolSource } from "./tool-listing.ts";

export type { ToolSource } from "./tool-listing.ts";

/**
 * Evaluates one MCP server release: reads its manifest, lists its tools from the running server,
 * scans its lockfiles, and judges the controls. Shared by the Action and `mcp-warden evaluate`;
 * signing and attaching happen afterwards, at the edge.
 */

export interface ReleaseInputs {
  /** Path of `server.json`. */
  manifestPath: string;
  /** Lockfile paths, or `detect` (next to the manifest). */
  lockfiles: readonly string[] | "detect";
  settings: EvaluationSettings;
  vulnerabilities: VulnerabilitySource;
  /** How the image will be signed: the evaluation records it (AI-03, PR-03). */
  signing: "keyless" | "key" | "none";
  source?: SourceInfo;
  toolTimeoutMs: number;
  evaluator: { name: string; version: string };
  now: Date;
  /** Paths in reports are relative to this directory (the workspace). */
  baseDir: string;
  /**
   * The image's inventory (`evaluate --image`), scanned as control SC-04; with `pulled`, its tools
   * are listed by running the image itself.
   */
  image?: { reference: string; inventory: ImageInventory; pulled?: ImageSource };
  /**
   * What the server exposed in an earlier run of this evaluation (`--write-manifest` evaluates the
   * manifest it wrote against the listing it wrote it from); the server is not started again.
   */
  listing?: ServerListing;
  /** Where the earlier run listed the server (`listing`): by running the image, or the package (default). */
  listingFrom?: "image" | "package";
  signal?: AbortSignal;
  /** How old an offline database may be (default: warn after 7 days, never fail). */
  databaseAge?: DatabaseAgeLimits;
  /**
   * Variables of this process's environment passed to the server (`--server-env`), each with its
   * value here or `undefined` when unset. Notices name them; values are never recorded.
   */
  serverEnv?: ServerEnv;
  /** Says what each long step is doing (scanning, starting the server, listing). */
  progress?: (message: string) => void;
}

/** Something a reader should see next to the verdict: an expired ignore, a server that would not start. */
export interface Notice {
  level: "warning" | "error";
  message: string;
  file?: string;
  line?: number;
}

export interface ReleaseEvaluation {
  predicate: EvaluationPredicate;
  manifest: ServerManifest;
  /** The manifest path as reports name it. */
  manifestFile: string;
  lockfiles: Lockfile[];
  /** Each vulnerability with the lockfile entry that brought it in. */
  vulnerabilities: { vulnerability: VulnerabilityFinding; file: string; line?: number }[];
  /** The image read for SC-04, when one was given. */
  image?: { reference: string; inventory: ImageInventory };
  /** Tools as the server listed them; `undefined` when it was not listed. */
  exposedTools?: ToolDefinition[];
  /** Instructions, prompts and resource templates as the server listed them; `undefined` when it was not listed. */
  exposedDefinitions?: ServerDefinitions;
  /**
   * Where the exposed tools were listed from: the image's own entrypoint, the package the manifest
   * names (no image, or the image could not be run: a notice says why), or an earlier run's listing.
   * `undefined` when nothing was listed.
   */
  toolSource?: ToolSource;
  /** The runtime that ran the image, when `toolSource` is `image`. */
  toolRuntime?: ImageRuntimeName;
  notices: Notice[];
}

/** Where a finding is, in a file of the release: a path and, when known, a line. */
export interface FindingPosition {
  file: string;
  line?: number;
}

/**
 * Reads a finding's location — `file:12`, `file#field.path` (a manifest field, found by its source
 * range) or `file` — into a position. Findings on what the running server listed (`tools/list…`)
 * have no file to point at.
 */
export function findingPosition(
  location: string | undefined,
  evaluation: Pick<ReleaseEvaluation, "manifest" | "manifestFile">,
): FindingPosition | undefined {
  if (location === undefined || location.startsWith("tools/list")) return undefined;
  const hash = location.indexOf("#");
  if (hash >= 0) {
    const file = location.slice(0, hash);
    const line =
      file === evaluation.manifestFile
        ? evaluation.manifest.locate(location.slice(hash + 1))?.line
        : undefined;
    return file === "" ? undefined : { file, ...(line === undefined ? {} : { line }) };
  }
  const m = /^(.*?):(\d+)$/.exec(location);
  return m ? { file: m[1] ?? location, line: Number(m[2]) } : { file: location };
}

function readError(path: string, what: string, e: unknown): InputError {
  const reason =
    (e as NodeJS.ErrnoException).code === "ENOENT"
      ? "no such file"
      : e instanceof Error
        ? e.message
        : String(e);
  return new InputError("INPUT_INVALID", `${what} ${path}: ${reason}`, { cause: e });
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw readError(path, what, e);
  }
}

/** Lockfiles next to the manifest, by their well-known names (`requirements*.txt` included). */
async function detectLockfiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((e: unknown) => {
    throw readError(dir, "directory", e);
  });
  return names
    .filter((n) => LOCKFILE_NAMES.includes(n) || /^requirements[\w.-]*\.txt$/.test(n))
    .sort()
    .map((n) => join(dir, n));
}

async function readLockfiles(paths: readonly string[], baseDir: string): Promise<Lockfile[]> {
  const lockfiles: Lockfile[] = [];
  const goSums = new Set(paths.filter((p) => basename(p) === "go.sum"));
  for (const path of paths) {
    const shown = relative(baseDir, path) || path;
    const text = await readText(path, "lockfile");
    if (basename(path) === "go.mod") {
      const sumPath = join(dirname(path), "go.sum");
      const sum = await readFile(sumPath, "utf8").catch(() => undefined);
      goSums.delete(sumPath);
      lockfiles.push(parseGoModule(shown, text, sum));
    } else if (basename(path) !== "go.sum") {
      lockfiles.push(parseLockfile(shown, text));
    }
  }
  // A go.sum without its go.mod is read on its own.
  for (const path of goSums) {
    lockfiles.push(
      parseLockfile(relative(baseDir, path) || path, await readText(path, "lockfile")),
    );
  }
  return lockfiles;
}

async function observeTools(
  manifest: ServerManifest,
  manifestFile: string,
  inputs: ReleaseInputs,
  notices: Notice[],
  refuse: string | undefined,
): Promise<{
  exposed?: ToolDefinition[];
  definitions?: ServerDefinitions;
  declaration: Observations["toolDeclaration"];
  safety: Observations["descriptionSafety"];
  flows: NonNullable<Observations["toolFlows"]>;
  definitionPins: Observations["definitionPins"];
  source?: ToolSource;
  runtime?: ImageRuntimeName;
}> {
  let exposed: ToolDefinition[] | undefined;
  let definitions: ServerDefinitions | undefined;
  let skipped: string | undefined;
  let source: ToolSource | undefined;
  let runtime: ImageRuntimeName | undefined;
  const passEnv = (stdio: StdioCommand): StdioCommand => {
    const passed = withServerEnv(stdio, inputs.serverEnv ?? []);
    for (const message of passed.notices)
      notices.push({ level: "warning", message, file: manifestFile });
    return passed.stdio;
  };
  if (inputs.listing !== undefined) {
    // Listed earlier in this run, with the same environment: its notices still apply.
    if (manifest.stdio) passEnv(manifest.stdio);
    exposed = [...inputs.listing.tools];
    definitions = inputs.listing.definitions;
    source = "earlier-run";
  } else if (refuse !== undefined) {
    skipped = `the server was ${refuse}`;
    notices.push({ level: "error", message: skipped, file: manifestFile });
  } else {
    const withEnv = manifest.stdio ? { ...manifest, stdio: passEnv(manifest.stdio) } : manifest;
    if (withEnv.stdio || inputs.image?.pulled)
      inputs.progress?.(
        `starting the server and listing what it exposes: ${inputs.image?.pulled ? `the image's entrypoint, else ${withEnv.stdio?.command ?? "nothing"}` : (withEnv.stdio?.command ?? "")}`,
      );
    const listed = await listReleaseTools(
      withEnv,
      manifestFile,
      {
        ...(inputs.image?.pulled ? { image: inputs.image.pulled } : {}),
        timeoutMs: inputs.toolTimeoutMs,
        ...(inputs.signal ? { signal: inputs.signal } : {}),
      },
      notices,
    );
    if ("skipped" in listed) skipped = listed.skipped;
    else {
      exposed = listed.listing.tools;
      definitions = listed.listing.definitions;
      source = listed.listing.source;
      runtime = listed.listing.runtime;
      inputs.progress?.(
        `listed ${exposed.length} tool(s), ${definitions.prompts.length} prompt(s), ${definitions.resourceTemplates.length} resource template(s) from the ${source === "image" ? "image" : "package"}`,
      );
    }
  }
  const declaredAt = manifestToolsAt(manifestFile);
  let declaration: Observations["toolDeclaration"];
  if (exposed !== undefined) {
    declaration = { findings: compareTools(manifest.tools, exposed, { declared: declaredAt }) };
  } else {
    // Without the running server, a declared pin can still betray an edited definition.
    const edited = checkDeclaredPins(manifest.tools, declaredAt);
    declaration =
      edited.length > 0
        ? { findings: edited }
        : { skipped: skipped ?? "the server was not listed" };
  }
  const decisions = [
    decideServer({ tools: manifest.tools }, declaredAt),
    // Listed: everything a model reads of the server, its prompts, templates and instructions too.
    ...(exposed === undefined
      ? []
      : [decideServer({ tools: exposed, ...(definitions ?? {}) }, listedToolsAt())]),
  ];
  const outweighed = dedupe(decisions.flatMap((d) => d.outweighed));
  const safety: Observations["descriptionSafety"] =
    manifest.tools.length === 0 && (exposed === undefined || exposed.length === 0)
      ? { skipped: "no tool is declared or listed" }
      : {
          findings: dedupe(decisions.flatMap((d) => d.findings)),
          ...(outweighed.length === 0 ? {} : { notes: outweighedNote(outweighed) }),
        };
  // The tools a model will have together: what the server lists, else what it declares.
  const together = exposed ?? manifest.tools;
  const flows: NonNullable<Observations["toolFlows"]> =
    together.length === 0
      ? { skipped: "no tool is declared or listed" }
      : {
          findings: checkToxicFlows(
            together,
            exposed === undefined ? `${manifestFile}#_meta["dev.mcp-warden/tools"]` : "tools/list",
          ),
        };
  const definitionFindings = compareDefinitions(
    manifest.definitions,
    definitions,
    manifestDefinitionsAt(manifestFile, {
      prompts: PROMPTS_KEY,
      resourceTemplates: RESOURCE_TEMPLATES_KEY,
      instructions: INSTRUCTIONS_KEY,
    }),
  );
  const definitionPins: Observations["definitionPins"] =
    definitions === undefined && definitionFindings.length === 0
      ? { skipped: skipped ?? "the server was not listed" }
      : { findings: definitionFindings };
  return {
    ...(exposed ? { exposed } : {}),
    ...(definitions ? { definitions } : {}),
    ...(exposed && source ? { source } : {}),
    declaration,
    safety,
    flows,
    definitionPins,
    ...(source ? { source } : {}),
    ...(runtime ? { runtime } : {}),
  };
}

const NOTED = 5;

/** The rule findings the definition model outweighed, said so a reviewer can look at them. */
function outweighedNote(outweighed: ControlFinding[]): string {
  const shown = outweighed
    .slice(0, NOTED)
    .map((f) => `${f.location ?? "?"}: ${f.message}`)
    .join("; ");
  const more = outweighed.length > NOTED ? `; and ${outweighed.length - NOTED} more` : "";
  return `${outweighed.length} rule finding(s) outweighed by the definition model, which reads the whole definition and each stretch of it as benign: ${shown}${more}`;
}

/** The same message for a declared and a listed tool is one finding. */
function dedupe(findings: ControlFinding[]): ControlFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = f.message;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function expiredNotices(outcome: IgnoreOutcome, ignoreFile: string | undefined): Notice[] {
  return [
    ...outcome.expired.map(({ entry, finding }) => ({
      level: "warning" as const,
      message: `ignore entry ${describeEntry(entry)} expired on ${entry.expires}: ${finding.id} in ${finding.package.name}@${finding.version} is no longer ignored`,
      ...(ignoreFile ? { file: ignoreFile } : {}),
    })),
    ...outcome.unused.map((entry) => ({
      level: "warning" as const,
      message: `ignore entry ${describeEntry(entry)} matches no vulnerability found; remove it`,
      ...(ignoreFile ? { file: ignoreFile } : {}),
    })),
  ];
}

function waiverNotices(outcome: ControlWaiverOutcome, ignoreFile: string | undefined): Notice[] {
  const skipped = new Set(outcome.controls.filter((c) => c.status === "skip").map((c) => c.id));
  return [
    ...outcome.expired.map(({ entry, control, finding }) => ({
      level: "warning" as const,
      message: `ignore entry ${describeEntry(entry)} expired on ${entry.expires}: the ${control} finding "${finding.message}"${finding.location ? ` (${finding.location})` : ""} is no longer waived`,
      ...(ignoreFile ? { file: ignoreFile } : {}),
    })),
    ...outcome.changed.map(({ entry, control, finding, sha256 }) => ({
      level: "warning" as const,
      message: `ignore entry ${describeEntry(entry)} was written for another definition of ${entry.tool ?? "the tool"} (${sha256 === undefined ? "its pin is not known here" : `it now hashes to ${sha256}`}): the ${control} finding "${finding.message}"${finding.location ? ` (${finding.location})` : ""} is judged again; review the new definition and update sha256`,
      ...(ignoreFile ? { file: ignoreFile } : {}),
    })),
    // A control that could not be checked found nothing to match: that says nothing of the entry.
    ...outcome.unused
      .filter((entry) => !skipped.has(entry.control))
      .map((entry) => ({
        level: "warning" as const,
        message: `ignore entry ${describeEntry(entry)} matches no finding of ${entry.control}; remove it`,
        ...(ignoreFile ? { file: ignoreFile } : {}),
      })),
  ];
}

/**
 * Evaluates the release. Bad input (manifest, lockfiles) throws WardenError naming the file; a
 * vulnerability source that fails throws (no scan, no verdict); a server that cannot be started
 * is a notice and a skipped control.
 */
export async function evaluateRelease(
  inputs: ReleaseInputs,
  ignoreFile?: string,
): Promise<ReleaseEvaluation> {
  const notices: Notice[] = [];
  // An offline database too old to trust fails before anything is judged against it.
  const stale = checkDatabaseAge(
    inputs.vulnerabilities,
    inputs.now,
    inputs.databaseAge ?? { warnAfterMs: parseAge(DEFAULT_DB_WARN_AGE) ?? 0 },
  );
  if (stale !== undefined) notices.push({ level: "warning", message: stale });
  const manifestFile = relative(inputs.baseDir, inputs.manifestPath) || inputs.manifestPath;
  const manifestText = await readText(inputs.manifestPath, "manifest");
  const manifest = parseServerManifest(manifestText, manifestFile);

  const lockfilePaths =
    inputs.lockfiles === "detect"
      ? await detectLockfiles(dirname(inputs.manifestPath))
      : [...inputs.lockfiles];
  const lockfiles = await readLockfiles(lockfilePaths, inputs.baseDir);

  const packages = lockfiles.flatMap((l) => l.packages);
  const call = inputs.signal ? { signal: inputs.signal } : {};
  if (packages.length > 0)
    inputs.progress?.(
      `scanning ${packages.length} package(s) of ${lockfiles.length} lockfile(s) (${inputs.vulnerabilities.description})`,
    );
  const lockMatches = unique(
    packages.length > 0 ? await inputs.vulnerabilities.matches(packages, call) : [],
  );
  const imagePackages = inputs.image
    ? scannablePackages(inputs.image.inventory.packages, inputs.image.inventory.os)
    : [];
  if (imagePackages.length > 0)
    inputs.progress?.(
      `scanning ${imagePackages.length} package(s) of the image (${inputs.vulnerabilities.description})`,
    );
  const imageMatches = unique(
    imagePackages.length > 0 ? await inputs.vulnerabilities.matches(imagePackages, call) : [],
  );
  // Lockfile matches first, then the image's: ignores are applied once over both.
  const matches = [...lockMatches, ...imageMatches];

  // The dependencies are judged before the server is started: code that OSV lists as malicious
  // (`MAL-` advisories) is never run here, whatever an ignore file says.
  const malicious = matches.filter(
    (m) => m.finding.id.startsWith("MAL-") || m.finding.aliases.some((a) => a.startsWith("MAL-")),
  );
  const tools = await observeTools(
    manifest,
    manifestFile,
    inputs,
    notices,
    malicious.length === 0
      ? undefined
      : `not started: the lockfiles hold packages known to be malicious (${malicious
          .map((m) => `${m.finding.package.name}@${m.finding.version} ${m.finding.id}`)
          .join(", ")})`,
  );

  const outcome = applyIgnores(
    matches.map((m) => m.finding),
    inputs.settings.ignores,
    inputs.now,
  );
  notices.push(...expiredNotices(outcome, ignoreFile));
  const located = outcome.findings.map((vulnerability, i) => {
    const pkg = matches[i]!.package;
    return { vulnerability, file: pkg.file, ...(pkg.line === undefined ? {} : { line: pkg.line }) };
  });
  const vulnerabilities = located.slice(0, lockMatches.length);
  const imageVulnerabilities = located.slice(lockMatches.length);

  const uncovered = [...new Set(packages.map((p) => p.ecosystem))].filter(
    (e) =>
      inputs.vulnerabilities.ecosystems !== undefined && !inputs.vulnerabilities.ecosystems.has(e),
  );
  const noLockfile =
    "no lockfile found next to the manifest (package-lock.json, pnpm-lock.yaml, yarn.lock, uv.lock, poetry.lock, requirements.txt, go.mod)";
  const observations: Observations = {
    toolDeclaration: tools.declaration,
    descriptionSafety: tools.safety,
    toolFlows: tools.flows,
    definitionPins: tools.definitionPins,
    permissionsDeclared: manifest.permissions !== undefined,
    manifestFile,
    ...(tools.source === undefined
      ? {}
      : { listing: listingEvidence(tools.source, inputs.listingFrom) }),
    manifestImage: manifestAgreement(manifest, manifestFile, inputs.image),
    lockfileImage: lockfileAgreement(manifest, lockfiles, inputs.image),
    vulnerabilities:
      lockfiles.length === 0
        ? { skipped: noLockfile }
        : uncovered.length > 0
          ? {
              skipped: `${inputs.vulnerabilities.description} holds no advisories for ${uncovered.join(", ")}: those dependencies could not be checked`,
            }
          : {
              source: describeSource(inputs.vulnerabilities, [
                ...new Set(packages.map((p) => p.ecosystem)),
              ]),
              findings: vulnerabilities.map((v) => ({
                vulnerability: v.vulnerability,
                location: v.line === undefined ? v.file : `${v.file}:${v.line}`,
              })),
            },
    ...(inputs.image === undefined
      ? {}
      : {
          imageVulnerabilities: imageObservation(
            inputs.image,
            inputs.vulnerabilities,
            imageVulnerabilities,
          ),
        }),
    pinning:
      lockfiles.length === 0
        ? { skipped: noLockfile }
        : {
            findings: lockfiles.flatMap((l) =>
              l.pinning.map((p) => ({
                message: p.message,
                severity: p.severity,
                location: p.line === undefined ? p.file : `${p.file}:${p.line}`,
              })),
            ),
          },
    signing: inputs.signing,
    source: inputs.source,
  };
  const declared = {
    [TOOLS_KEY]: manifest.tools.map((t) => t.name),
    [PROMPTS_KEY]: manifest.definitions.prompts.map((p) => p.name),
    [RESOURCE_TEMPLATES_KEY]: manifest.definitions.resourceTemplates.map((t) => t.name),
  };
  const names = [
    ...Object.values(declared).flat(),
    ...(tools.exposed ?? []).map((t) => t.name),
    ...(tools.definitions?.prompts ?? []).map((p) => p.name),
    ...(tools.definitions?.resourceTemplates ?? []).map((t) => t.name),
  ];
  // The pin of each definition a finding may be on, for entries bound to one by `sha256`.
  const byName = (list: readonly { name: string; sha256: string }[]) =>
    Object.fromEntries(list.map((p) => [p.name, p.sha256]));
  const pins = {
    listed: {
      "tools/list:": byName((tools.exposed ?? []).map(pinTool)),
      "prompts/list:": byName((tools.definitions?.prompts ?? []).map(pinPrompt)),
      "resources/templates/list:": byName(
        (tools.definitions?.resourceTemplates ?? []).map(pinResourceTemplate),
      ),
    },
    declared: {
      [TOOLS_KEY]: manifest.tools.map((t) => pinTool(t).sha256),
      [PROMPTS_KEY]: manifest.definitions.prompts.map((p) => pinPrompt(p).sha256),
      [RESOURCE_TEMPLATES_KEY]: manifest.definitions.resourceTemplates.map(
        (t) => pinResourceTemplate(t).sha256,
      ),
    },
  };
  const waivers = applyControlWaivers(
    evaluateControls(observations, { failOnSeverity: inputs.settings.failOnSeverity }),
    inputs.settings.ignores,
    inputs.now,
    (f) => findingSubject(f, { manifestFile, declared, names, pins }),
  );
  notices.push(...waiverNotices(waivers, ignoreFile));
  const controls = waivers.controls;
  const trust = trustOf(controls);
  if (inputs.image === undefined)
    notices.push({
      level: "warning",
      message: `no image was examined (evaluate --image REF): the inventory, vulnerabilities and tools are those of the package and lockfiles, not of an image, and the trust level is capped at L2`,
    });
  const sc06 = controls.find((c) => c.id === "SC-06");
  if (sc06 !== undefined && sc06.findings.length > 0)
    notices.push({
      level: "warning",
      message: `the lockfiles disagree with the image (SC-06): ${sc06.findings.length === 1 ? (sc06.findings[0]?.message ?? "") : `${sc06.findings.length} findings, the first: ${sc06.findings[0]?.message ?? ""}`}`,
    });
  const knownTools = tools.exposed ?? manifest.tools;
  const known = tools.definitions ?? {
    prompts: manifest.definitions.prompts,
    resourceTemplates: manifest.definitions.resourceTemplates,
    ...(manifest.definitions.instructions
      ? { instructions: manifest.definitions.instructions.text }
      : {}),
  };
  // The command the image's own server was listed with: what the generator and the bridge run.
  const pulledConfig = inputs.image?.pulled?.image.config;
  const ranImage =
    tools.source !== undefined &&
    listingEvidence(tools.source, inputs.listingFrom) === "image-run" &&
    pulledConfig !== undefined
      ? {
          transport: "stdio" as const,
          entrypoint: [...pulledConfig.entrypoint],
          cmd: [...pulledConfig.cmd],
        }
      : undefined;
  const predicate: EvaluationPredicate = {
    evaluator: { ...inputs.evaluator, policyDigest: settingsDigest(inputs.settings) },
    time: inputs.now.toISOString(),
    server: { name: manifest.name, version: manifest.version, manifestDigest: manifest.digest },
    ...(inputs.source ? { source: inputs.source } : {}),
    ...(manifest.permissions ? { permissions: manifest.permissions } : {}),
    tools: pinTools(knownTools),
    ...(known.prompts.length > 0 ? { prompts: known.prompts.map(pinPrompt) } : {}),
    ...(known.resourceTemplates.length > 0
      ? { resourceTemplates: known.resourceTemplates.map(pinResourceTemplate) }
      : {}),
    ...(known.instructions !== undefined
      ? { instructions: pinInstructions(known.instructions) }
      : {}),
    ...(ranImage !== undefined ? { run: ranImage } : {}),
    vulnerabilities: unique(outcome.findings.map((finding) => ({ finding }))).map((m) => m.finding),
    controls,
    trustLevel: trust.level,
    ...(trust.cappedBy.length > 0 ? { trustLevelCappedBy: trust.cappedBy } : {}),
    verdict: verdictOf(controls),
  };
  // A level the manifest claims (MCP Trust Framework extension) is a claim; the evaluation decides.
  const claimed = manifest.trust?.level;
  if (claimed !== undefined && !isTrustLevelAtLeast(predicate.trustLevel, claimed)) {
    notices.push({
      level: "warning",
      message: `the manifest claims MCP Trust Framework level ${claimed} (_meta["org.mpaktrust"]); the evaluation reached ${predicate.trustLevel}`,
      file: manifestFile,
    });
  }
  return {
    predicate,
    manifest,
    manifestFile,
    lockfiles,
    vulnerabilities: [...vulnerabilities, ...imageVulnerabilities],
    ...(inputs.image
      ? { image: { reference: inputs.image.reference, inventory: inputs.image.inventory } }
      : {}),
    ...(tools.exposed ? { exposedTools: tools.exposed } : {}),
    ...(tools.source ? { toolSource: tools.source } : {}),
    ...(tools.definitions ? { exposedDefinitions: tools.definitions } : {}),
    ...(tools.source ? { toolSource: tools.source } : {}),
    ...(tools.runtime ? { toolRuntime: tools.runtime } : {}),
    notices,
  };
}

/** The evidence of a listing: the image's own entrypoint, or the published package. */
function listingEvidence(
  source: NonNullable<ReleaseEvaluation["toolSource"]>,
  earlierFrom: ReleaseInputs["listingFrom"],
): "image-run" | "package-run" {
  const ran = source === "earlier-run" ? (earlierFrom ?? "package") : source;
  return ran === "image" ? "image-run" : "package-run";
}

/** One finding per advisory and package version (go.mod and go.sum, a workspace, nested copies). */
function unique<T extends { finding: VulnerabilityFinding }>(matches: readonly T[]): T[] {
  const seen = new Set<string>();
  return matches.filter((m) => {
    const f = m.finding;
    const key = `${f.id}\u0000${f.package.ecosystem}\u0000${f.package.name}\u0000${f.version}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** SC-04's observation: what the image's inventory held, and what of it could be matched. */
function imageObservation(
  image: { reference: string; inventory: ImageInventory },
  source: VulnerabilitySource,
  found: { vulnerability: VulnerabilityFinding; file: string }[],
): NonNullable<Observations["imageVulnerabilities"]> {
  const inv = image.inventory;
  const counts = new Map<string, number>();
  for (const p of inv.packages) counts.set(p.ecosystem, (counts.get(p.ecosystem) ?? 0) + 1);
  const held = [...counts].map(([e, n]) => `${n} ${e}`).join(", ") || "no packages";
  const release = osvEcosystemOf(inv.os);
  const os =
    inv.os === undefined
      ? "no os-release"
      : `${inv.os.id} ${inv.os.versionId ?? "(no VERSION_ID)"}`;
  // OS packages are matched only under OSV's ecosystem for their release.
  const unmatched = [...counts.keys()].filter(
    (e) => (e === "Debian" || e === "Alpine") && !release?.startsWith(`${e}:`),
  );
  const scanned = [...new Set(scannablePackages(inv.packages, inv.os).map((p) => p.ecosystem))];
  const evidence = `image inventory of ${image.reference} (${inv.image}): ${held}${
    unmatched.length > 0
      ? `; ${unmatched.join(" and ")} packages not matched: OSV has no ecosystem for ${os}`
      : ""
  }${scanned.length > 0 ? `; ecosystems scanned: ${scanned.join(", ")}` : ""}`;
  const uncovered = scanned.filter(
    (e) => source.ecosystems !== undefined && !source.ecosystems.has(e),
  );
  if (scanned.length === 0)
    return { skipped: `${evidence}: nothing in it that the vulnerability source can match` };
  if (uncovered.length > 0)
    return {
      skipped: `${evidence}: ${source.description} holds no advisories for ${uncovered.join(", ")}`,
    };
  return {
    evidence,
    source: describeSource(source, scanned),
    findings: found.map((v) => ({ vulnerability: v.vulnerability, location: v.file })),
  };
}
