// npm run bench:scan — the dependency scan against an offline OSV database, side by side in one
// run: loading + indexing the database (a directory of records and OSV's zip form), matching a
// large lockfile against the index, and the whole scan (load + index + match) as the Action runs
// it. The database (50,000 records across npm and PyPI, several ranges, CVSS v3.1/v4.0 vectors) is
// generated deterministically into a temp dir; a share of its records targets packages of the
// lockfile so matching does real range work. Target: the whole scan of the directory under 2 s.
// Then (d) the whole scan as a process of its own, lockfiles to findings, beside osv-scanner v2
// (`scan source --offline-vulnerabilities`, built from the Go module proxy by
// scripts/build-osv-scanner.sh) on the same lockfiles and the same records as OSV's per-ecosystem
// all.zip: time, peak resident memory (GNU time) and the findings of both, compared.
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { errorMessage } from "../policies/errors.ts";
import { isRecord } from "../policies/guards.ts";
import { openOfflineDatabase } from "../supply-chain/scan/osv/offline-database.ts";
import type { LockedPackage } from "../supply-chain/scan/types.ts";
import {
  deflatedZip,
  keyOf,
  median,
  osvScannerFindings,
  timedProcess,
  type TimedRun,
} from "./osv-compare.ts";
import { printBenchResult, type BenchFigure } from "./result.ts";

// ---------------------------------------------------------------------------------------------
// (d)'s mcp-warden side, in its own process: the lockfiles of LOCKDIR parsed, the database opened,
// matched; the findings as keys on stdout.
if (process.argv[2] === "--scan") {
  const [, , , db = "", lockDir = ""] = process.argv;
  const { parseLockfile } = await import("../supply-chain/scan/lockfiles/index.ts");
  const locked: LockedPackage[] = [];
  for (const file of ["package-lock.json", "requirements.txt"])
    locked.push(...parseLockfile(file, await readFile(join(lockDir, file), "utf8")).packages);
  const source = await openOfflineDatabase(db);
  const findings = (await source.matches(locked)).map((m) =>
    keyOf([m.package.ecosystem, m.package.name, m.package.version, m.finding.id]),
  );
  // Exit once the whole report is written: a pipe takes it in pieces, and exit drops the rest.
  process.stdout.write(JSON.stringify({ packages: locked.length, findings }), () =>
    process.exit(0),
  );
  await new Promise(() => {});
}

const RECORDS = Number(process.env.BENCH_RECORDS ?? 50_000);
const MATCH_MS = Number(process.env.BENCH_MS ?? 1000);
const RUNS = 2;
const LOCKFILE = new URL("../test/fixtures/lockfiles/npm-large/package-lock.json", import.meta.url);
const PARSERS = new URL("../supply-chain/scan/lockfiles/index.ts", import.meta.url);

// mulberry32: a small seeded PRNG, so every run generates the same database.
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(20260101);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const int = (n: number): number => Math.floor(random() * n);

/** The lockfile's packages through the project's parser when it is there, else read directly. */
async function npmPackages(): Promise<{ packages: LockedPackage[]; how: string }> {
  if (!existsSync(LOCKFILE)) return { packages: [], how: "no lockfile fixture" };
  const text = readFileSync(LOCKFILE, "utf8");
  if (existsSync(PARSERS)) {
    try {
      const parsers: unknown = await import(PARSERS.href);
      if (isRecord(parsers) && typeof parsers.parseLockfile === "function") {
        const lockfile: unknown = await (
          parsers.parseLockfile as (file: string, text: string) => unknown
        )("package-lock.json", text);
        if (isRecord(lockfile) && Array.isArray(lockfile.packages))
          return { packages: lockfile.packages as LockedPackage[], how: "parseLockfile" };
      }
    } catch (e) {
      console.error(`parseLockfile failed (${errorMessage(e)}); reading the lockfile directly`);
    }
  }
  // package-lock v3: `packages["node_modules/<name>"].version`.
  const lock: unknown = JSON.parse(text);
  const entries = isRecord(lock) && isRecord(lock.packages) ? Object.entries(lock.packages) : [];
  const packages = entries.flatMap(([path, entry]): LockedPackage[] => {
    const cut = path.lastIndexOf("node_modules/");
    if (cut < 0 || !isRecord(entry) || typeof entry.version !== "string") return [];
    const name = path.slice(cut + "node_modules/".length);
    return [{ ecosystem: "npm", name, version: entry.version, file: "package-lock.json" }];
  });
  return { packages, how: "package-lock.json read directly" };
}

