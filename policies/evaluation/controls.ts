import type { TrustLevel } from "../trust-level.ts";
import { controlEvidence, type EvidenceUsed } from "./evidence.ts";
import {
  TRUST_LEVELS,
  type ControlFinding,
  type ControlResult,
  type SeverityLevel,
  type SourceInfo,
  type Verdict,
  type VulnerabilityFinding,
} from "./predicate.ts";

/**
 * The controls an evaluation checks, their ids aligned with the MCP Trust Framework (mpak, MTF
 * v0.1) where it names one, and the trust level they earn. Pure: everything observed is passed in.
 */

/** `none` never fails on vulnerabilities (they are still recorded). */
export type SeverityThreshold = Exclude<SeverityLevel, "unknown"> | "none";
export const SEVERITY_THRESHOLDS: readonly SeverityThreshold[] = [
  "critical",
  "high",
  "medium",
  "low",
  "none",
];

const SEVERITY_RANK: Record<SeverityLevel, number> = {
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
  // An advisory that states no severity is treated as serious: failing open on missing data
  // would let an unrated critical through. It can be waived with an ignore entry.
  unknown: 3,
};
const THRESHOLD_RANK: Record<SeverityThreshold, number> = {
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
  none: Number.POSITIVE_INFINITY,
};

/** True when a finding of `level` reaches the threshold (`unknown` counts as `high`). */
export function meetsThreshold(level: SeverityLevel, threshold: SeverityThreshold): boolean {
  return SEVERITY_RANK[level] >= THRESHOLD_RANK[threshold];
}

export const CONTROL_TITLES = {
  "AI-01": "The server manifest is present and valid",
  "CD-01": "The tools the server exposes are exactly the tools its manifest declares",
  "CD-02":
    "The manifest declares the server's permissions (egress, ingress, filesystem, credentials)",
  "CD-03":
    "Tool names and descriptions carry no hidden instructions, invisible text or encoded payloads",
  "CD-04":
    "The server's tools do not combine untrusted content, private data and a way to send data out",
  "CD-05":
    "The prompts, resource templates and instructions the server exposes are the declared ones, as pinned",
  "SC-02": "No known vulnerability at or above the severity threshold in the dependency tree",
  "SC-03": "Dependencies are pinned to exact versions with integrity hashes",
  "SC-04":
    "No known vulnerability at or above the severity threshold among the packages installed in the image",
  "SC-05": "The package and version the manifest declares are what the image holds",
  "SC-06": "The lockfiles agree with the packages installed in the image",
  "AI-03": "The image is signed",
  "PR-01": "The source repository and commit of the release are recorded",
  "PR-02": "The release was evaluated by an identified CI workflow run",
  "PR-03": "The signature is bound to the workflow's own identity (keyless, OIDC)",
} as const;
export type ControlId = keyof typeof CONTROL_TITLES;

/**
 * The controls each level requires on top of the levels below, after MTF's levels: L1 Basic (valid
 * manifest, tool declarations), L2 Standard (vulnerability scanning, pinning, description safety,
 * no toxic flow between the tools, pins of prompts, resource templates and instructions),
 * L3 Verified (signing, provenance, permission and credential scope declaration, and the image
 * itself examined: its inventory scanned and matched with the manifest), L4 Attested (the
 * signature itself proves which workflow built the release, and the lockfiles scanned are the
 * image's).
 */
export const LEVEL_REQUIREMENTS: Record<TrustLevel, readonly ControlId[]> = {
  L1: ["AI-01", "CD-01"],
  L2: ["SC-02", "SC-03", "CD-03", "CD-04", "CD-05"],
  L3: ["AI-03", "PR-01", "PR-02", "CD-02", "SC-04", "SC-05"],
  L4: ["PR-03", "SC-06"],
};

/**
 * What a level needs beyond its controls passing. L3 needs the tools listed by running the image
 * (CD-01's evidence `image-run`), not the published package: what runs in the cluster is the
 * image. L4 needs SC-06 without a single disagreement: SC-06 only warns, so it passes with them.
 */
const LEVEL_CONDITIONS: Partial<
  Record<TrustLevel, (controls: ReadonlyMap<string, ControlResult>) => string | undefined>
