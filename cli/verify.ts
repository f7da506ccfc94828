import { judgeWorkload } from "../policies/workload/engine.ts";
import { compileGlob } from "../policies/glob.ts";
import type { ImageFacts } from "../policies/workload/image-evidence.ts";
import { createClusterState } from "../policies/workload/cluster-state.ts";
import { toWorkload } from "../policies/workload/workload.ts";
import { CliError } from "./errors.ts";
import { DEFAULT_POLICY_FILE, loadPolicyFile } from "./load-policy.ts";
import { oneOf, parseNow, parseOptions, registryAccess } from "./options.ts";
import { evidenceFor, REGISTRY_OPTIONS } from "./registry-access.ts";

export interface VerifyIo {
  stdout: (text: string) => void;
}

/** What of the image itself the evaluation examined, as its controls record it. */
function imageEvidence(e: ImageFacts["verifiedEvaluations"][number]): string {
  const seen = [
    ...(e.imageEvidence?.inventory ? ["its inventory read"] : []),
    ...(e.imageEvidence?.run ? ["its entrypoint run"] : []),
  ];
  return seen.length === 0 ? "none (the image itself was not examined)" : seen.join(", ");
}

function describeFacts(image: string, facts: ImageFacts): string[] {
  const lines = [`image      ${image}`, `digest     ${facts.digest ?? "(not resolved)"}`];
  if (facts.lookupError) {
    // Part of the lookup can fail next to evidence that verified (a broken legacy tag).
    const partly = facts.verifiedSignatures.length + facts.verifiedEvaluations.length > 0;
    lines.push(`lookup     ${partly ? "PARTLY FAILED" : "FAILED"}: ${facts.lookupError}`);
  }
  for (const s of facts.verifiedSignatures)
    lines.push(`signature  verified, signed by ${s.signer}`);
  for (const s of facts.rejectedSignatures) lines.push(`signature  rejected: ${s.reason}`);
  for (const e of facts.verifiedEvaluations) {
    lines.push(
      `evaluation verified: verdict ${e.verdict}, trust level ${e.trustLevel}, ${e.time}, signed by ${e.signer}`,
      `           image evidence: ${imageEvidence(e)}`,
    );
  }
  for (const e of facts.rejectedEvaluations) lines.push(`evaluation rejected: ${e.reason}`);
  if (
    !facts.lookupError &&
    facts.verifiedSignatures.length + facts.rejectedSignatures.length === 0
  ) {
    lines.push("signature  none found");
  }
  if (
    !facts.lookupError &&
    facts.verifiedEvaluations.length + facts.rejectedEvaluations.length === 0
  ) {
    lines.push("evaluation none found");
  }
  return lines;
}

/** `mcp-warden verify IMAGE`: what the registry holds for one image, as the webhook would judge it. */
export async function runVerify(args: string[], io: VerifyIo): Promise<number> {
  const { values, positionals } = parseOptions({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      policy: { type: "string" },
      format: { type: "string", default: "text" },
      now: { type: "string" },
      ...REGISTRY_OPTIONS,
    },
  });
  const [image, ...extra] = positionals;
  if (image === undefined || extra.length > 0)
    throw new CliError("USAGE", "needs exactly one IMAGE");
  const format = oneOf("format", values.format, ["text", "json"]);
  const now = parseNow(values.now);
  const policy = await loadPolicyFile(values.policy ?? DEFAULT_POLICY_FILE);
  const { provide } = await evidenceFor(registryAccess(values));
  const evidence = await provide([image], policy);
  const facts = evidence.forImage(image);
  const pod = toWorkload({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "verify" },
    spec: { containers: [{ name: "image", image }] },
  });
  const decision = judgeWorkload(pod, {
    policy,
    cluster: createClusterState({}),
    now,
    evidence,
    only: [compileGlob("image/*")],
  });
  const denied = decision.findings.filter((f) => f.action === "enforce");
  if (format === "json") {
    io.stdout(
      `${JSON.stringify({ image, policy: policy.name, allowed: decision.allowed, facts, findings: decision.findings }, null, 2)}\n`,
    );
  } else {
    const lines = facts ? describeFacts(image, facts) : [`image      ${image}`];
    lines.push("");
    for (const f of decision.findings)
      lines.push(
        `${f.action === "enforce" ? "DENY " : f.action.toUpperCase().padEnd(5)} ${f.rule}: ${f.message}`,
      );
    lines.push(
      decision.allowed
        ? `PASS ${image} (policy ${policy.name})`
        : `FAIL ${image}: ${denied.length} denying finding${denied.length === 1 ? "" : "s"} (policy ${policy.name})`,
    );
    io.stdout(`${lines.join("\n")}\n`);
  }
  return decision.allowed ? 0 : 1;
}
