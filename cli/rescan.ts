import type { VulnerabilityFinding } from "../policies/evaluation/predicate.ts";
import { isRecord } from "../policies/guards.ts";
import { parseImageReference } from "../policies/workload/image-reference.ts";
import type { CompiledPolicy } from "../policies/workload/policy.ts";
import { openVulnerabilitySource, vulnerabilityDbOf } from "../supply-chain/evaluate/sources.ts";
import { CYCLONEDX_PREDICATE, packagesOfCycloneDx } from "../supply-chain/scan/cyclonedx.ts";
import type { VulnerabilitySource } from "../supply-chain/scan/types.ts";
import { gatherAttestations } from "../supply-chain/verify/gather.ts";
import { trustFrom } from "../supply-chain/verify/keyless.ts";
import { trustedKeys } from "../supply-chain/verify/trusted-keys.ts";
import { CliError } from "./errors.ts";
import { registryClientFor, type RegistryAccess } from "./registry-access.ts";
import type { ExtraResults, ReportResult } from "./report-policyreport.ts";

// `check --cluster --rescan`: images keep changing risk after admission. Each running image's
// signed SBOM (the inventory recorded at release) is matched against today's advisories: no
// pull, no re-run of the release evaluation.

export interface ImageUse {
  namespace: string;
  kind: string;
  name: string;
  apiVersion: string;
  uid?: string;
}

export interface RescannedImage {
  image: string;
  usedBy: ImageUse[];
  /** `scanned` with the SBOM's signer, or `not-rescannable` saying why. */
  status: "scanned" | "not-rescannable";
  reason?: string;
  signer?: string;
  packages?: number;
  vulnerabilities: VulnerabilityFinding[];
}

/** `--vulnerability-db osv|URL|PATH`, as `evaluate` takes it. */
export async function openSource(value: string): Promise<VulnerabilitySource> {
  const db = vulnerabilityDbOf(value);
  if ("error" in db) throw new CliError("USAGE", `--vulnerability-db ${db.error}`);
  return openVulnerabilitySource(db, (p) => p);
}

/** The subject's newest-first order is not recorded in an SBOM; the first verified one is read. */
function bomOf(statement: unknown): unknown {
  return isRecord(statement) ? statement.predicate : undefined;
}

/**
 * Rescans every image: digest-pinned ones with a CycloneDX SBOM attestation signed by one of the
 * policy's trusted signers are matched against `source`; the others are not rescannable.
 */
export async function rescanImages(
  images: ReadonlyMap<string, ImageUse[]>,
  policy: CompiledPolicy,
  access: RegistryAccess,
  source: VulnerabilitySource,
): Promise<RescannedImage[]> {
  const { client, trustedRoot } = await registryClientFor(access);
  const keyless =
    trustedRoot !== undefined && policy.keylessIdentities.length > 0
      ? trustFrom(trustedRoot, policy.keylessIdentities)
      : undefined;
  const trust = { keys: trustedKeys(policy.trustedSigners), ...(keyless ? { keyless } : {}) };
  const out: RescannedImage[] = [];
  for (const [image, usedBy] of [...images].sort(([a], [b]) => a.localeCompare(b))) {
    const notRescannable = (reason: string): RescannedImage => ({
      image,
      usedBy,
      status: "not-rescannable",
      reason,
      vulnerabilities: [],
    });
    const ref = parseImageReference(image);
    if (!ref.ok || ref.value.digest === undefined) {
      out.push(notRescannable("not pinned by digest: what runs cannot be named"));
      continue;
    }
    const found = await gatherAttestations(client, image, CYCLONEDX_PREDICATE, {
      ...trust,
      timeoutMs: access.timeoutMs,
    });
    const [first] = found.verified;
    if (!first) {
      out.push(
        notRescannable(
          `no CycloneDX SBOM attestation signed by a trusted signer${found.lookupError ? ` (${found.lookupError})` : ""}`,
        ),
      );
      continue;
    }
    const packages = packagesOfCycloneDx(bomOf(first.statement), `${image} SBOM`);
    const matches = await source.matches(packages);
    out.push({
      image,
      usedBy,
      status: "scanned",
      signer: first.signer,
      packages: packages.length,
      vulnerabilities: matches.map((m) => m.finding),
    });
  }
  return out;
}

