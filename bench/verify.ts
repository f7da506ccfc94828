// npm run bench:verify — verification of N images from a local registry (Debian's docker-registry
// on loopback), side by side in one run with `cosign verify` + `cosign verify-attestation` on the
// same images, and the warm (cached) path. Each image carries an mcp-warden signature and
// evaluation attestation (the layout cosign v3 writes), so both tools verify the same material.
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { EvaluationPredicate } from "../policies/evaluation/predicate.ts";
import { compilePolicy } from "../policies/workload/policy.ts";
import { RegistryClient } from "../supply-chain/registry/client.ts";
import { keySigner } from "../supply-chain/sign/key-signer.ts";
import { attestEvaluation, signImage } from "../supply-chain/sign/sign-image.ts";
import { registryEvidence } from "../supply-chain/verify/evidence.ts";
import { startRegistry } from "../test/support/registry-server.ts";
import { findTool, pushImage } from "../test/support/supply-chain.ts";
import { printBenchResult } from "./result.ts";

const N = Number(process.env.BENCH_IMAGES ?? 10);
const WARM_MS = Number(process.env.BENCH_MS ?? 2000);
const run = promisify(execFile);
const cosign = findTool("cosign");
if (!cosign) {
  console.error("cosign is not built: run scripts/build-supply-chain-tools.sh first");
  process.exit(2);
}

const registry = await startRegistry();
const dir = await mkdtemp(join(tmpdir(), "mcp-warden-bench-verify-"));
try {
  const client = new RegistryClient();
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pem = key.publicKey.export({ type: "spki", format: "pem" }).toString();
  await writeFile(join(dir, "key.pub"), pem);
  const predicate = JSON.parse(
    await readFile(
      new URL("../test/fixtures/evaluation/valid-predicate.json", import.meta.url),
      "utf8",
    ),
  ) as EvaluationPredicate;
  const now = new Date(Date.parse(predicate.time) + 3_600_000);
  const policy = compilePolicy({
    apiVersion: "mcp-warden.dev/v1alpha1",
    kind: "MCPWardenPolicy",
    metadata: { name: "bench" },
    spec: {
      images: {
        trustedSigners: [{ key: { publicKey: pem } }],
        evaluation: { minTrustLevel: "L3", maxAge: "720h" },
      },
    },
  });
  const images: string[] = [];
  for (let i = 0; i < N; i++) {
    const repo = `${registry.host}/bench/server-${i}`;
    const pushed = await pushImage(client, repo, "v1", `bench-${i}-${Date.now()}`);
    const ref = `${repo}@${pushed.manifest.digest}`;
    await signImage(client, ref, keySigner(key.privateKey), now);
    await attestEvaluation(client, ref, predicate, keySigner(key.privateKey), now);
    images.push(ref);
  }
  console.log(
    `${N} images, each with a signature and an evaluation attestation, on ${registry.host}`,
  );

  // mcp-warden, cold: a fresh client and cache, every image looked up and verified once.
  const cold = registryEvidence(() => new RegistryClient());
  let t = performance.now();
  for (const ref of images) {
    const facts = (await cold.provide([ref], policy)).forImage(ref);
    if (!facts || facts.verifiedSignatures.length !== 1 || facts.verifiedEvaluations.length !== 1) {
      throw new Error(`mcp-warden did not verify ${ref}: ${JSON.stringify(facts)}`);
    }
  }
  const wardenMs = (performance.now() - t) / N;

  // cosign, the same images: signature and attestation, as an operator would check them.
  const flags = [
    "--key",
    "key.pub",
    "--insecure-ignore-tlog",
    "--allow-insecure-registry",
    "--allow-http-registry",
  ];
  t = performance.now();
  for (const ref of images) {
    await run(cosign, ["verify", ...flags, ref], { cwd: dir });
    await run(
      cosign,
      ["verify-attestation", ...flags, "--type", "https://mcp-warden.dev/evaluation/v1", ref],
      { cwd: dir },
    );
  }
  const cosignMs = (performance.now() - t) / N;

  // mcp-warden, warm: the admission path's lookup once results are cached.
  let lookups = 0;
  const deadline = performance.now() + WARM_MS;
  t = performance.now();
  while (performance.now() < deadline) {
    for (const ref of images) await cold.provide([ref], policy);
    lookups += images.length;
  }
  const warmPerSecond = lookups / ((performance.now() - t) / 1000);

  const ratio = wardenMs / cosignMs;
  console.log(
    `cold, per image   mcp-warden ${wardenMs.toFixed(1)} ms   cosign verify + verify-attestation ${cosignMs.toFixed(1)} ms   ratio ${ratio.toFixed(2)}`,
  );
  console.log(`warm (cached)     ${Math.round(warmPerSecond).toLocaleString("en-US")} lookups/s`);
  console.log(
    `targets: cold <= 0.5x cosign: ${ratio <= 0.5 ? "met" : "NOT met"}; warm >= 50,000/s: ${warmPerSecond >= 50_000 ? "met" : "NOT met"}`,
  );
  printBenchResult("verify", [
    {
      name: "cold verification per image",
      value: wardenMs,
      unit: "ms",
      baseline: { name: "cosign verify + verify-attestation", value: cosignMs },
    },
    {
      name: "warm (cached) lookups",
      value: warmPerSecond,
      unit: "lookups/s",
      baseline: { name: "target", value: 50_000 },
    },
  ]);
} finally {
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
}