const { packages: npm, how } = await npmPackages();
// A Python side for PyPI matching (uv.lock-sized), plus synthetic npm packages if the lockfile
// fixture is missing, so the scan always has at least 2,000 packages.
const pypi: LockedPackage[] = Array.from({ length: 600 }, (_, i) => ({
  ecosystem: "PyPI",
  name: `py-package-${i}`,
  version: `${int(4)}.${int(30)}.${int(10)}`,
  file: "uv.lock",
}));
const syntheticNpm: LockedPackage[] =
  npm.length >= 1500
    ? []
    : Array.from({ length: 2000 }, (_, i) => ({
        ecosystem: "npm",
        name: i % 3 === 0 ? `@scope-${i % 17}/pkg-${i}` : `pkg-${i}`,
        version: `${int(5)}.${int(20)}.${int(10)}`,
        file: "package-lock.json",
      }));
const packages = [...npm, ...syntheticNpm, ...pypi];

const VECTORS = [
  "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
  "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H",
  "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H",
  "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N",
  "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N",
  "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N",
];
const GHSA = "23456789cfghjmpqrvwx";
const ghsaId = (): string =>
  `GHSA-${[4, 4, 4].map((n) => Array.from({ length: n }, () => pick([...GHSA])).join("")).join("-")}`;

/** Ranges around a version: often containing it, sometimes just past it. */
function ranges(ecosystem: "npm" | "PyPI", around: string): object[] {
  const [major = 0, minor = 0, patch = 0] = around
    .split(".")
    .map((p) => Number.parseInt(p, 10) || 0);
  const type = ecosystem === "npm" && random() < 0.3 ? "SEMVER" : "ECOSYSTEM";
  const count = 1 + int(3);
  return Array.from({ length: count }, (_, i) => {
    const base = major + i;
    const events: object[] = [{ introduced: i === 0 && random() < 0.5 ? "0" : `${base}.0.0` }];
    if (random() < 0.15) events.push({ last_affected: `${base}.${minor}.${patch}` });
    else events.push({ fixed: `${base}.${minor + int(3)}.${patch + int(3)}` });
    return { type, events };
  });
}

function record(ecosystem: "npm" | "PyPI", name: string, around: string, n: number): object {
  const day = `2025-${String(1 + (n % 12)).padStart(2, "0")}-${String(1 + (n % 28)).padStart(2, "0")}`;
  const id = ghsaId();
  const vector = pick(VECTORS);
  const type = vector.startsWith("CVSS:4.0/") ? "CVSS_V4" : "CVSS_V3";
  return {
    schema_version: "1.4.0",
    id,
    modified: `${day}T12:00:00Z`,
    published: `${day}T10:00:00Z`,
    aliases: [`CVE-2025-${10000 + n}`],
    summary: `${name} mishandles untrusted input in component ${n % 97}`,
    details:
      `An issue in ${name} allows a remote attacker to cause a denial of service or read data it should not. `.repeat(
        4,
      ),
    // Most GitHub advisories carry a vector; the rest only the database's word.
    ...(random() < 0.85 ? { severity: [{ type, score: vector }] } : {}),
    affected: [{ package: { ecosystem, name }, ranges: ranges(ecosystem, around) }],
    references: [
      { type: "ADVISORY", url: `https://nvd.nist.gov/vuln/detail/CVE-2025-${10000 + n}` },
      { type: "PACKAGE", url: `https://example.com/${ecosystem}/${name}` },
    ],
    database_specific: {
      cwe_ids: [`CWE-${pick([22, 78, 79, 400, 918, 1188])}`],
      severity: pick(["CRITICAL", "HIGH", "MODERATE", "LOW"]),
      github_reviewed: true,
    },
  };
}

// 40% of the records target packages of the lockfiles, the rest a wide pool of other packages.
const files: Record<string, Uint8Array> = {};
const encoder = new TextEncoder();
for (let n = 0; n < RECORDS; n++) {
  const target = random() < 0.4 ? pick(packages) : undefined;
  const ecosystem = target?.ecosystem === "PyPI" || (!target && random() < 0.3) ? "PyPI" : "npm";
  const name = target?.name ?? `${ecosystem === "npm" ? "other" : "other-py"}-${int(15_000)}`;
  const value = record(ecosystem, name, target?.version ?? `${int(5)}.${int(10)}.${int(10)}`, n);
  const id = (value as { id: string }).id;
  files[`${ecosystem}/${id}.json`] = encoder.encode(JSON.stringify(value, null, 2));
}

