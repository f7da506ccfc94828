import { fieldPath } from "../../field-path.ts";
import type { ImageFacts } from "../image-evidence.ts";
import { isDigestPinned, parseImageReference } from "../image-reference.ts";
import { yamlExample, type Finding, type Rule, type RuleContext } from "../rule.ts";
import type { TrustLevel } from "../../trust-level.ts";
import { gatewayCommand } from "../gateway-contract.ts";
import { containerLabel, type Workload } from "../workload.ts";

/** One place in the pod that names an image. */
export interface ImageSite {
  /** The reference exactly as written; undefined when the field is missing or blank. */
  reference: string | undefined;
  /** Field path of the reference in the submitted object. */
  path: string;
  /** Names the site for a person: `container "app"`, `image volume "models"`. */
  label: string;
}

function present(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** Every image the pod pulls: containers of all kinds, then image volumes. */
export function imageSites(workload: Workload): ImageSite[] {
  const sites: ImageSite[] = workload.containers.map((ref) => ({
    reference: present(ref.container.image),
    path: fieldPath(ref.path, "image"),
    label: containerLabel(ref),
  }));
  (workload.podSpec.volumes ?? []).forEach((volume, i) => {
    if (volume.image === undefined) return;
    sites.push({
      reference: present(volume.image.reference),
      path: fieldPath(workload.specPath, "volumes", i, "image", "reference"),
      label: `image volume ${JSON.stringify(volume.name ?? `#${i}`)}`,
    });
  });
  return sites;
}

/** The references of every image the pod pulls, in `imageSites` order; blank ones left out. */
export function imageReferences(workload: Workload): string[] {
  // As imageSites, without the paths and labels only findings need: several rules call this.
  const references: string[] = [];
  for (const ref of workload.containers) {
    const reference = present(ref.container.image);
    if (reference) references.push(reference);
  }
  for (const volume of workload.podSpec.volumes ?? []) {
    const reference = volume.image === undefined ? undefined : present(volume.image.reference);
    if (reference) references.push(reference);
  }
  return references;
}

/**
 * The images whose registry facts judging the workload needs: its own, and for a runtime gateway
 * the server image it fronts (`network/within-declared` holds the gateway's ingress to that
 * server's declared agents).
 */
export function evidenceImages(workload: Workload): string[] {
  const own = imageReferences(workload);
  const server = gatewayCommand(workload)?.serverImage;
  return server === undefined || own.includes(server) ? own : [...own, server];
}

const DIGEST_PINNED = "image/digest-pinned";
const SIGNED = "image/signed";
const EVALUATED = "image/evaluated";

function pinningProblem(reference: string): string | undefined {
  const parsed = parseImageReference(reference);
  if (!parsed.ok) {
    // ko://, docker:// and the like are build-tool placeholders, not references a kubelet pulls.
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//.exec(reference)?.[1];
    if (scheme !== undefined)
      return `is a ${scheme}:// placeholder, not an image reference; resolve it to a pushed image and pin its digest`;
    return `is not a valid image reference (${parsed.error})`;
  }
  if (isDigestPinned(parsed.value)) return undefined;
  const name = parsed.value.familiar.replace(/@.*$/, "");
  const fix = `pin it as ${name}@sha256:<64 hex>`;
  if (parsed.value.digest !== undefined)
    return `is pinned by ${parsed.value.digest.split(":")[0]}, not sha256; ${fix}`;
  return `is not pinned by digest, so the content behind it can change; ${fix} (crane digest ${name} prints the digest; mcp-warden fix --resolve-digests pins every image of a manifest)`;
}

const digestPinned: Rule = {
  id: DIGEST_PINNED,
  title: "Every image (containers, init, ephemeral, image volumes) is pinned by a sha256 digest.",
  explain: {
    why: "A tag can be moved to other content at any time by whoever can push to the repository, so the image that runs need not be the one that was reviewed, evaluated and signed. Signatures and evaluations are about a digest; only a digest reference ties the pod to them.",
    fix: "Reference every image (containers, init and ephemeral containers, image volumes) as NAME@sha256:<64 hex>; a tag may stay in front of the digest for readers (NAME:TAG@sha256:...), the digest decides. Get the digest with crane digest NAME:TAG (or docker buildx imagetools inspect NAME:TAG), or let mcp-warden fix --resolve-digests look up and pin every image of a manifest; the mcp-warden Action prints the digest it evaluated as its digest output.",
    example: yamlExample`
      spec:
        template:
          spec:
            containers:
              - name: server
                image: ghcr.io/acme/mcp-example:1.4.2@sha256:3f0c1e6b0a7d2c4e5f60718293a4b5c6d7e8f90112233445566778899aabbccd
    `,
  },
  check({ workload }) {
    const findings: Finding[] = [];
    for (const site of imageSites(workload)) {
      const message =
        site.reference === undefined
          ? `${site.label} names no image; set one pinned by digest (name@sha256:<64 hex>)`
          : prefixed(site, pinningProblem(site.reference));
      if (message !== undefined) findings.push({ rule: DIGEST_PINNED, message, path: site.path });
    }
    return findings;
  },
};

function prefixed(site: ImageSite, problem: string | undefined): string | undefined {
  return problem === undefined
    ? undefined
    : `${site.label} image ${JSON.stringify(site.reference)} ${problem}`;
}

/**
 * Runs `judge` on the registry facts of every image; an image without facts fails, so a
 * lookup that never happened can never pass.
 */
function judgeFacts(
  ctx: RuleContext,
  rule: string,
  judge: (facts: ImageFacts, ctx: RuleContext) => string | undefined,
): Finding[] {
  const findings: Finding[] = [];
  for (const site of imageSites(ctx.workload)) {
    const facts = site.reference === undefined ? undefined : ctx.evidence?.forImage(site.reference);
    const message =
      site.reference === undefined
        ? `${site.label} names no image, so there is nothing to verify`
        : facts === undefined
          ? prefixed(site, "was not verified: no registry facts were gathered for it")
          : prefixed(site, judge(facts, ctx));
    if (message !== undefined) findings.push({ rule, message, path: site.path });
  }
  return findings;
}

function reasons(list: readonly { reason: string }[]): string {
  return list.map((r) => r.reason).join("; ");
}

function signatureProblem(facts: ImageFacts): string | undefined {
  if (facts.verifiedSignatures.length > 0) return undefined;
  if (facts.lookupError !== undefined) return `could not be verified: ${facts.lookupError}`;
  if (facts.rejectedSignatures.length > 0)
    return `has no signature from a trusted signer (rejected: ${reasons(facts.rejectedSignatures)})`;
  return "is not signed; sign it in its release workflow with a signer the policy trusts";
}

const signed: Rule = {
  id: SIGNED,
  title: "Every image carries a signature that verifies against a trusted signer.",
  explain: {
    why: "Anyone who can push to the registry can push an image. A signature from a signer the policy trusts, about the image's digest, shows the image came from that signer (your release workflow) and not from someone else with push access.",
    fix: "Sign the image by digest in its release workflow (the mcp-warden Action does: signing: keyless or key; so does cosign sign), and list that signer in the policy's spec.images.trustedSigners: for keyless signing, the OIDC issuer and the workflow's identity. mcp-warden verify IMAGE shows what the registry holds and why a signature did not verify. check skips this rule unless --verify-images is given; at admission it is never skipped.",
    example: yamlExample`
      apiVersion: mcp-warden.dev/v1alpha1
      kind: MCPWardenPolicy
      metadata:
        name: default
      spec:
        images:
          trustedSigners:
            - keyless:
                issuer: https://token.actions.githubusercontent.com
                subjectRegExp: ^https://github\.com/acme/mcp-example/\.github/workflows/release\.yml@refs/tags/v.*$
    `,
  },
  needsRegistry: true,
  check(ctx) {
    return judgeFacts(ctx, SIGNED, signatureProblem);
  },
};

const TRUST_ORDER: readonly TrustLevel[] = ["L1", "L2", "L3", "L4"];
// Allows for clock skew between the evaluator and this cluster, but no more.
const FUTURE_TOLERANCE_MS = 5 * 60_000;

type Evaluation = ImageFacts["verifiedEvaluations"][number];

function newest(evaluations: readonly Evaluation[]): { e: Evaluation; ms: number } | undefined {
  let best: Evaluation | undefined;
  let bestMs = Number.NaN;
  for (const e of evaluations) {
    const ms = Date.parse(e.time);
    if (!Number.isNaN(ms) && (best === undefined || ms > bestMs)) {
      best = e;
      bestMs = ms;
    }
  }
  return best === undefined ? undefined : { e: best, ms: bestMs };
}

/** `720h`, `30.5h`, `45m`: durations the way the policy's `maxAge` writes them. */
export function formatDuration(ms: number): string {
  const hours = ms / 3_600_000;
  if (Math.abs(hours) >= 1) return `${Number.isInteger(hours) ? hours : hours.toFixed(1)}h`;
  return `${Math.round(ms / 60_000)}m`;
}

/** What an evaluation lacks to be an evaluation of the image itself; undefined when nothing. */
function missingImageEvidence(e: Evaluation): string | undefined {
  const inventory = e.imageEvidence?.inventory === true;
  const run = e.imageEvidence?.run === true;
  if (inventory && run) return undefined;
  const lacks = [
    ...(inventory ? [] : ["read no image inventory (no image-inventory evidence)"]),
    ...(run ? [] : ["did not list the tools by running the image (no image-run evidence)"]),
  ];
  return lacks.join(" and ");
}

function evaluationProblems(e: Evaluation, ms: number, ctx: RuleContext): string[] {
  const { minTrustLevel, maxAgeMs, requireImageEvidence } = ctx.settings.evaluation;
  const problems: string[] = [];
  if (e.verdict !== "pass") problems.push("its verdict is fail");
  if (requireImageEvidence === true) {
    const missing = missingImageEvidence(e);
    if (missing !== undefined)
      problems.push(
        `the policy requires image evidence (requireImageEvidence), and it ${missing}; re-evaluate the image itself (evaluate --image)`,
      );
  }
  if (TRUST_ORDER.indexOf(e.trustLevel) < TRUST_ORDER.indexOf(minTrustLevel))
    problems.push(`trust level ${e.trustLevel} is below the required ${minTrustLevel}`);
  const age = ctx.now.getTime() - ms;
  if (age > maxAgeMs) {
    problems.push(
      `it is ${formatDuration(age)} old, older than the allowed ${formatDuration(maxAgeMs)}; re-evaluate the image`,
    );
    // The message says how old, so it changes as time passes.
    ctx.horizon.bound(ctx.now.getTime());
  } else ctx.horizon.bound(ms + maxAgeMs + 1);
  if (age < -FUTURE_TOLERANCE_MS) {
    problems.push("it is dated in the future");
    ctx.horizon.bound(ms - FUTURE_TOLERANCE_MS);
  }
  return problems;
}

function evaluationProblem(facts: ImageFacts, ctx: RuleContext): string | undefined {
  const latest = newest(facts.verifiedEvaluations);
  if (latest === undefined) {
    if (facts.lookupError !== undefined) return `could not be verified: ${facts.lookupError}`;
    if (facts.rejectedEvaluations.length > 0)
      return `has no evaluation from a trusted signer (rejected: ${reasons(facts.rejectedEvaluations)})`;
    if (facts.verifiedEvaluations.length > 0)
      return "has no evaluation with a valid time; re-evaluate the image";
    return "has no evaluation attestation; evaluate it in its release workflow before deploying";
  }
  const problems = evaluationProblems(latest.e, latest.ms, ctx);
  if (problems.length === 0) return undefined;
  return `is not approved: its newest evaluation (${latest.e.time}, by ${latest.e.signer}) fails the policy: ${problems.join("; ")}`;
}

const evaluated: Rule = {
  id: EVALUATED,
  title:
    "Every image's newest trusted evaluation passed, meets the minimum trust level and is fresh.",
  explain: {
    why: "The evaluation is the release-time review of the server: its tools and their descriptions, its dependencies against known vulnerabilities, its declared permissions. Without a passing, signed evaluation at the policy's trust level, nothing shows the image was reviewed at all; without a fresh one, nothing shows it still passes against today's advisories.",
    fix: "Run the mcp-warden Action in the server's release workflow: it evaluates the release and attaches the signed evaluation to the image's digest. Its signer must be in spec.images.trustedSigners; the newest evaluation must pass, reach spec.images.evaluation.minTrustLevel (default L3) and be younger than maxAge (default 720h), so re-run it on a schedule. mcp-warden evaluate runs the same evaluation locally, and mcp-warden verify IMAGE shows what the registry holds. check skips this rule unless --verify-images is given.",
    example: yamlExample`
      # .github/workflows/release.yml, in the job that pushes the image
      permissions:
        contents: read
        packages: write
        id-token: write
      steps:
        - uses: actions/checkout@v4
        - uses: mcp-warden/mcp-warden@v0
          with:
            image: ghcr.io/acme/mcp-example:${"${{ github.ref_name }}"}
            manifest: server.json
            signing: keyless
            min-trust-level: L3
    `,
  },
  needsRegistry: true,
  check(ctx) {
    return judgeFacts(ctx, EVALUATED, evaluationProblem);
  },
};

export const imageRules: readonly Rule[] = [digestPinned, signed, evaluated];
