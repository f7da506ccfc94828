// npm run bench:image — the inventory and vulnerability scan of a realistic image, side by side in
// one run with `osv-scanner scan image --archive` on the same image saved as a tarball, both against
// the same offline advisory database: the wall time of each (median of RUNS runs), their ratio,
// the peak RSS of each process, and the findings of the two compared (package, version, advisory).
//
// The image (scripts/build-bench-image.sh, cached): a Debian 12 root filesystem unpacked from the
// real .debs of a Python + build toolchain image with its dpkg status, PyPI MCP servers installed
// with pip, and npm MCP servers installed with npm, in three gzip layers. It is pushed to a local
// registry (Debian's docker-registry) and read by mcp-warden through its registry client, as
// `evaluate --image` does; crane saves it from there as a `docker save` tarball for osv-scanner.
// The database: OSV records generated deterministically for the packages in the image (ranges that
// contain the installed version, that end at or below it, that begin above it) and for packages
// that are not there, in the layout `mcp-warden db download` writes (`<Ecosystem>/<ID>.json`) for
// mcp-warden and as `osv-scalibr/<Ecosystem>/all.zip` under `--local-db-path` for osv-scanner
// (where osv-scanner 2.6's local matcher, from osv-scalibr, looks).
//
// The mcp-warden side runs as a child process (`node bench/image.ts --scan REF DB`, what
// `evaluate --image` does for SC-04: pull, inventory, open the database, match), so both sides are
// timed the same way: a process start to its exit, under /usr/bin/time for the peak RSS.
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PackageURL } from "packageurl-js";
import { readInventory, scannablePackages } from "../supply-chain/image/inventory.ts";
import { pullImage } from "../supply-chain/image/pull.ts";
import { RegistryClient } from "../supply-chain/registry/client.ts";
import { MEDIA_TYPES } from "../supply-chain/registry/types.ts";
import { openOfflineDatabase } from "../supply-chain/scan/osv/offline-database.ts";
import {
  deflatedZip,
  keyOf,
  median,
  osvScannerFindings,
  timedProcess,
  type TimedRun,
} from "./osv-compare.ts";
import { printBenchResult } from "./result.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Bump when the generated database changes, so a cached one is not reused. */
const DB_RECIPE = 2;

// ---------------------------------------------------------------------------------------------
// The mcp-warden side, in its own process.
if (process.argv[2] === "--scan") {
  const [, , , ref = "", db = ""] = process.argv;
  const client = new RegistryClient();
  const pulled = await pullImage(client, ref);
  const inventory = await readInventory(client, pulled);
  const source = await openOfflineDatabase(db);
  const matches = await source.matches(scannablePackages(inventory.packages, inventory.os));
  const findings = new Set<string>();
  for (const m of matches) {
    // OS packages are matched by their source package; the finding names the binary package
    // (its purl), as osv-scanner's output does.
    let { name, version } = m.package;
    const ecosystem = m.package.ecosystem.replace(/:.*/, "");
    if (ecosystem === "Debian" && m.package.purl !== undefined) {
      const purl = PackageURL.fromString(m.package.purl);
      name = purl.name;
      version = purl.version ?? version;
    }
    findings.add(keyOf([ecosystem, name, version, m.finding.id]));
  }
  const counts: Record<string, number> = {};
  for (const p of inventory.packages) counts[p.ecosystem] = (counts[p.ecosystem] ?? 0) + 1;
  // Exit once the whole report is written: a pipe takes it in pieces, and exit drops the rest.
  process.stdout.write(JSON.stringify({ packages: counts, findings: [...findings] }), () =>
    process.exit(0),
  );
  await new Promise(() => {});
}

// ---------------------------------------------------------------------------------------------
// The parts, the tools and the database.
const sh = async (script: string, env: NodeJS.ProcessEnv = {}): Promise<string> => {
  const child = spawn("bash", [join(ROOT, "scripts", script)], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`scripts/${script} failed (exit ${code})`);
  return out.trim().split("\n").pop() ?? "";
};

let start = performance.now();
const parts = await sh("build-bench-image.sh");
console.error(`image parts: ${parts} (${((performance.now() - start) / 1000).toFixed(1)} s)`);
start = performance.now();
const osvScanner = await sh("build-osv-scanner.sh");
console.error(`osv-scanner: ${osvScanner} (${((performance.now() - start) / 1000).toFixed(1)} s)`);
const tools = await sh("build-supply-chain-tools.sh");
const crane = join(tools, "crane");

