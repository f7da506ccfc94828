// npm run bench — every benchmark, one report. Runs each `bench:*` npm script as a child process,
// one at a time (they measure side by side inside themselves; running two at once would make each
// the other's noise), bounded by BENCH_TIMEOUT_MS each, and collects its `BENCH_RESULT {json}` line
// (bench/result.ts). A bench whose tools are absent is skipped with the reason. Writes
// docs/bench/latest.md and docs/bench/latest.json: the machine, the tool versions, and each figure
// with its side-by-side baseline and their ratio. Knobs are passed through to every bench (BENCH_MS,
// BENCH_ROUNDS, BENCH_RUNS, …) and recorded in the report. BENCH_ONLY=engine,webhook runs a subset.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, homedir, release, totalmem } from "node:os";
import { join } from "node:path";
import { format } from "prettier";
import type { BenchFigure } from "../bench/result.ts";

const root = new URL("../", import.meta.url).pathname;
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 20 * 60_000);
const cache = process.env.MCP_WARDEN_CACHE ?? join(homedir(), ".cache", "mcp-warden");

interface BenchOutcome {
  bench: string;
  script: string;
  status: "ok" | "skipped" | "failed";
  reason?: string;
  seconds?: number;
  figures: BenchFigure[];
  /** When and at which commit this bench ran (a BENCH_ONLY run keeps the others' earlier figures). */
  ran?: { date: string; commit: string };
}

/** A cached build of a tool, as the scripts/build-*.sh leave it (newest version first). */
function cached(prefix: string, binary: string): string | undefined {
  if (!existsSync(cache)) return undefined;
  const dirs = readdirSync(cache)
    .filter((d) => d.startsWith(prefix))
    .sort()
    .reverse();
  for (const d of dirs) if (existsSync(join(cache, d, binary))) return join(cache, d, binary);
  return undefined;
}

function version(bin: string | undefined, args: string[]): string {
  if (!bin) return "not built";
  try {
    const out = execFileSync(bin, args, { encoding: "utf8", timeout: 10_000 });
    return /v?\d+\.\d+\.\d+[^\s,]*/.exec(out)?.[0] ?? out.trim().split("\n")[0] ?? "";
  } catch (err) {
    return `unknown (${(err as Error).message.split("\n")[0]})`;
  }
}

const cosign = process.env.MCP_WARDEN_TOOLS_BIN
  ? join(process.env.MCP_WARDEN_TOOLS_BIN, "cosign")
  : cached("cosign-", "cosign");
const osvScanner = cached("osv-scanner-", "osv-scanner");
const minio = process.env.MCP_WARDEN_MINIO_BIN ?? cached("minio-", "minio");

/** Why a bench cannot run here, or undefined. Benches that build a missing tool would take long. */
function missing(bench: string): string | undefined {
  if (bench === "verify" && !(cosign && existsSync(cosign)))
    return "cosign not built (scripts/build-supply-chain-tools.sh)";
  if (bench === "image" && !osvScanner)
    return "osv-scanner not built (scripts/build-osv-scanner.sh)";
  if (bench === "image" && !readdirSync(cache).some((d) => d.startsWith("bench-image-")))
    return "the bench image is not built (scripts/build-bench-image.sh, long: Debian .debs, pip, npm)";
  if (bench === "image" && !existsSync("/usr/bin/docker-registry"))
    return "docker-registry not installed";
  if (bench === "verify" && !existsSync("/usr/bin/docker-registry"))
    return "docker-registry not installed";
  return undefined;
}

function runBench(bench: string, script: string): Promise<BenchOutcome> {
  const reason = missing(bench);
  if (reason) return Promise.resolve({ bench, script, status: "skipped", reason, figures: [] });
  return new Promise((resolve) => {
    const start = performance.now();
    console.error(`\n== npm run ${script}`);
    const child = spawn("npm", ["run", "--silent", script], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
      detached: true,
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      process.stderr.write(b);
    });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        // already gone
      }
    }, TIMEOUT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const seconds = Math.round((performance.now() - start) / 100) / 10;
      const line = out
        .split("\n")
        .reverse()
        .find((l) => l.startsWith("BENCH_RESULT "));
      let figures: BenchFigure[] = [];
      let parseError: string | undefined;
      if (line) {
        try {
          figures = (JSON.parse(line.slice("BENCH_RESULT ".length)) as { figures: BenchFigure[] })
            .figures;
        } catch (err) {
          parseError = `its BENCH_RESULT line is not JSON: ${(err as Error).message}`;
        }
      }
      if (code === 0 && line && !parseError)
        resolve({ bench, script, status: "ok", seconds, figures });
      else
        resolve({
          bench,
          script,
          status: "failed",
          seconds,
          figures,
          reason:
            signal || seconds * 1000 >= TIMEOUT_MS
              ? `stopped after ${TIMEOUT_MS} ms (BENCH_TIMEOUT_MS)`
              : code !== 0
                ? `exit ${code}`
                : (parseError ?? "no BENCH_RESULT line"),
        });
    });
  });
}

const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
};
const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim());
const scripts = Object.keys(pkg.scripts)
  .filter((s) => s.startsWith("bench:"))
  .filter((s) => !only || only.includes(s.slice("bench:".length)));

const outcomes: BenchOutcome[] = [];
for (const script of scripts) outcomes.push(await runBench(script.slice("bench:".length), script));