> = {
  L3: (controls) => {
    const listedBy = controls.get("CD-01")?.evidence ?? [];
    if (listedBy.includes("image-run")) return undefined;
    const how = listedBy.includes("package-run")
      ? "they were listed by running the published package"
      : "they were not listed from a running server";
    return `L3 needs the tools listed by running the image itself (CD-01 evidence image-run): ${how}`;
  },
  L4: (controls) => {
    const n = controls.get("SC-06")?.findings.length ?? 0;
    return n === 0
      ? undefined
      : `L4 needs the lockfiles to agree with the image: SC-06 found ${n} disagreement(s)`;
  },
};

/** What was observed about one release; `undefined` where a thing could not be observed at all. */
export interface Observations {
  /** Tool declaration problems (declared vs exposed, pins); `skipped` when the server could not be listed. */
  toolDeclaration: { findings: ControlFinding[] } | { skipped: string };
  /**
   * Description safety findings over every known tool; `skipped` when no tool is known. `notes`
   * names the rule findings the definition model outweighed, which do not count.
   */
  descriptionSafety: { findings: ControlFinding[]; notes?: string } | { skipped: string };
  /**
   * Cross-tool risk (toxic flows) over the server's tools; `skipped` when no tool is known.
   * Absent when the caller did not look, which skips CD-04.
   */
  toolFlows?: { findings: ControlFinding[] } | { skipped: string };
  /**
   * Prompts, resource templates and instructions against their declarations and pins; `skipped`
   * when the server could not be listed (and no declared pin betrays an edit).
   */
  definitionPins: { findings: ControlFinding[] } | { skipped: string };
  /** Whether the manifest declares permissions. */
  permissionsDeclared: boolean;
  /** The manifest as reports name it (`servers/x/server.json`); `server.json` when absent. */
  manifestFile?: string;
  /** Vulnerabilities found (ignored ones carry `ignored`); `skipped` when no scan could run. */
  vulnerabilities:
    | {
        findings: { vulnerability: VulnerabilityFinding; location?: string }[];
        /** Where the advisories came from, for the record (`offline OSV database x.zip (…)`). */
        source?: string;
      }
    | { skipped: string };
  /**
   * The image's own inventory scanned (`evaluate --image`); absent when no image was read, and
   * then SC-04 is not recorded. `evidence` names the image and what its inventory held.
   */
  imageVulnerabilities?:
    | {
        findings: { vulnerability: VulnerabilityFinding; location?: string }[];
        source?: string;
        evidence: string;
      }
    | { skipped: string };
  /**
   * The manifest's packages against the image's inventory (SC-05); `skipped` when no image was
   * read or the manifest declares no package the image can hold.
   */
  manifestImage?: { findings: ControlFinding[]; notes?: string } | { skipped: string };
  /**
   * The lockfiles against the image's inventory (SC-06): disagreements are warnings, the control
   * passes with them. `skipped` when no image or no lockfile was read.
   */
  lockfileImage?: { findings: ControlFinding[]; notes?: string } | { skipped: string };
  /** How the server's tools were listed, for the controls' evidence (absent: not listed). */
  listing?: EvidenceUsed["listing"];
  /** Pinning problems; `skipped` when no lockfile was found. */
  pinning: { findings: ControlFinding[] } | { skipped: string };
  /** How the image is signed. */
  signing: "keyless" | "key" | "none";
  source: SourceInfo | undefined;
}

export interface ControlSettings {
  failOnSeverity: SeverityThreshold;
}

function control(
  id: ControlId,
  outcome: { findings: ControlFinding[] } | { skipped: string },
  failed: (findings: ControlFinding[]) => boolean = (f) => f.length > 0,
): ControlResult {
  if ("skipped" in outcome)
    return { id, title: CONTROL_TITLES[id], status: "skip", findings: [], notes: outcome.skipped };
  return {
    id,
    title: CONTROL_TITLES[id],
    status: failed(outcome.findings) ? "fail" : "pass",
    findings: outcome.findings,
  };
}