// mulberry32: a small seeded PRNG, so every build generates the same database.
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(20261204);
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;

interface Installed {
  ecosystem: "Debian" | "PyPI" | "npm";
  name: string;
  version: string;
}

/** The packages in the image, read from what the build script wrote beside the layers. */
function installed(): Installed[] {
  const out: Installed[] = [];
  // Debian: advisories name source packages, at the source version.
  for (const stanza of readFileSync(join(parts, "dpkg-status"), "utf8").split(/\n\n+/)) {
    const field = (f: string): string | undefined =>
      new RegExp(`^${f}: (.*)$`, "m").exec(stanza)?.[1]?.trim();
    const pkg = field("Package");
    const version = field("Version");
    if (pkg === undefined || version === undefined) continue;
    const source = /^(\S+)(?: \((.+)\))?$/.exec(field("Source") ?? pkg);
    out.push({ ecosystem: "Debian", name: source?.[1] ?? pkg, version: source?.[2] ?? version });
  }
  for (const [file, ecosystem] of [
    ["pypi.tsv", "PyPI"],
    ["npm.tsv", "npm"],
  ] as const)
    for (const line of readFileSync(join(parts, file), "utf8").split("\n")) {
      const [name, version] = line.split("\t");
      if (name && version)
        out.push({
          ecosystem,
          name: ecosystem === "PyPI" ? name.toLowerCase().replace(/[-_.]+/g, "-") : name,
          version,
        });
    }
  const seen = new Set<string>();
  return out.filter((p) => {
    const k = `${p.ecosystem} ${p.name} ${p.version}`;
    return !seen.has(k) && (seen.add(k), true);
  });
}

const VECTORS = [
  "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
  "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H",
  "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N",
  "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N",
];

/** A semver (or PEP 440 release) just above `v`, and one at or below it. */
function bump(v: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v) ?? /^(\d+)\.(\d+)()/.exec(v);
  if (m === null) return `${v}.1`;
  const [, a, b, c] = m;
  return pick([
    `${a}.${b}.${Number(c || 0) + 1}`,
    `${a}.${Number(b) + 1}.0`,
    `${Number(a) + 1}.0.0`,
  ]);
}
function lower(v: string): string {
  const m = /^(\d+)\.(\d+)/.exec(v);
  if (m === null || (m[1] === "0" && m[2] === "0")) return "0.0.0";
  return m[2] === "0" ? `${Number(m[1]) - 1}.9.0` : `${m[1]}.${Number(m[2]) - 1}.0`;
}

/** Debian ranges around an installed source version, in dpkg syntax. */
function debianEvents(v: string): object[] {
  const r = random();
  if (r < 0.25) return [{ introduced: "0" }]; // not fixed yet in the release: affected
  if (r < 0.5) return [{ introduced: "0" }, { fixed: `${v}+deb12u${1 + int(3)}` }]; // affected
  if (r < 0.6) return [{ introduced: "0" }, { fixed: v }]; // fixed in this very version
  if (r < 0.7) return [{ introduced: "0" }, { fixed: `${v}~deb12u1` }]; // ~ sorts before: fixed
  if (r < 0.85) {
    const epoch = /^(\d+):/.exec(v)?.[1];
    return [{ introduced: "0" }, { fixed: `${epoch === undefined ? "" : `${epoch}:`}0.1-1` }];
  }
  return [{ introduced: "0" }, { fixed: `${Number(/^(\d+):/.exec(v)?.[1] ?? 0) + 1}:0.1-1` }];
}

/** npm (SEMVER) and PyPI (ECOSYSTEM) ranges around an installed version. */
function libraryEvents(v: string, pypi: boolean): object[] {
  const r = random();
  if (r < 0.3) return [{ introduced: "0" }, { fixed: bump(v) }]; // affected
  if (r < 0.45) return [{ introduced: lower(v) }, { last_affected: v }]; // affected
  if (r < 0.6) return [{ introduced: "0" }, { fixed: v }]; // fixed in it
  if (r < 0.75) return [{ introduced: bump(v) }, { fixed: bump(bump(v)) }]; // later versions only
  if (r < 0.85 && pypi) return [{ introduced: "0" }, { fixed: `${v}rc1` }]; // pre-release of it
  if (r < 0.85) return [{ introduced: "0" }, { fixed: `${v}-rc.1` }];
  return [{ introduced: "0" }, { last_affected: lower(v) }]; // older only
}