const dir = await mkdtemp(join(tmpdir(), "mcp-warden-bench-scan-"));
try {
  const tree = join(dir, "osv");
  for (const ecosystem of ["npm", "PyPI"]) await mkdir(join(tree, ecosystem), { recursive: true });
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(tree, name), bytes);
  const zip = join(dir, "all.zip");
  await writeFile(zip, deflatedZip(Object.entries(files)));
  // For (d): the lockfiles, and the records as osv-scanner 2.6 (osv-scalibr's local matcher)
  // reads them, `<local-db-path>/osv-scalibr/<Ecosystem>/all.zip`.
  const lockDir = join(dir, "lock");
  await mkdir(lockDir);
  if (existsSync(LOCKFILE)) await copyFile(LOCKFILE, join(lockDir, "package-lock.json"));
  await writeFile(
    join(lockDir, "requirements.txt"),
    pypi.map((p) => `${p.name}==${p.version}\n`).join(""),
  );
  const scannerDb = join(dir, "osv-scanner-db");
  for (const ecosystem of ["npm", "PyPI"]) {
    await mkdir(join(scannerDb, "osv-scalibr", ecosystem), { recursive: true });
    await writeFile(
      join(scannerDb, "osv-scalibr", ecosystem, "all.zip"),
      deflatedZip(
        Object.entries(files)
          .filter(([name]) => name.startsWith(`${ecosystem}/`))
          .map(([name, bytes]) => [name.slice(ecosystem.length + 1), bytes] as const),
      ),
    );
  }
  const bytes = Object.values(files).reduce((sum, b) => sum + b.length, 0);

  console.log(
    `database: ${Object.keys(files).length.toLocaleString("en-US")} OSV records (${(bytes / 1e6).toFixed(1)} MB of JSON), npm and PyPI`,
  );
  console.log(
    `packages: ${packages.length.toLocaleString("en-US")} (${npm.length} npm from test/fixtures/lockfiles/npm-large via ${how}${syntheticNpm.length > 0 ? `, ${syntheticNpm.length} synthetic npm` : ""}, ${pypi.length} synthetic PyPI)`,
  );

  const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const start = performance.now();
    const result = await fn();
    return [result, performance.now() - start];
  };
  const row = (name: string, ms: number, extra = ""): void =>
    console.log(`${name.padEnd(44)} ${ms.toFixed(0).padStart(7)} ms  ${extra}`);

  // The whole scan first, while nothing else is held in memory: as the Action runs it.
  const whole = async (path: string): Promise<number> => {
    const runs: number[] = [];
    for (let i = 0; i < RUNS; i++)
      runs.push((await time(async () => (await openOfflineDatabase(path)).matches(packages)))[1]);
    return median(runs);
  };
  const scanZip = await whole(zip);
  const scanDir = await whole(tree);

  const loads: Record<string, number[]> = { directory: [], zip: [] };
  for (let i = 0; i < RUNS; i++) {
    loads.directory?.push((await time(() => openOfflineDatabase(tree)))[1]);
    loads.zip?.push((await time(() => openOfflineDatabase(zip)))[1]);
  }
  row("(a) load + index, directory", median(loads.directory ?? []));
  row("(a) load + index, all.zip", median(loads.zip ?? []));

  const source = await openOfflineDatabase(zip);
  const matches = await source.matches(packages);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < MATCH_MS) {
    await source.matches(packages);
    n++;
  }
  const matchMs = (performance.now() - start) / n;
  row(
    "(b) match (index ready)",
    matchMs,
    `${Math.round(packages.length / (matchMs / 1000)).toLocaleString("en-US")} packages/s, ${matches.length.toLocaleString("en-US")} findings`,
  );
  for (const [form, ms] of [
    ["directory", scanDir],
    ["all.zip", scanZip],
  ] as const)
    row(
      `(c) whole scan: load + index + match, ${form}`,
      ms,
      `${Math.round(packages.length / (ms / 1000)).toLocaleString("en-US")} packages/s`,
    );
  // The target is for the directory form; the zip form (inflating every entry) is reported beside.
  console.log(
    `target: whole scan of the directory < 2 s — ${scanDir < 2000 ? "met" : "NOT met"} (directory ${(scanDir / 1000).toFixed(2)} s, all.zip ${(scanZip / 1000).toFixed(2)} s; medians of ${RUNS} runs)`,
  );
  console.log(`(${source.description}; ${pathToFileURL(dir).href} removed after the run)`);

  const processes = await sideBySide(tree, zip, lockDir, scannerDb);
  printBenchResult("scan", [
    {
      name: "whole scan, directory",
      value: scanDir,
      unit: "ms",
      baseline: { name: "target", value: 2000 },
    },
    {
      name: "whole scan, all.zip",
      value: scanZip,
      unit: "ms",
      baseline: { name: "whole scan, directory", value: scanDir },
    },
    { name: "match (index ready)", value: matchMs, unit: "ms" },
    ...processes,
  ]);
} finally {
  await rm(dir, { recursive: true, force: true });
}

