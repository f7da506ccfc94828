import { mkdir, mkdtemp, readFile, rename, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { errorMessage, InputError, type WardenError } from "../policies/errors.ts";
import { meetsThreshold } from "../policies/evaluation/controls.ts";
import { isTrustLevelAtLeast, type SourceInfo } from "../policies/evaluation/predicate.ts";
import type { IgnoreEntry } from "../policies/evaluation/ignores.ts";
import { authorManifest } from "../policies/evaluation/manifest-authoring.ts";
import { parseImageReference, type ImageReference } from "../policies/workload/image-reference.ts";
import {
  evaluateRelease,
  findingPosition,
  type ReleaseEvaluation,
} from "../supply-chain/evaluate/release.ts";
import { releaseSarif } from "../supply-chain/evaluate/sarif.ts";
import { releaseSummary, type SigningRecord } from "../supply-chain/evaluate/summary.ts";
import type { RegistryClient } from "../supply-chain/registry/client.ts";
import { isRegistryError, registryErrorAbout } from "../supply-chain/registry/errors.ts";
import { attestEvaluation, attestSbom, signImage } from "../supply-chain/sign/sign-image.ts";
import { readImageForEvaluation, type EvaluatedImage } from "../supply-chain/evaluate/image.ts";
import { serverEnvFrom } from "../supply-chain/evaluate/server-env.ts";
import { inventoryBom, type CycloneDxBom } from "../supply-chain/sbom/cyclonedx.ts";
import { openVulnerabilitySource, readIgnoreFile } from "../supply-chain/evaluate/sources.ts";
import { ActionError } from "./errors.ts";
import type { ActionInputs } from "./inputs.ts";
import { generateKubernetesManifests } from "../policies/deployment/kubernetes-manifests.ts";
import { registryClientFor } from "./registry.ts";
import { signingSetup, type SigningSetup } from "./signing.ts";

export type OutputName =
  | "digest"
  | "verdict"
  | "trust-level"
  | "evaluation"
  | "sarif"
  | "signature"
  | "attestation"
  | "kubernetes-manifests"
  | "manifest"
  | "sbom-attestation-digest";

export interface Annotation {
  file?: string;
  line?: number;
  title?: string;
}

/** What the Action says to the runner; `@actions/core` in production. */
export interface Reporter {
  info(message: string): void;
  warning(message: string, at?: Annotation): void;
  error(message: string, at?: Annotation): void;
  setOutput(name: OutputName, value: string): void;
  summary(markdown: string): Promise<void>;
}

/** The runner's environment, gathered by the entry file. */
export interface ActionContext {
  now: () => Date;
  /** `RUNNER_TEMP`: reports are written under it. */
  tempDir: string;
  /** `GITHUB_WORKSPACE`: inputs are resolved against it and reports name files relative to it. */
  workspace: string;
  /** From `@actions/github`'s context; absent outside GitHub Actions. */
  source?: SourceInfo;
  actor?: string;
  dockerConfigPath?: string;
  /** Whether the job may ask for an OIDC token (`permissions: id-token: write`). */
  oidcAvailable: boolean;
  /** The runner's OIDC token for an audience (`core.getIDToken`). */
  idToken: (audience: string) => Promise<string>;
  evaluator: { name: string; version: string };
  reporter: Reporter;
  /** This process's environment: `server-env` names the variables passed to the server from it. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Registry failures as a user reads them: which image, then what the registry said. A registry
 * error keeps its code, details and cause (an unreachable registry is not bad input).
 */
function registryFailure(image: string, e: unknown): WardenError {
  if (isRegistryError(e)) return registryErrorAbout(`image ${image}`, e);
  return new InputError("INPUT_INVALID", `image ${image}: ${errorMessage(e)}`, { cause: e });
}

/** Signing failures say what failed: the OIDC token, Fulcio, Rekor, or the registry. */
function signingFailure(image: string, e: unknown): WardenError {
  if (isRegistryError(e)) return registryFailure(image, e);
  return new ActionError("SIGNING_FAILED", `signing ${image} failed: ${errorMessage(e)}`, {
    cause: e,
  });
}

/**
 * Writes the generated manifests as `mcp-server.yaml` in `dir`, through a new file renamed into
 * place: a symbolic link committed at that path is replaced, never followed out of the workspace.
 */
async function writeManifestFile(dir: string, yaml: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, "mcp-server.yaml");
  const temp = join(dir, `.mcp-server.yaml.${process.pid}.tmp`);
  await writeFile(temp, yaml, { flag: "wx" });
  await rename(temp, file);
  return file;
}

/** One line of log text: data never ends a line early, so it cannot start a workflow command. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\u0085\u2028\u2029]+/g, " ");
}

/** Error and warning annotations on the lockfile and manifest lines the findings point at. */
function annotate(evaluation: ReleaseEvaluation, inputs: ActionInputs, reporter: Reporter): void {
  // Notices first: the runner shows only the first annotations of each kind per step, and an
  // expired ignore entry must not be crowded out.
  for (const n of evaluation.notices) {
    const at = { ...(n.file ? { file: n.file } : {}), ...(n.line ? { line: n.line } : {}) };
    if (n.level === "error") reporter.error(n.message, at);
    else reporter.warning(n.message, at);
  }
  for (const { vulnerability: v, file, line } of evaluation.vulnerabilities) {
    if (v.ignored !== undefined) continue;
    const message = `${v.package.name}@${v.version}: ${[v.id, ...v.aliases].join(" / ")} (${v.severity.level})${v.fixedVersion ? `, fixed in ${v.fixedVersion}` : ""}`;
    const at = { file, ...(line === undefined ? {} : { line }), title: v.summary ?? v.id };
    if (meetsThreshold(v.severity.level, inputs.failOnSeverity)) reporter.error(message, at);
    else reporter.warning(message, at);
  }
  for (const c of evaluation.predicate.controls) {
    if (c.id === "SC-02" || c.status !== "fail") continue;
    for (const f of c.findings)
      reporter.error(f.message, {
        ...findingPosition(f.location, evaluation),
        title: `${c.id} ${c.title ?? ""}`.trim(),
      });
  }
  for (const c of evaluation.predicate.controls) {
    if (c.status === "skip")
      reporter.warning(`${c.id} skipped (caps the trust level): ${c.notes ?? ""}`);
  }
}

/**
 * The Action: resolve the image to its digest, evaluate the release, write the predicate and
 * SARIF, write manifests, sign the image and attach the evaluation, report. Returns why the step
 * must fail (verdict fail, or trust level below `min-trust-level`), if it must; bad input throws.
 *
 * The order is the guarantee the README gives: everything that can still fail on bad input (the
 * image, the signing key, the ignore file, the reports and manifests) runs before anything is
 * attached, so a step that fails does not leave a passing evaluation on the image.
 */
export async function run(inputs: ActionInputs, ctx: ActionContext): Promise<{ failure?: string }> {
  const now = ctx.now();
  const reference = imageReference(inputs, ctx);
  const image = await resolveDigest(inputs, ctx, reference);
  const ignores =
    inputs.ignoreFile === undefined
      ? []
      : await readIgnoreFile(resolve(ctx.workspace, inputs.ignoreFile), inputs.ignoreFile);
  const signing = await signingSetup(inputs.signing, ctx.idToken);
  const read = await readImage(image, inputs, ctx);
  const evaluation = await evaluate(inputs, ctx, ignores, now, read);
  const outDir = await writeReports(evaluation, inputs, ctx, image.pinned);
  await writeKubernetesManifests(evaluation, inputs, ctx, image.pinned);
  await writeAuthoredManifest(evaluation, inputs, ctx, outDir);
  annotate(evaluation, inputs, ctx.reporter);
  // The evaluation is attached whatever its verdict: a failing one is a record, and the webhook
  // denies on it. The image signature alone approves nothing.
  const bom = inventoryBom(read.inventory, {
    repository: reference.name,
    platform: read.platform,
    tool: ctx.evaluator,
    now,
  });
  const signed = await signAndAttach(image, { evaluation, bom }, inputs, ctx, signing, now);
  await writeSummary(evaluation, inputs, ctx, image.pinned, { signed });
  return verdict(evaluation, inputs, ctx.reporter);
}

/** The image input as a reference; keyless signing refused up front when it cannot get a token. */
function imageReference(inputs: ActionInputs, ctx: ActionContext): ImageReference {
  const parsed = parseImageReference(inputs.image);
  if (!parsed.ok)
    throw new ActionError(
      "USAGE",
      `input image: ${JSON.stringify(inputs.image)} is not an image reference: ${parsed.error}`,
    );
  if (inputs.signing.mode === "keyless" && !ctx.oidcAvailable)
    throw new ActionError(
      "USAGE",
      "signing: keyless needs the workflow's OIDC token: give the job `permissions: id-token: write` (or use signing: key or none)",
    );
  return parsed.value;
}

/** The image in its registry, and the digest everything after is about. */
interface ResolvedImage {
  client: RegistryClient;
  /** `repository@sha256:…`: what is evaluated, signed and deployed. */
  pinned: string;
}

async function resolveDigest(
  inputs: ActionInputs,
  ctx: ActionContext,
  reference: ImageReference,
): Promise<ResolvedImage> {
  const client = await registryClientFor(inputs, {
    ...(ctx.actor ? { actor: ctx.actor } : {}),
    ...(ctx.dockerConfigPath ? { dockerConfigPath: ctx.dockerConfigPath } : {}),
  });
  const descriptor = await client.resolve(reference).catch((e: unknown) => {
    throw registryFailure(inputs.image, e);
  });
  const pinned = `${reference.name}@${descriptor.digest}`;
  ctx.reporter.info(`evaluating ${pinned}`);
  ctx.reporter.setOutput("digest", descriptor.digest);
  return { client, pinned };
}

/**
 * The image the evaluation is about, read as `mcp-warden evaluate --image` reads it: by the digest
 * just resolved, for the `platform` input, its layers inventoried (SC-04, and the SBOM).
 */
async function readImage(
  image: ResolvedImage,
  inputs: ActionInputs,
  ctx: ActionContext,
): Promise<EvaluatedImage> {
  const progress = (m: string) => ctx.reporter.info(oneLine(m));
  return readImageForEvaluation(image.client, image.pinned, {
    platform: inputs.platform,
    progress,
  }).catch((e: unknown) => {
    throw isRegistryError(e) ? registryFailure(inputs.image, e) : e;
  });
}

async function evaluate(
  inputs: ActionInputs,
  ctx: ActionContext,
  ignores: IgnoreEntry[],
  now: Date,
  image: EvaluatedImage,
): Promise<ReleaseEvaluation> {
  const { serverEnv } = serverEnvFrom(inputs.serverEnv, ctx.env ?? {});
  const db = inputs.vulnerabilityDb;
  ctx.reporter.info(
    `opening the vulnerability source ${oneLine(db.kind === "api" ? db.url : db.path)}`,
  );
  return evaluateRelease(
    {
      manifestPath: resolve(ctx.workspace, inputs.manifest),
      lockfiles:
        inputs.lockfiles === "detect"
          ? "detect"
          : inputs.lockfiles.map((l) => resolve(ctx.workspace, l)),
      settings: {
        failOnSeverity: inputs.failOnSeverity,
        minTrustLevel: inputs.minTrustLevel,
        ignores,
      },
      vulnerabilities: await openVulnerabilitySource(inputs.vulnerabilityDb, (p) =>
        resolve(ctx.workspace, p),
      ),
      signing: inputs.signing.mode,
      ...(ctx.source ? { source: ctx.source } : {}),
      toolTimeoutMs: inputs.toolTimeoutMs,
      evaluator: ctx.evaluator,
      now,
      baseDir: ctx.workspace,
      databaseAge: inputs.databaseAge,
      image,
      ...(serverEnv.length > 0 ? { serverEnv } : {}),
      progress: (m) => ctx.reporter.info(oneLine(m)),
    },
    inputs.ignoreFile,
  );
}

/**
 * The predicate JSON and the SARIF report, and the outputs that name them and the verdict.
 * Returns the run's own output directory.
 */
async function writeReports(
  evaluation: ReleaseEvaluation,
  inputs: ActionInputs,
  ctx: ActionContext,
  pinned: string,
): Promise<string> {
  const { predicate } = evaluation;
  // A directory of this run's own: a second step in the same job does not overwrite these files.
  await mkdir(ctx.tempDir, { recursive: true });
  const outDir = await mkdtemp(join(ctx.tempDir, "mcp-warden-"));
  const evaluationPath = join(outDir, "evaluation.json");
  await writeFile(evaluationPath, `${JSON.stringify(predicate, null, 2)}\n`);
  const sarifPath = join(outDir, "mcp-warden.sarif");
  const sarif = releaseSarif(evaluation, {
    threshold: inputs.failOnSeverity,
    version: ctx.evaluator.version,
    image: pinned,
  });
  await writeFile(sarifPath, `${JSON.stringify(sarif, null, 2)}\n`);
  const { reporter } = ctx;
  reporter.setOutput("evaluation", evaluationPath);
  reporter.setOutput("sarif", sarifPath);
  reporter.setOutput("verdict", predicate.verdict);
  reporter.setOutput("trust-level", predicate.trustLevel);
  return outDir;
}

/**
 * With `write-manifest: true`, the manifest with what the running server exposes (tools, prompts,
 * resource templates, instructions, pinned; a permissions skeleton if none is declared), written
 * into the run's output directory for an artifact — the workspace is never changed — and what
 * changed, in the log.
 */
async function writeAuthoredManifest(
  evaluation: ReleaseEvaluation,
  inputs: ActionInputs,
  ctx: ActionContext,
  outDir: string,
): Promise<void> {
  const { reporter } = ctx;
  const tools = evaluation.exposedTools;
  const definitions = evaluation.exposedDefinitions;
  if (!inputs.writeManifest || tools === undefined || definitions === undefined) {
    if (inputs.writeManifest)
      reporter.warning(
        `write-manifest: the manifest was not written: the server was not listed (${
          evaluation.predicate.controls.find((c) => c.id === "CD-01")?.notes ?? "see CD-01"
        })`,
      );
    reporter.setOutput("manifest", "");
    return;
  }
  const source = resolve(ctx.workspace, inputs.manifest);
  const authored = authorManifest(await readFile(source, "utf8"), { tools, definitions });
  const file = join(outDir, basename(source));
  await writeFile(file, authored.text);
  reporter.info(
    authored.changes.length === 0
      ? `write-manifest: ${evaluation.manifestFile} already declares what the server exposes`
      : [
          `write-manifest: wrote ${file} (review the changes and commit them as ${evaluation.manifestFile}):`,
          ...authored.changes.map((c) => `  ${oneLine(c)}`),
        ].join("\n"),
  );
  reporter.setOutput("manifest", file);
}

/** With `kubernetes-manifests`, the Deployment, ServiceAccount and NetworkPolicy for `pinned`. */
async function writeKubernetesManifests(
  evaluation: ReleaseEvaluation,
  inputs: ActionInputs,
  ctx: ActionContext,
  pinned: string,
): Promise<void> {
  if (inputs.kubernetesManifests === undefined) {
    ctx.reporter.setOutput("kubernetes-manifests", "");
    return;
  }
  const { predicate } = evaluation;
  const manifests = generateKubernetesManifests({
    image: pinned,
    serverName: predicate.server.name,
    version: predicate.server.version,
    ...(predicate.permissions ? { permissions: predicate.permissions } : {}),
    ...(inputs.kubernetesNamespace === undefined ? {} : { namespace: inputs.kubernetesNamespace }),
    // A stdio server runs behind the bridge with the command this evaluation ran.
    ...(inputs.gatewayImage === undefined
      ? {}
      : {
          gateway: {
            image: inputs.gatewayImage,
            ...(predicate.run === undefined ? {} : { run: predicate.run }),
          },
        }),
  });
  const file = await writeManifestFile(
    resolve(ctx.workspace, inputs.kubernetesManifests),
    manifests.yaml,
  );
  ctx.reporter.setOutput("kubernetes-manifests", file);
}

/**
 * Signs the image and attaches the evaluation as an attestation, unless `signing: none`. A
 * failure is written to the summary before it is thrown, so the job page still shows the verdict.
 */
async function signAndAttach(
  image: ResolvedImage,
  { evaluation, bom }: { evaluation: ReleaseEvaluation; bom: CycloneDxBom },
  inputs: ActionInputs,
  ctx: ActionContext,
  signing: SigningSetup | undefined,
  now: Date,
): Promise<SigningRecord | undefined> {
  const { reporter } = ctx;
  if (signing === undefined) {
    reporter.setOutput("signature", "");
    reporter.setOutput("attestation", "");
    reporter.setOutput("sbom-attestation-digest", "");
    return undefined;
  }
  const { client, pinned } = image;
  let signed: SigningRecord;
  try {
    const signature = await signImage(client, pinned, signing.signer, now, signing.witnesses);
    const attestation = await attestEvaluation(
      client,
      pinned,
      evaluation.predicate,
      signing.signer,
      now,
      signing.witnesses,
    );
    const sbom = await attestSbom(client, pinned, bom, signing.signer, now, signing.witnesses);
    signed = {
      image: pinned,
      description: signing.description,
      signature: signature.referrer.descriptor.digest,
      attestation: attestation.referrer.descriptor.digest,
      sbom: sbom.referrer.descriptor.digest,
    };
  } catch (e) {
    const failure = signingFailure(pinned, e);
    await writeSummary(evaluation, inputs, ctx, pinned, { signingError: failure.message });
    throw failure;
  }
  reporter.setOutput("signature", signed.signature);
  reporter.setOutput("attestation", signed.attestation);
  reporter.setOutput("sbom-attestation-digest", signed.sbom ?? "");
  reporter.info(
    `signed ${pinned}: signature ${signed.signature}, evaluation attestation ${signed.attestation}, SBOM attestation ${signed.sbom ?? "none"}`,
  );
  return signed;
}

/** The job summary: verdict, findings, and what was signed, or why signing failed. */
async function writeSummary(
  evaluation: ReleaseEvaluation,
  inputs: ActionInputs,
  ctx: ActionContext,
  pinned: string,
  signing: { signed?: SigningRecord | undefined; signingError?: string },
): Promise<void> {
  const { signed, signingError } = signing;
  await ctx.reporter.summary(
    releaseSummary(evaluation, {
      image: pinned,
      minTrustLevel: inputs.minTrustLevel,
      failOnSeverity: inputs.failOnSeverity,
      ...(signed ? { signed } : {}),
      ...(signingError ? { signingError } : {}),
    }),
  );
}

/** Why the step must fail, if it must: a failing verdict, or a trust level below the minimum. */
function verdict(
  evaluation: ReleaseEvaluation,
  inputs: ActionInputs,
  reporter: Reporter,
): { failure?: string } {
  const { predicate } = evaluation;
  const failures: string[] = [];
  if (predicate.verdict === "fail") {
    const failed = predicate.controls.filter((c) => c.status === "fail").map((c) => c.id);
    failures.push(`verdict fail (controls failed: ${failed.join(", ")})`);
  }
  if (!isTrustLevelAtLeast(predicate.trustLevel, inputs.minTrustLevel))
    failures.push(
      `trust level ${predicate.trustLevel} is below min-trust-level ${inputs.minTrustLevel}${
        // Why it stopped there: a control, or the image not examined.
        predicate.trustLevelCappedBy ? ` (${predicate.trustLevelCappedBy.join("; ")})` : ""
      }`,
    );
  const subject = oneLine(`${predicate.server.name} ${predicate.server.version}`);
  if (failures.length === 0) reporter.info(`${subject}: pass at ${predicate.trustLevel}`);
  return failures.length === 0 ? {} : { failure: `${subject}: ${failures.join("; ")}` };
}