let serial = 0;
function record(ecosystem: string, name: string, events: object[], extra: object = {}): object {
  serial++;
  const day = `2026-${String(1 + (serial % 11)).padStart(2, "0")}-${String(1 + (serial % 28)).padStart(2, "0")}`;
  const debian = ecosystem.startsWith("Debian");
  const id = debian
    ? serial % 5 === 0
      ? `DSA-${5000 + serial}-1`
      : `DEBIAN-CVE-2026-${10000 + serial}`
    : ecosystem === "PyPI" && serial % 3 === 0
      ? `PYSEC-2026-${serial}`
      : `GHSA-bnch-${(serial % 10000).toString().padStart(4, "0")}-${Math.floor(serial / 10000)
          .toString()
          .padStart(4, "0")}`;
  const vector = pick(VECTORS);
  return {
    schema_version: "1.6.0",
    id,
    modified: `${day}T12:00:00Z`,
    published: `${day}T10:00:00Z`,
    aliases: debian && id.startsWith("DSA-") ? [`CVE-2026-${10000 + serial}`] : [],
    ...(debian ? { upstream: [`CVE-2026-${10000 + serial}`] } : {}),
    summary: `${name}: crafted input leads to a crash or disclosure (${serial})`,
    details: `An issue in ${name} lets a remote attacker cause a denial of service. `.repeat(3),
    ...(debian || random() < 0.15
      ? {}
      : {
          severity: [{ type: vector.startsWith("CVSS:4") ? "CVSS_V4" : "CVSS_V3", score: vector }],
        }),
    affected: [
      {
        package: { ecosystem, name, ...(debian ? { purl: `pkg:deb/debian/${name}` } : {}) },
        ranges: [{ type: ecosystem === "npm" && random() < 0.8 ? "SEMVER" : "ECOSYSTEM", events }],
        ...extra,
      },
    ],
    references: [{ type: "ADVISORY", url: `https://example.com/advisory/${serial}` }],
  };
}

/** Records for every package in the image (0 to 6 each) and twice as many for packages not in it. */
function generate(packages: readonly Installed[]): Map<string, object[]> {
  const byEcosystem = new Map<string, object[]>();
  const add = (ecosystem: string, r: object): void => {
    const list = byEcosystem.get(ecosystem) ?? [];
    list.push(r);
    byEcosystem.set(ecosystem, list);
  };
  for (const p of packages) {
    for (let i = int(7); i > 0; i--) {
      if (p.ecosystem === "Debian") {
        const urgency = pick(["unimportant", "low", "medium", "high", "not yet assigned"]);
        add(
          "Debian",
          record("Debian:12", p.name, debianEvents(p.version), {
            ecosystem_specific: { urgency },
          }),
        );
      } else
        add(
          p.ecosystem,
          record(p.ecosystem, p.name, libraryEvents(p.version, p.ecosystem === "PyPI")),
        );
    }
    // The same package in another release of Debian, which must not match.
    if (p.ecosystem === "Debian" && random() < 0.3)
      add("Debian", record("Debian:11", p.name, [{ introduced: "0" }]));
  }
  const count = [...byEcosystem.values()].reduce((n, l) => n + l.length, 0);
  for (let i = 0; i < 2 * count; i++) {
    const ecosystem = pick(["Debian", "npm", "npm", "PyPI"] as const);
    const v = `${int(5)}.${int(20)}.${int(10)}`;
    add(
      ecosystem,
      ecosystem === "Debian"
        ? record("Debian:12", `other-source-${int(20_000)}`, debianEvents(`${v}-1`))
        : record(ecosystem, `other-package-${int(20_000)}`, libraryEvents(v, ecosystem === "PyPI")),
    );
  }
  return byEcosystem;
}

