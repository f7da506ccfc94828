// What the benchmarks that compare with osv-scanner share: OSV's zip form of a generated database,
// a command timed from its start to its exit with its peak resident memory (GNU time), and
// osv-scanner's JSON findings as the (ecosystem, package, version, advisory) keys both sides are
// compared by.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { crc32, deflateRawSync } from "node:zlib";
import { Zip, type ZipInputFile } from "fflate";

const run = promisify(execFile);

export interface TimedRun {
  ms: number;
  rssMiB: number;
  stdout: string;
}

/** Runs `cmd` under `/usr/bin/time -v`; osv-scanner's exit 1 (it found vulnerabilities) is a result. */
export async function timedProcess(cmd: string, args: readonly string[]): Promise<TimedRun> {
  const t0 = performance.now();
  const r = await run("/usr/bin/time", ["-v", cmd, ...args], {
    maxBuffer: 512 * 1024 * 1024,
    timeout: 900_000,
  }).catch((e: Error & { stdout?: string; stderr?: string; code?: number }) => {
    if (e.code === 1 && e.stdout) return { stdout: e.stdout, stderr: e.stderr ?? "" };
    throw new Error(`${cmd} failed: ${e.stderr?.slice(-2000) ?? e.message}`, { cause: e });
  });
  const ms = performance.now() - t0;
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  return { ms, rssMiB: rss / 1024, stdout: r.stdout };
}

/** A finding as both sides are compared: ecosystem, package, installed version, advisory. */
export type Finding = [ecosystem: string, name: string, version: string, id: string];
export const keyOf = (f: Finding): string => f.join(" ");

/** osv-scanner's `--format=json` report: its findings, and how many packages per ecosystem. */
export function osvScannerFindings(stdout: string): {
  findings: Set<string>;
  packages: Record<string, number>;
} {
  const findings = new Set<string>();
  const packages: Record<string, number> = {};
  const report = JSON.parse(stdout) as {
    results?: {
      packages?: {
        package: { name: string; version: string; ecosystem: string; os_package_name?: string };
        vulnerabilities?: { id: string }[];
      }[];
    }[];
  };
  for (const result of report.results ?? [])
    for (const p of result.packages ?? []) {
      const ecosystem = p.package.ecosystem.replace(/:.*/, "");
      packages[ecosystem] = (packages[ecosystem] ?? 0) + 1;
      const name = p.package.os_package_name ?? p.package.name;
      for (const v of p.vulnerabilities ?? [])
        findings.add(keyOf([ecosystem, name, p.package.version, v.id]));
    }
  return { findings, packages };
}

export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/**
 * A zip of deflated entries, as OSV publishes. Entries are deflated with node:zlib and handed to
 * fflate's Zip already compressed: fflate's own deflate of 50,000 small files takes longer than
 * the rest of a benchmark.
 */
export function deflatedZip(entries: Iterable<readonly [string, Uint8Array]>): Uint8Array {
  const chunks: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    chunks.push(chunk);
  });
  for (const [filename, bytes] of entries) {
    const file: ZipInputFile = { filename, size: bytes.length, crc: crc32(bytes), compression: 8 };
    zip.add(file);
    file.ondata?.(null, deflateRawSync(bytes, { level: 6 }), true);
  }
  zip.end();
  return Buffer.concat(chunks);
}