const SEVERITY: Record<
  VulnerabilityFinding["severity"]["level"],
  NonNullable<ReportResult["severity"]>
> = {
  critical: "high",
  high: "high",
  medium: "medium",
  low: "low",
  unknown: "medium",
};

export function describeVulnerability(v: VulnerabilityFinding): string {
  const fixed = v.fixedVersion ? `; fixed in ${v.fixedVersion}` : "; no fixed version";
  const aliases = v.aliases.length > 0 ? ` (${v.aliases.join(", ")})` : "";
  return `${v.id}${aliases} ${v.severity.level}: ${v.package.name}@${v.version}${fixed}${v.summary ? ` — ${v.summary}` : ""}`;
}

/** Rescan results for a namespace's PolicyReport: a `fail` per advisory, a `skip` per unscannable image. */
export function rescanReportResults(
  rescanned: readonly RescannedImage[],
  policy: CompiledPolicy,
  now: Date,
): ExtraResults {
  const timestamp = { seconds: Math.floor(now.getTime() / 1000), nanos: 0 };
  return (namespace) =>
    rescanned.flatMap((img): ReportResult[] => {
      const resources = img.usedBy
        .filter((u) => u.namespace === namespace)
        .map((u) => ({
          apiVersion: u.apiVersion,
          kind: u.kind,
          namespace: u.namespace,
          name: u.name,
          ...(u.uid ? { uid: u.uid } : {}),
        }));
      if (resources.length === 0) return [];
      const base = {
        policy: policy.name,
        rule: "image/vulnerabilities",
        category: "image",
        scored: true,
        source: "mcp-warden",
        timestamp,
        resources,
      };
      if (img.status === "not-rescannable")
        return [
          {
            ...base,
            result: "skip" as const,
            message: `${img.image} is not rescannable: ${img.reason ?? ""}`,
            properties: { image: img.image },
          },
        ];
      if (img.vulnerabilities.length === 0)
        return [
          {
            ...base,
            result: "pass" as const,
            message: `${img.image}: no known vulnerability in its ${img.packages ?? 0} SBOM packages`,
            properties: { image: img.image },
          },
        ];
      return img.vulnerabilities.map((v) => ({
        ...base,
        result: "fail" as const,
        severity: SEVERITY[v.severity.level],
        message: describeVulnerability(v),
        properties: {
          image: img.image,
          advisory: v.id,
          severity: v.severity.level,
          package: v.package.purl ?? v.package.name,
          version: v.version,
          ...(v.fixedVersion ? { fixedVersion: v.fixedVersion } : {}),
        },
      }));
    });
}

/** The text section: one block per image. */
export function formatRescanText(rescanned: readonly RescannedImage[]): string {
  const lines = ["Rescan of running images against today's advisories:"];
  for (const img of rescanned) {
    const users = img.usedBy.map((u) => `${u.namespace}/${u.kind}/${u.name}`).join(", ");
    if (img.status === "not-rescannable") {
      lines.push(`  NOT RESCANNABLE ${img.image}  (${users})`, `      ${img.reason ?? ""}`);
      continue;
    }
    const n = img.vulnerabilities.length;
    lines.push(
      `  ${n > 0 ? "VULNERABLE" : "CLEAN"} ${img.image}  (${users}; SBOM of ${img.packages ?? 0} packages signed by ${img.signer ?? ""})`,
      ...img.vulnerabilities.map((v) => `      ${describeVulnerability(v)}`),
    );
  }
  return `${lines.join("\n")}\n`;
}