function vulnerabilityFinding(
  v: VulnerabilityFinding,
  location: string | undefined,
): ControlFinding {
  const ids = [v.id, ...v.aliases.filter((a) => a !== v.id)].join(", ");
  const fix = v.fixedVersion === undefined ? "no fixed version" : `fixed in ${v.fixedVersion}`;
  const waived =
    v.ignored === undefined ? "" : ` (ignored until ${v.ignored.expires}: ${v.ignored.reason})`;
  return {
    message: `${v.package.name}@${v.version}: ${ids}${v.summary ? ` — ${v.summary}` : ""} (${fix})${waived}`,
    severity: v.severity.level,
    ...(location === undefined ? {} : { location }),
  };
}

function vulnerabilityControl(
  id: "SC-02" | "SC-04",
  vulns: Observations["vulnerabilities"] & { evidence?: string },
  settings: ControlSettings,
): ControlResult {
  if ("skipped" in vulns) return control(id, vulns);
  // A threshold of `none` records vulnerabilities without judging them: nothing was checked
  // against a bar, so the control cannot earn a level.
  if (settings.failOnSeverity === "none") {
    return {
      ...control(id, {
        skipped: `fail-on-severity is none: ${vulns.findings.length} vulnerabilities recorded, none judged`,
      }),
      findings: vulns.findings.map((f) => vulnerabilityFinding(f.vulnerability, f.location)),
    };
  }
  const all = vulns.findings.map((f) => f.vulnerability);
  const blocking = all.filter(
    (v) => v.ignored === undefined && meetsThreshold(v.severity.level, settings.failOnSeverity),
  );
  const result = control(
    id,
    { findings: vulns.findings.map((f) => vulnerabilityFinding(f.vulnerability, f.location)) },
    () => blocking.length > 0,
  );
  const ignored = all.filter((v) => v.ignored !== undefined).length;
  const notes = [
    ...(vulns.evidence ? [`evidence: ${vulns.evidence}`] : []),
    ...(vulns.source ? [`source: ${vulns.source}`] : []),
    `threshold: ${settings.failOnSeverity}`,
    `${blocking.length} at or above it`,
    ...(ignored > 0 ? [`${ignored} ignored by the ignore file`] : []),
  ];
  return { ...result, notes: notes.join("; ") };
}

function signingControl(obs: Observations): ControlResult {
  if (obs.signing === "none")
    return control("AI-03", { skipped: "signing is off (signing: none): the image is not signed" });
  return {
    ...control("AI-03", { findings: [] }),
    notes: `signed ${obs.signing === "keyless" ? "keyless (Fulcio certificate, Rekor entry)" : "with a key"}`,
  };
}

function provenanceControls(obs: Observations): ControlResult[] {
  const src = obs.source;
  const outsideCi = "the evaluation ran outside CI: no source or workflow to record";
  const pr01 =
    src === undefined
      ? control("PR-01", { skipped: outsideCi })
      : { ...control("PR-01", { findings: [] }), notes: `${src.repository} at ${src.commit}` };
  const pr02 =
    src === undefined
      ? control("PR-02", { skipped: outsideCi })
      : src.workflow === undefined || src.runId === undefined
        ? control("PR-02", { skipped: "the CI run did not name its workflow and run id" })
        : { ...control("PR-02", { findings: [] }), notes: `${src.workflow}, run ${src.runId}` };
  const pr03 =
    obs.signing !== "keyless"
      ? control("PR-03", {
          skipped: `the image is ${obs.signing === "none" ? "not signed" : "signed with a key"}, which proves no workflow identity`,
        })
      : pr02.status !== "pass"
        ? control("PR-03", {
            skipped: "keyless signature, but no workflow identity was recorded to bind it to",
          })
        : {
            ...control("PR-03", { findings: [] }),
            notes: "the signing certificate's identity is the workflow's OIDC identity",
          };
  return [pr01, pr02, pr03];
}

const NO_IMAGE =
  "no image was examined (evaluate --image REF): the evaluation is of the package and lockfiles, not of an image";

