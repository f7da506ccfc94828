/**
 * Runs admissions through the webhook app (real registry evidence) in a process of its own and
 * reports how much memory they took: run it with `--expose-gc` and a `--max-old-space-size`, so
 * exceeding the bound is a crash, not a number. Input (argv[2], JSON):
 * `{ publicKeyPem, now, deadlineMs, admissions: string[][] }`; output (stdout, JSON):
 * `{ results, baselineHeapMiB, peakHeapMiB, baselineRssMiB, peakRssMiB }`.
 */
import { createPublicKey } from "node:crypto";
import { keyPolicy, webhook } from "./admission-harness.ts";

interface Input {
  publicKeyPem: string;
  now: string;
  deadlineMs: number;
  admissions: string[][];
}

const MiB = 1024 * 1024;
const input = JSON.parse(process.argv[2] ?? "{}") as Input;
const gc = (globalThis as { gc?: () => void }).gc;
const hook = webhook(keyPolicy(createPublicKey(input.publicKeyPem), "audit"), {
  deadlineMs: input.deadlineMs,
  now: new Date(input.now),
});
// Warm up (modules, fastify, ajv) on an admission without images, then measure from there.
await hook.admit([]);
gc?.();
const baseline = process.memoryUsage();
let peakHeap = baseline.heapUsed;
let peakRss = baseline.rss;
const sample = (): void => {
  const m = process.memoryUsage();
  peakHeap = Math.max(peakHeap, m.heapUsed);
  peakRss = Math.max(peakRss, m.rss);
};
const timer = setInterval(sample, 2);
const results = await Promise.all(
  input.admissions.map(async (images, i) => {
    const r = await hook.admit(images, `u${i}`);
    sample();
    return r;
  }),
);
clearInterval(timer);
sample();
await hook.close();
process.stdout.write(
  JSON.stringify({
    results,
    baselineHeapMiB: baseline.heapUsed / MiB,
    peakHeapMiB: peakHeap / MiB,
    baselineRssMiB: baseline.rss / MiB,
    peakRssMiB: peakRss / MiB,
  }),
);