/** The database in both layouts, generated once: `json/<Ecosystem>/<ID>.json` and `zip/osv-scalibr/<Ecosystem>/all.zip`. */
async function database(
  packages: readonly Installed[],
): Promise<{ dir: string; records: Map<string, number> }> {
  const dir = join(parts, `osv-db-${DB_RECIPE}`);
  const records = new Map<string, number>();
  if (!existsSync(join(dir, "done"))) {
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    const encoder = new TextEncoder();
    for (const [ecosystem, list] of generate(packages)) {
      const entries = list.map((r): [string, Uint8Array] => [
        `${(r as { id: string }).id}.json`,
        encoder.encode(JSON.stringify(r, null, 2)),
      ]);
      await mkdir(join(tmp, "json", ecosystem), { recursive: true });
      for (const [name, bytes] of entries)
        await writeFile(join(tmp, "json", ecosystem, name), bytes);
      // osv-scanner 2.6 (osv-scalibr's local matcher) reads `<local-db-path>/osv-scalibr/<Ecosystem>/all.zip`.
      await mkdir(join(tmp, "zip", "osv-scalibr", ecosystem), { recursive: true });
      await writeFile(join(tmp, "zip", "osv-scalibr", ecosystem, "all.zip"), deflatedZip(entries));
    }
    await writeFile(join(tmp, "done"), "");
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  }
  for (const ecosystem of ["Debian", "PyPI", "npm"]) {
    const { stdout } = await run("find", [join(dir, "json", ecosystem), "-name", "*.json"], {
      maxBuffer: 64 * 1024 * 1024,
    });
    records.set(ecosystem, stdout.split("\n").filter(Boolean).length);
  }
  return { dir, records };
}

const packages = installed();
start = performance.now();
const db = await database(packages);
console.error(`database: ${db.dir} (${((performance.now() - start) / 1000).toFixed(1)} s)`);