/** A control judged from an observation that may carry notes of its own. */
function noted(
  id: ControlId,
  outcome: { findings: ControlFinding[]; notes?: string } | { skipped: string },
  failed?: (findings: ControlFinding[]) => boolean,
): ControlResult {
  const result = control(id, outcome, failed);
  return "notes" in outcome && outcome.notes !== undefined
    ? { ...result, notes: outcome.notes }
    : result;
}

/** Every control, in a stable order, each with the sources of its evidence. */
export function evaluateControls(obs: Observations, settings: ControlSettings): ControlResult[] {
  const used: EvidenceUsed = obs.listing === undefined ? {} : { listing: obs.listing };
  return judgeControls(obs, settings).map((c) => ({ ...c, evidence: controlEvidence(c, used) }));
}

function judgeControls(obs: Observations, settings: ControlSettings): ControlResult[] {
  return [
    { ...control("AI-01", { findings: [] }), notes: "server.json parsed and validated" },
    control("CD-01", obs.toolDeclaration),
    obs.permissionsDeclared
      ? control("CD-02", { findings: [] })
      : control("CD-02", {
          findings: [
            {
              message:
                'the manifest declares no permissions (_meta["dev.mcp-warden/permissions"]): egress, ingress and credentials cannot be scoped',
              severity: "medium",
              location: `${obs.manifestFile ?? "server.json"}#_meta`,
            },
          ],
        }),
    noted("CD-03", obs.descriptionSafety),
    control("CD-04", obs.toolFlows ?? { skipped: "cross-tool risk was not examined" }),
    control("CD-05", obs.definitionPins),
    vulnerabilityControl("SC-02", obs.vulnerabilities, settings),
    control("SC-03", obs.pinning),
    ...(obs.imageVulnerabilities === undefined
      ? []
      : [vulnerabilityControl("SC-04", obs.imageVulnerabilities, settings)]),
    noted("SC-05", obs.manifestImage ?? { skipped: NO_IMAGE }),
    // Warn-level: a disagreement is reported, and only L4 asks for none.
    noted("SC-06", obs.lockfileImage ?? { skipped: NO_IMAGE }, () => false),
    signingControl(obs),
    ...provenanceControls(obs),
  ];
}

/** Why `level` is not met on its own (the levels below it aside); empty when it is. */
function unmet(level: TrustLevel, byId: ReadonlyMap<string, ControlResult>): string[] {
  const reasons: string[] = [];
  for (const id of LEVEL_REQUIREMENTS[level]) {
    const c = byId.get(id);
    if (c === undefined) {
      reasons.push(
        id === "SC-04"
          ? `${level} needs ${id}: ${NO_IMAGE}`
          : `${level} needs ${id}, which was not recorded`,
      );
    } else if (c.status !== "pass") {
      const why = c.notes ?? c.findings[0]?.message;
      reasons.push(
        `${level} needs ${id} to pass: it ${c.status === "skip" ? "was skipped" : "failed"}${why ? ` (${why})` : ""}`,
      );
    }
  }
  const condition = LEVEL_CONDITIONS[level]?.(byId);
  if (condition !== undefined) reasons.push(condition);
  return reasons;
}

/**
 * The level reached and, below L4, why the next one was not: the highest level whose controls, and
 * those of every level below, all pass and whose conditions hold. A control that was skipped caps
 * the level as a failed one does: what was not checked earns nothing. L1 is the floor of the
 * scale; a release that fails an L1 control fails its verdict.
 */
export function trustOf(controls: readonly ControlResult[]): {
  level: TrustLevel;
  cappedBy: string[];
} {
  const byId = new Map(controls.map((c) => [c.id, c]));
  let level: TrustLevel = "L1";
  for (const next of TRUST_LEVELS) {
    const reasons = unmet(next, byId);
    // L1 is the floor: a release that misses it is still L1, and says what it misses.
    if (reasons.length > 0) return { level, cappedBy: reasons };
    level = next;
  }
  return { level, cappedBy: [] };
}

export function trustLevelOf(controls: readonly ControlResult[]): TrustLevel {
  return trustOf(controls).level;
}

/** `fail` when any control failed; skipped controls lower the level, not the verdict. */
export function verdictOf(controls: readonly ControlResult[]): Verdict {
  return controls.some((c) => c.status === "fail") ? "fail" : "pass";
}