const memInfo = readFileSync("/proc/meminfo", "utf8");
const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  memAvailableGiB:
    Math.round((Number(/MemAvailable:\s+(\d+)/.exec(memInfo)?.[1] ?? 0) / 2 ** 20) * 10) / 10,
  node: process.version,
  kernel: release(),
};
const versions = {
  "mcp-warden": (
    JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }
  ).version,
  commit: (() => {
    try {
      return execFileSync("git", ["rev-parse", "--short", "HEAD"], {
        cwd: root,
        encoding: "utf8",
      }).trim();
    } catch {
      return "unknown";
    }
  })(),
  cosign: version(cosign && existsSync(cosign) ? cosign : undefined, ["version"]),
  "osv-scanner": version(osvScanner, ["--version"]),
  minio: minio?.split("/").find((p) => p.startsWith("minio-")) ?? "not built",
};
const knobs = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k.startsWith("BENCH_")),
) as Record<string, string>;
const date = new Date().toISOString();
for (const o of outcomes) o.ran = { date, commit: versions.commit };
// A BENCH_ONLY run replaces those benches in the report and keeps every other one as it was, with
// the date and commit of the run that measured it.
if (only) {
  try {
    const previous = JSON.parse(
      readFileSync(join(root, "docs", "bench", "latest.json"), "utf8"),
    ) as {
      date: string;
      versions: { commit: string };
      benches: BenchOutcome[];
    };
    const order = Object.keys(pkg.scripts);
    for (const o of previous.benches)
      if (!outcomes.some((n) => n.bench === o.bench))
        outcomes.push({
          ...o,
          ran: o.ran ?? { date: previous.date, commit: previous.versions.commit },
        });
    outcomes.sort((a, b) => order.indexOf(a.script) - order.indexOf(b.script));
  } catch (err) {
    console.error(`docs/bench/latest.json not merged: ${(err as Error).message}`);
  }
}
const report = { date, machine, versions, knobs, benches: outcomes };

const dir = join(root, "docs", "bench");
mkdirSync(dir, { recursive: true });
// Formatted as the repository's lint expects of every file.
writeFileSync(join(dir, "latest.json"), await format(JSON.stringify(report), { parser: "json" }));

const num = (n: number): string =>
  Math.abs(n) >= 100
    ? Math.round(n).toLocaleString("en-US")
    : Number(n.toPrecision(3)).toLocaleString("en-US");
const rows = outcomes.flatMap((o) =>
  o.figures.length > 0
    ? o.figures.map(
        (f) =>
          `| ${o.bench} | ${f.name} | ${num(f.value)} ${f.unit} | ${f.baseline ? `${f.baseline.name}: ${num(f.baseline.value)} ${f.unit}` : "—"} | ${f.ratio !== undefined ? f.ratio.toFixed(2) : "—"} |`,
      )
    : [`| ${o.bench} | ${o.status}: ${o.reason ?? ""} | — | — | — |`],
);
const md = `# Benchmarks: the latest report

Produced by \`npm run bench\` (scripts/bench-report.ts) on ${report.date.slice(0, 16).replace("T", " ")} UTC; the figures in
[latest.json](latest.json). Every figure is measured side by side with its baseline in the same run,
so the ratio (figure / baseline) is what to compare across machines; absolute figures depend on what
else the machine was running.

- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB memory, Linux ${machine.kernel}, Node ${machine.node}
- Versions: mcp-warden ${versions["mcp-warden"]} (${versions.commit}), cosign ${versions.cosign}, osv-scanner ${versions["osv-scanner"]}, MinIO ${versions.minio}
- Knobs: ${
  Object.keys(knobs).length > 0
    ? Object.entries(knobs)
        .map(([k, v]) => `\`${k}=${v}\``)
        .join(", ") + " (shorter runs than each bench's default)"
    : "none (each bench's defaults)"
}

| Bench | Figure | Value | Baseline (same run) | Ratio |
| --- | --- | --- | --- | --- |
${rows.join("\n")}

${outcomes.map((o) => `- \`npm run ${o.script}\`: ${o.status}${o.seconds !== undefined ? ` in ${o.seconds} s` : ""}${o.reason ? ` — ${o.reason}` : ""}${o.ran && o.ran.date !== date ? ` (kept from the run of ${o.ran.date.slice(0, 16).replace("T", " ")} UTC at ${o.ran.commit})` : ""}`).join("\n")}
`;
writeFileSync(join(dir, "latest.md"), await format(md, { parser: "markdown" }));
// The README shows the latest table, between its markers.
const readme = join(root, "README.md");
const marks = ["<!-- bench:latest:start -->", "<!-- bench:latest:end -->"] as const;
const text = readFileSync(readme, "utf8");
const [from, to] = marks.map((m) => text.indexOf(m));
if (from !== undefined && to !== undefined && from >= 0 && to > from) {
  const table = `| Bench | Figure | Value | Baseline (same run) | Ratio |\n| --- | --- | --- | --- | --- |\n${rows.join("\n")}`;
  const updated = `${text.slice(0, from)}${marks[0]}\n\n${table}\n\n${text.slice(to)}`;
  writeFileSync(readme, await format(updated, { parser: "markdown" }));
}
console.log(md);
process.exitCode = outcomes.some((o) => o.status === "failed") ? 1 : 0;