// ---------------------------------------------------------------------------------------------
// The image: pushed to a local registry, saved from there as a tarball.
const { startRegistry } = await import("../test/support/registry-server.ts");
const registry = await startRegistry();
try {
  const client = new RegistryClient();
  const repo = `${registry.host}/bench/image`;
  const layers = [];
  const diffIds: string[] = [];
  let uncompressed = 0;
  let compressed = 0;
  for (const n of [1, 2, 3]) {
    const tar = join(parts, `layer-${n}.tar`);
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(tar)) {
      hash.update(chunk as Buffer);
      uncompressed += (chunk as Buffer).length;
    }
    diffIds.push(`sha256:${hash.digest("hex")}`);
    const gz = await readFile(join(parts, `layer-${n}.tar.gz`));
    compressed += gz.length;
    layers.push(await client.pushBlob(repo, gz, MEDIA_TYPES.ociLayerTarGzip));
  }
  const config = await client.pushBlob(
    repo,
    new TextEncoder().encode(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: {
          Entrypoint: [
            "node",
            "/app/mcp-server-kubernetes/node_modules/mcp-server-kubernetes/dist/index.js",
          ],
        },
        rootfs: { type: "layers", diff_ids: diffIds },
      }),
    ),
    MEDIA_TYPES.ociConfig,
  );
  const manifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config, layers };
  const pushed = await client.pushManifest(
    repo,
    "v1",
    new TextEncoder().encode(JSON.stringify(manifest)),
    MEDIA_TYPES.ociManifest,
  );
  const ref = `${repo}:v1`;
  // The same layers make the same manifest: its tarball is saved once, beside the parts.
  const archive = join(parts, `image-${pushed.descriptor.digest.replace("sha256:", "")}.tar`);
  if (!existsSync(archive)) {
    await run(crane, ["pull", "--insecure", "--format=tarball", ref, `${archive}.part`], {
      timeout: 600_000,
    });
    await rename(`${archive}.part`, archive);
  }

  // -------------------------------------------------------------------------------------------
  // The runs: alternating, each a process timed from its start to its exit.
  const warden = (): Promise<TimedRun> =>
    timedProcess(process.execPath, [
      fileURLToPath(import.meta.url),
      "--scan",
      ref,
      join(db.dir, "json"),
    ]);
  const scanner = (): Promise<TimedRun> =>
    timedProcess(osvScanner, [
      "scan",
      "image",
      "--archive",
      "--offline",
      "--offline-vulnerabilities",
      `--local-db-path=${join(db.dir, "zip")}`,
      "--all-vulns",
      "--format=json",
      archive,
    ]);
  const wardenRuns: TimedRun[] = [];
  const scannerRuns: TimedRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    wardenRuns.push(await warden());
    scannerRuns.push(await scanner());
    console.error(
      `run ${i + 1}/${RUNS}: mcp-warden ${(wardenRuns[i]!.ms / 1000).toFixed(2)} s, osv-scanner ${(scannerRuns[i]!.ms / 1000).toFixed(2)} s`,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Findings.
  const ours = JSON.parse(wardenRuns[0]!.stdout) as {
    packages: Record<string, number>;
    findings: string[];
  };
  const { findings: theirs, packages: theirPackages } = osvScannerFindings(scannerRuns[0]!.stdout);
  const mine = new Set(ours.findings);
  const onlyOurs = [...mine].filter((k) => !theirs.has(k)).sort();
  const onlyTheirs = [...theirs].filter((k) => !mine.has(k)).sort();

  const wMs = median(wardenRuns.map((r) => r.ms));
  const sMs = median(scannerRuns.map((r) => r.ms));
  const wRss = Math.max(...wardenRuns.map((r) => r.rssMiB));
  const sRss = Math.max(...scannerRuns.map((r) => r.rssMiB));
  const { stdout: osvVersion } = await run(osvScanner, ["--version"]);
  const fmt = (n: number): string => n.toLocaleString("en-US");
  const total = [...db.records.values()].reduce((a, b) => a + b, 0);

  console.log(
    `machine: ${cpus()[0]?.model ?? "?"} × ${cpus().length}, Node ${process.version}, ${osvVersion.split("\n")[0]}`,
  );
  console.log(
    `image: 3 layers, ${(uncompressed / 1e6).toFixed(0)} MB uncompressed (${(compressed / 1e6).toFixed(0)} MB gzip); mcp-warden inventories ${Object.entries(
      ours.packages,
    )
      .map(([e, n]) => `${fmt(n)} ${e}`)
      .join(", ")} packages; osv-scanner ${Object.entries(theirPackages)
      .map(([e, n]) => `${fmt(n)} ${e}`)
      .join(", ")} (with a finding or not, as it groups them)`,
  );
  console.log(
    `database: ${fmt(total)} OSV records (${[...db.records].map(([e, n]) => `${e} ${fmt(n)}`).join(", ")}), ${db.dir}`,
  );
  const row = (name: string, ms: number, rss: number, n: number): void =>
    console.log(
      `${name.padEnd(54)} ${(ms / 1000).toFixed(2).padStart(7)} s  ${rss.toFixed(0).padStart(6)} MiB peak RSS  ${fmt(n)} findings`,
    );
  row("mcp-warden: registry pull + inventory + match (dir)", wMs, wRss, mine.size);
  row("osv-scanner scan image --archive --offline (all.zip)", sMs, sRss, theirs.size);
  console.log(
    `ratio: osv-scanner / mcp-warden = ${(sMs / wMs).toFixed(2)}× (medians of ${RUNS} runs)`,
  );
  console.log(
    `findings (ecosystem, package, version, advisory): ${fmt(mine.size - onlyOurs.length)} in both, ${onlyOurs.length} only mcp-warden, ${onlyTheirs.length} only osv-scanner`,
  );
  printBenchResult("image", [
    {
      name: "registry pull + inventory + match",
      value: wMs,
      unit: "ms",
      baseline: { name: "osv-scanner scan image --archive --offline", value: sMs },
    },
    {
      name: "peak RSS",
      value: wRss,
      unit: "MiB",
      baseline: { name: "osv-scanner peak RSS", value: sRss },
    },
    {
      name: "findings",
      value: mine.size,
      unit: "findings",
      baseline: { name: "osv-scanner findings", value: theirs.size },
    },
  ]);
  const LIMIT = Number(process.env.BENCH_SHOW ?? 40);
  for (const [label, list] of [
    ["only mcp-warden", onlyOurs],
    ["only osv-scanner", onlyTheirs],
  ] as const) {
    for (const k of list.slice(0, LIMIT)) console.log(`  ${label}: ${k}`);
    if (list.length > LIMIT) console.log(`  ${label}: … ${list.length - LIMIT} more`);
  }
} finally {
  await registry.stop();
}