/** (d): the whole scan, each side a process of its own, alternating, RUNS times. */
async function sideBySide(
  tree: string,
  zip: string,
  lockDir: string,
  scannerDb: string,
): Promise<BenchFigure[]> {
  if (!existsSync(join(lockDir, "package-lock.json"))) {
    console.log("(d) skipped: no lockfile fixture");
    return [];
  }
  const run = promisify(execFile);
  let osvScanner: string | undefined;
  try {
    const script = fileURLToPath(new URL("../scripts/build-osv-scanner.sh", import.meta.url));
    osvScanner = (
      await run("bash", [script], { maxBuffer: 64 * 1024 * 1024, timeout: 3_600_000 })
    ).stdout
      .trim()
      .split("\n")
      .pop();
  } catch (e) {
    console.log(
      `(d) osv-scanner left out: scripts/build-osv-scanner.sh failed (${errorMessage(e)})`,
    );
  }
  const self = fileURLToPath(import.meta.url);
  const sides: { name: string; go: () => Promise<TimedRun> }[] = [
    {
      name: "mcp-warden, directory",
      go: () => timedProcess(process.execPath, [self, "--scan", tree, lockDir]),
    },
    {
      name: "mcp-warden, all.zip",
      go: () => timedProcess(process.execPath, [self, "--scan", zip, lockDir]),
    },
  ];
  if (osvScanner !== undefined)
    sides.push({
      name: "osv-scanner scan source, all.zip",
      go: () =>
        timedProcess(osvScanner, [
          "scan",
          "source",
          `--lockfile=${join(lockDir, "package-lock.json")}`,
          `--lockfile=${join(lockDir, "requirements.txt")}`,
          "--offline-vulnerabilities",
          `--local-db-path=${scannerDb}`,
          "--all-vulns",
          "--format=json",
        ]),
    });
  const runs = sides.map(() => [] as TimedRun[]);
  for (let i = 0; i < RUNS + 1; i++)
    for (const [s, side] of sides.entries()) runs[s]?.push(await side.go());
  const fmt = (n: number): string => n.toLocaleString("en-US");
  const ours = new Set(
    (JSON.parse(runs[0]?.[0]?.stdout ?? "{}") as { findings: string[] }).findings,
  );
  const machine = `${cpus()[0]?.model ?? "?"} × ${cpus().length}, Node ${process.version}`;
  console.log(`(d) the whole scan as a process, lockfiles to findings (${machine}):`);
  const figures = sides.map((side, s) => {
    const list = runs[s] ?? [];
    return {
      name: side.name,
      ms: median(list.map((r) => r.ms)),
      rssMiB: Math.max(...list.map((r) => r.rssMiB)),
      findings:
        s < 2
          ? new Set((JSON.parse(list[0]?.stdout ?? "{}") as { findings: string[] }).findings)
          : osvScannerFindings(list[0]?.stdout ?? "{}").findings,
    };
  });
  for (const f of figures)
    console.log(
      `    ${f.name.padEnd(40)} ${(f.ms / 1000).toFixed(2).padStart(6)} s  ${f.rssMiB.toFixed(0).padStart(5)} MiB peak RSS  ${fmt(f.findings.size)} findings`,
    );
  const scanner = figures[2];
  if (scanner !== undefined) {
    const onlyOurs = [...ours].filter((k) => !scanner.findings.has(k));
    const onlyTheirs = [...scanner.findings].filter((k) => !ours.has(k));
    const dirSide = figures[0]!;
    console.log(
      `    ratio osv-scanner / mcp-warden (directory): time ${(scanner.ms / dirSide.ms).toFixed(2)}×, peak memory ${(scanner.rssMiB / dirSide.rssMiB).toFixed(2)}× (time: medians of ${RUNS + 1} runs, memory: the highest)`,
    );
    console.log(
      `    findings: ${fmt(ours.size - onlyOurs.length)} in both, ${onlyOurs.length} only mcp-warden, ${onlyTheirs.length} only osv-scanner`,
    );
    for (const k of [
      ...onlyOurs.slice(0, 10).map((k) => `only mcp-warden: ${k}`),
      ...onlyTheirs.slice(0, 10).map((k) => `only osv-scanner: ${k}`),
    ])
      console.log(`      ${k}`);
  }
  // osv-scanner is the baseline of the directory scan's time and memory, measured in the same run.
  const dirSide = figures[0]!;
  const base = (value: number) =>
    scanner === undefined ? {} : { baseline: { name: "osv-scanner scan source", value } };
  return [
    { name: "scan process, directory", value: dirSide.ms, unit: "ms", ...base(scanner?.ms ?? 0) },
    {
      name: "scan process peak RSS, directory",
      value: dirSide.rssMiB,
      unit: "MiB",
      ...base(scanner?.rssMiB ?? 0),
    },
  ];
}
