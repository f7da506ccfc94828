import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  evaluateControls,
  meetsThreshold,
  trustLevelOf,
  trustOf,
  verdictOf,
  type Observations,
} from "../../../policies/evaluation/controls.ts";
import { WardenError } from "../../../policies/errors.ts";
import {
  applyControlWaivers,
  applyIgnores,
  parseIgnoreFile,
  type ControlIgnore,
} from "../../../policies/evaluation/ignores.ts";
import { findingSubject } from "../../../policies/evaluation/finding-subject.ts";
import { evaluationFact } from "../../../policies/evaluation/facts.ts";
import type { VulnerabilityFinding } from "../../../policies/evaluation/predicate.ts";
import { settingsDigest } from "../../../policies/evaluation/settings.ts";
import { pinTool } from "../../../policies/evaluation/tool-pins.ts";
import { validPredicate } from "../../support/evaluation.ts";
import { assertThrowsWithCode } from "../../support/throws.ts";

const source = {
  repository: "https://github.com/acme/weather",
  commit: "0123456789abcdef0123456789abcdef01234567",
  workflow: "acme/weather/.github/workflows/release.yml@refs/tags/v1.0.0",
  runId: "42",
  runAttempt: 1,
};

function vuln(
  level: VulnerabilityFinding["severity"]["level"],
  id = "GHSA-aaaa-bbbb-cccc",
): VulnerabilityFinding {
  return {
    id,
    aliases: id === "GHSA-aaaa-bbbb-cccc" ? ["CVE-2025-0001"] : [],
    package: { ecosystem: "npm", name: "left-pad" },
    version: "1.0.0",
    severity: { level },
    fixedVersion: "1.0.1",
  };
}

/**
 * Everything checked and clean, signed keyless in CI, the image itself examined (its inventory
 * read, its tools listed by running it): the best a release can be.
 */
function clean(overrides: Partial<Observations> = {}): Observations {
  return {
    toolDeclaration: { findings: [] },
    descriptionSafety: { findings: [] },
    toolFlows: { findings: [] },
    definitionPins: { findings: [] },
    permissionsDeclared: true,
    vulnerabilities: { findings: [] },
    imageVulnerabilities: { findings: [], evidence: "image inventory of acme/weather" },
    manifestImage: { findings: [] },
    lockfileImage: { findings: [] },
    listing: "image-run",
    pinning: { findings: [] },
    signing: "keyless",
    source,
    ...overrides,
  };
}

const high = { failOnSeverity: "high" } as const;

describe("evaluation controls", () => {
  it("a clean keyless release in CI reaches L4 and passes", () => {
    const controls = evaluateControls(clean(), high);
    assert.deepEqual(
      controls.map((c) => `${c.id}:${c.status}`),
      [
        "AI-01:pass",
        "CD-01:pass",
        "CD-02:pass",
        "CD-03:pass",
        "CD-04:pass",
        "CD-05:pass",
        "SC-02:pass",
        "SC-03:pass",
        "SC-04:pass",
        "SC-05:pass",
        "SC-06:pass",
        "AI-03:pass",
        "PR-01:pass",
        "PR-02:pass",
        "PR-03:pass",
      ],
    );
    assert.equal(trustLevelOf(controls), "L4");
    assert.deepEqual(trustOf(controls).cappedBy, []);
    assert.equal(verdictOf(controls), "pass");
  });

  it("each control records the sources of its evidence", () => {
    const evidence = (obs: Observations) =>
      Object.fromEntries(evaluateControls(obs, high).map((c) => [c.id, c.evidence]));
    assert.deepEqual(evidence(clean()), {
      "AI-01": ["manifest"],
      "CD-01": ["manifest", "image-run"],
      "CD-02": ["manifest"],
      "CD-03": ["manifest", "image-run"],
      "CD-04": ["image-run"],
      "CD-05": ["manifest", "image-run"],
      "SC-02": ["lockfile"],
      "SC-03": ["lockfile"],
      "SC-04": ["image-inventory"],
      "SC-05": ["manifest", "image-inventory"],
      "SC-06": ["lockfile", "image-inventory"],
      "AI-03": [],
      "PR-01": [],
      "PR-02": [],
      "PR-03": [],
    });
    // The package run instead of the image; a skipped control judged nothing.
    const packaged = evidence(
      clean({ listing: "package-run", vulnerabilities: { skipped: "no lockfile" } }),
    );
    assert.deepEqual(packaged["CD-01"], ["manifest", "package-run"]);
    assert.deepEqual(packaged["CD-04"], ["package-run"]);
    assert.deepEqual(packaged["SC-02"], []);
    // Not listed at all: what the manifest declares is all there was.
    const declared = clean({ toolFlows: { findings: [] } });
    delete declared.listing;
    assert.deepEqual(evidence(declared)["CD-04"], ["manifest"]);
    assert.deepEqual(evidence(declared)["CD-03"], ["manifest"]);
  });

  it("without an image: SC-04 absent, SC-05 and SC-06 skipped, capped at L2 and saying why", () => {
    const obs = clean({ listing: "package-run" });
    delete obs.imageVulnerabilities;
    delete obs.manifestImage;
    delete obs.lockfileImage;
    const controls = evaluateControls(obs, high);
    assert.equal(
      controls.find((c) => c.id === "SC-04"),
      undefined,
    );
    for (const id of ["SC-05", "SC-06"]) {
      const c = controls.find((x) => x.id === id);
      assert.equal(c?.status, "skip", id);
      assert.match(c.notes ?? "", /no image was examined/);
    }
    const trust = trustOf(controls);
    assert.equal(trust.level, "L2");
    assert.equal(verdictOf(controls), "pass", "not examining the image lowers the level only");
    assert.ok(
      trust.cappedBy.some((r) => /^L3 needs SC-04: no image was examined/.test(r)),
      trust.cappedBy.join("\n"),
    );
    assert.ok(
      trust.cappedBy.some((r) => /^L3 needs SC-05 to pass: it was skipped \(no image/.test(r)),
    );
    assert.ok(
      trust.cappedBy.some((r) =>
        /^L3 needs the tools listed by running the image itself .*the published package/.test(r),
      ),
    );
  });

  it("the image's inventory without the image run: still L2", () => {
    const controls = evaluateControls(clean({ listing: "package-run" }), high);
    const trust = trustOf(controls);
    assert.equal(trust.level, "L2");
    assert.deepEqual(trust.cappedBy, [
      "L3 needs the tools listed by running the image itself (CD-01 evidence image-run): they were listed by running the published package",
    ]);
    // A predicate read back without evidence (written before it was recorded) earns no L3 either.
    const bare = evaluateControls(clean(), high).map(({ evidence: _, ...c }) => c);
    assert.equal(trustLevelOf(bare), "L2");
  });

  it("a manifest that does not match the image fails SC-05 and the verdict", () => {
    const mismatch = {
      message:
        "the manifest declares npm package mcp-remote 0.1.16 (packages[0]), but the image holds mcp-remote 0.1.15 (/app/node_modules/mcp-remote/package.json)",
      severity: "high" as const,
      location: "server.json#packages[0].version",
    };
    const controls = evaluateControls(clean({ manifestImage: { findings: [mismatch] } }), high);
    assert.equal(controls.find((c) => c.id === "SC-05")?.status, "fail");
    assert.equal(verdictOf(controls), "fail");
    assert.equal(trustLevelOf(controls), "L2");
  });

  it("a lockfile that disagrees with the image warns: SC-06 passes, the verdict too, but not L4", () => {
    const disagreement = {
      message:
        "the image holds zod 3.25.76 (/app/node_modules/zod/package.json), package-lock.json records 3.25.0",
      severity: "medium" as const,
      location: "package-lock.json",
    };
    const controls = evaluateControls(
      clean({ lockfileImage: { findings: [disagreement], notes: "1 disagreement(s)" } }),
      high,
    );
    const sc06 = controls.find((c) => c.id === "SC-06");
    assert.equal(sc06?.status, "pass");
    assert.deepEqual(sc06.findings, [disagreement]);
    assert.equal(sc06.notes, "1 disagreement(s)");
    assert.equal(verdictOf(controls), "pass");
    assert.deepEqual(trustOf(controls), {
      level: "L3",
      cappedBy: ["L4 needs the lockfiles to agree with the image: SC-06 found 1 disagreement(s)"],
    });
  });

  it("key signing proves no workflow identity: L3", () => {
    const controls = evaluateControls(clean({ signing: "key" }), high);
    assert.equal(controls.find((c) => c.id === "PR-03")?.status, "skip");
    assert.equal(trustLevelOf(controls), "L3");
    assert.equal(verdictOf(controls), "pass");
  });

  it("outside CI and unsigned: provenance and signing skipped, capped at L2, still a pass", () => {
    const controls = evaluateControls(clean({ signing: "none", source: undefined }), high);
    for (const id of ["AI-03", "PR-01", "PR-02", "PR-03"]) {
      const c = controls.find((x) => x.id === id);
      assert.equal(c?.status, "skip", id);
      assert.ok(c.notes, `${id} says why it was skipped`);
    }
    assert.equal(trustLevelOf(controls), "L2");
    assert.equal(verdictOf(controls), "pass");
  });

  it("a server that could not be listed caps the level at L1", () => {
    const controls = evaluateControls(
      clean({ toolDeclaration: { skipped: "no stdio command" } }),
      high,
    );
    assert.equal(trustLevelOf(controls), "L1");
    assert.equal(verdictOf(controls), "pass");
  });

  it("a vulnerability at the threshold fails SC-02 and the verdict; below it does not", () => {
    const failing = evaluateControls(
      clean({
        vulnerabilities: {
          findings: [{ vulnerability: vuln("high"), location: "package-lock.json:12" }],
        },
      }),
      high,
    );
    const sc02 = failing.find((c) => c.id === "SC-02");
    assert.equal(sc02?.status, "fail");
    assert.equal(sc02.findings[0]?.location, "package-lock.json:12");
    assert.equal(sc02.findings[0]?.severity, "high");
    assert.equal(verdictOf(failing), "fail");
    assert.equal(trustLevelOf(failing), "L1");

    const below = evaluateControls(
      clean({ vulnerabilities: { findings: [{ vulnerability: vuln("medium") }] } }),
      high,
    );
    assert.equal(below.find((c) => c.id === "SC-02")?.status, "pass");
    assert.equal(
      below.find((c) => c.id === "SC-02")?.findings.length,
      1,
      "recorded even when below the threshold",
    );
  });

  it("an ignored vulnerability does not fail", () => {
    const ignored = {
      ...vuln("critical"),
      ignored: { reason: "not reachable", expires: "2030-01-01T00:00:00.000Z" },
    };
    const controls = evaluateControls(
      clean({ vulnerabilities: { findings: [{ vulnerability: ignored }] } }),
      high,
    );
    assert.equal(controls.find((c) => c.id === "SC-02")?.status, "pass");
  });

  it("threshold none records vulnerabilities without judging them: SC-02 skipped, level capped", () => {
    const controls = evaluateControls(
      clean({ vulnerabilities: { findings: [{ vulnerability: vuln("critical") }] } }),
      { failOnSeverity: "none" },
    );
    const sc02 = controls.find((c) => c.id === "SC-02");
    assert.equal(sc02?.status, "skip");
    assert.equal(sc02.findings.length, 1, "still recorded");
    assert.match(sc02.notes ?? "", /fail-on-severity is none/);
    assert.equal(trustLevelOf(controls), "L1");
    assert.equal(verdictOf(controls), "pass");
  });

  it("thresholds: unknown severity counts as high", () => {
    assert.equal(meetsThreshold("unknown", "high"), true);
    assert.equal(meetsThreshold("unknown", "critical"), false);
    assert.equal(meetsThreshold("low", "low"), true);
    assert.equal(meetsThreshold("medium", "high"), false);
    assert.equal(meetsThreshold("critical", "none"), false);
  });

  it("a toxic flow fails CD-04 and caps the level at L1; not examining it skips CD-04", () => {
    const flow = {
      message: "untrusted content, private data and a sink",
      severity: "medium" as const,
    };
    const failed = evaluateControls(clean({ toolFlows: { findings: [flow] } }), high);
    assert.equal(failed.find((c) => c.id === "CD-04")?.status, "fail");
    assert.equal(trustLevelOf(failed), "L1");
    assert.equal(verdictOf(failed), "fail");
    const withoutFlows = clean();
    delete withoutFlows.toolFlows;
    const skipped = evaluateControls(withoutFlows, high);
    assert.equal(skipped.find((c) => c.id === "CD-04")?.status, "skip");
    assert.equal(trustLevelOf(skipped), "L1");
  });

  it("description findings fail CD-03; missing permissions fail CD-02", () => {
    const controls = evaluateControls(
      clean({
        descriptionSafety: { findings: [{ message: "zero-width text", severity: "high" }] },
        permissionsDeclared: false,
      }),
      high,
    );
    assert.equal(controls.find((c) => c.id === "CD-03")?.status, "fail");
    assert.equal(controls.find((c) => c.id === "CD-02")?.status, "fail");
    assert.equal(verdictOf(controls), "fail");
  });

  it("rule findings the definition model outweighed pass CD-03 and are named in its notes", () => {
    const notes =
      "1 rule finding(s) outweighed by the definition model, …: tools/list:x.description";
    const cd03 = evaluateControls(clean({ descriptionSafety: { findings: [], notes } }), high).find(
      (c) => c.id === "CD-03",
    );
    assert.equal(cd03?.status, "pass");
    assert.equal(cd03?.notes, notes);
  });
});

describe("ignore file", () => {
  const now = new Date("2026-06-01T00:00:00Z");

  it("parses entries and normalises dates to the end of the day, UTC", () => {
    const entries = parseIgnoreFile(
      "ignore:\n  - id: CVE-2025-0001\n    reason: not reachable\n    expires: 2026-07-01\n",
      ".mcp-warden-ignore.yaml",
    );
    assert.deepEqual(entries, [
      { id: "CVE-2025-0001", reason: "not reachable", expires: "2026-07-01T23:59:59.000Z" },
    ]);
  });

  it("reports every bad entry by path", () => {
    const e = assertThrowsWithCode(
      () =>
        parseIgnoreFile(
          "ignore:\n  - id: X\n  - reason: r\n    expires: soon\n    extra: 1\n",
          "ignore.yaml",
        ),
      "INPUT_INVALID",
      WardenError,
    );
    assert.match(e.message, /ignore\.yaml/);
    const paths = e.problems.map((p) => p.path).sort();
    for (const p of [
      "ignore[0].reason",
      "ignore[0].expires",
      "ignore[1]",
      "ignore[1].expires",
      "ignore[1].extra",
    ])
      assert.ok(paths.includes(p), `${p} in ${paths.join(", ")}`);
  });

  it("rejects YAML that does not parse, naming the file and line", () => {
    const e = assertThrowsWithCode(
      () => parseIgnoreFile("ignore: [\n", "x.yaml"),
      "INPUT_INVALID",
      WardenError,
    );
    assert.ok(e.problems.some((p) => p.path.startsWith("x.yaml:")));
  });

  it("a live entry waives by id or alias; an expired one stops waiving and says so", () => {
    const live = {
      id: "CVE-2025-0001",
      reason: "not reachable",
      expires: "2026-07-01T00:00:00.000Z",
    };
    const stale = { id: "GHSA-dddd-eeee-ffff", reason: "old", expires: "2026-01-01T00:00:00.000Z" };
    const unused = {
      id: "GHSA-zzzz-zzzz-zzzz",
      reason: "gone",
      expires: "2027-01-01T00:00:00.000Z",
    };
    const out = applyIgnores(
      [vuln("high"), vuln("critical", "GHSA-dddd-eeee-ffff")],
      [live, stale, unused],
      now,
    );
    assert.deepEqual(out.findings[0]?.ignored, { reason: "not reachable", expires: live.expires });
    assert.equal(out.findings[1]?.ignored, undefined);
    assert.deepEqual(
      out.expired.map((x) => x.entry),
      [stale],
    );
    assert.deepEqual(out.unused, [unused]);
  });

  it("an entry limited to a package does not waive the same id elsewhere", () => {
    const entry = {
      id: "CVE-2025-0001",
      package: "other",
      reason: "r",
      expires: "2027-01-01T00:00:00.000Z",
    };
    assert.equal(applyIgnores([vuln("high")], [entry], now).findings[0]?.ignored, undefined);
  });
});

describe("settings digest", () => {
  it("is stable under key order and changes with the settings", () => {
    const a = settingsDigest({
      failOnSeverity: "high",
      minTrustLevel: "L3",
      ignores: [{ id: "X", reason: "r", expires: "2027-01-01T00:00:00.000Z" }],
    });
    const b = settingsDigest({
      ignores: [{ expires: "2027-01-01T00:00:00.000Z", reason: "r", id: "X" }],
      minTrustLevel: "L3",
      failOnSeverity: "high",
    });
    const c = settingsDigest({ failOnSeverity: "critical", minTrustLevel: "L3", ignores: [] });
    assert.match(a, /^sha256:[a-f0-9]{64}$/);
    assert.equal(a, b);
    assert.notEqual(a, c);
  });
});

describe("what a verified evaluation is worth at admission", () => {
  const base = validPredicate();

  it("L4 needs a keyless signature: a key-signed L4 counts as L3", () => {
    const l4 = { ...base, trustLevel: "L4" as const };
    assert.equal(evaluationFact({ predicate: l4, signer: "key:sha256:abc" }).trustLevel, "L3");
    assert.equal(
      evaluationFact({ predicate: l4, signer: "keyless:https://issuer:https://subject" })
        .trustLevel,
      "L4",
    );
    assert.equal(evaluationFact({ predicate: base, signer: "key:sha256:abc" }).trustLevel, "L3");
  });

  it("a failed control fails the evaluation whatever its verdict says", () => {
    const forged = {
      ...base,
      verdict: "pass" as const,
      controls: base.controls.map((c) =>
        c.id === "SC-02" ? { ...c, status: "fail" as const } : c,
      ),
    };
    assert.equal(evaluationFact({ predicate: forged, signer: "key:sha256:abc" }).verdict, "fail");
    assert.equal(evaluationFact({ predicate: base, signer: "key:sha256:abc" }).verdict, "pass");
  });
});

describe("ignore file: control findings", () => {
  const now = new Date("2026-06-01T00:00:00Z");

  it("control entries: {control, tool?, field?}, exclusive with id, each bad entry named", () => {
    const entries = parseIgnoreFile(
      [
        "ignore:",
        "  - control: CD-03",
        "    tool: run_query",
        "    field: inputSchema.properties.sql.description",
        "    reason: the SQL example is quoted on purpose",
        "    expires: 2026-07-01",
      ].join("\n"),
      "ignore.yaml",
    );
    assert.deepEqual(entries, [
      {
        control: "CD-03",
        tool: "run_query",
        field: "inputSchema.properties.sql.description",
        reason: "the SQL example is quoted on purpose",
        expires: "2026-07-01T23:59:59.000Z",
      },
    ]);
    const e = assertThrowsWithCode(
      () =>
        parseIgnoreFile(
          [
            "ignore:",
            "  - { id: CVE-2025-0001, control: CD-03, reason: r, expires: 2026-07-01 }",
            "  - { id: CVE-2025-0001, tool: x, reason: r, expires: 2026-07-01 }",
            "  - { control: CD-03, package: p, reason: r, expires: 2026-07-01 }",
            "  - { control: SC-02, reason: r, expires: 2026-07-01 }",
            "  - { control: cd3, reason: r, expires: 2026-07-01 }",
          ].join("\n"),
          "ignore.yaml",
        ),
      "INPUT_INVALID",
      WardenError,
    );
    assert.deepEqual(
      e.problems.map((p) => [p.path, p.message]),
      [
        ["ignore[4].control", 'must match pattern "^[A-Z]{2,4}-[0-9]{2,3}$"'],
        [
          "ignore[0]",
          "has both id and control: an entry waives either a vulnerability (id, package) or a control finding (control, tool, field)",
        ],
        ["ignore[1].tool", "only goes with control, not with id"],
        ["ignore[2].package", "only goes with id, not with control"],
        ["ignore[3].control", "SC-02's findings are vulnerabilities: waive each by its id"],
      ],
    );
  });

  it("a live control entry waives matching findings; expired ones stop; unmatched ones are stale", () => {
    const f = (location: string) => ({
      message: `m ${location}`,
      severity: "high" as const,
      location,
    });
    const controls = evaluateControls(
      clean({
        descriptionSafety: {
          findings: [
            f("tools/list:run_query.inputSchema.properties.sql.description"),
            f('server.json#_meta["dev.mcp-warden/tools"][1].description'),
          ],
        },
        toolDeclaration: { findings: [f("tools/list:run.query")] },
      }),
      high,
    );
    const ctx = {
      manifestFile: "server.json",
      declared: { "dev.mcp-warden/tools": ["run_query", "get.thing"] },
      names: ["run_query", "get.thing", "run", "run.query"],
    };
    const entry = (
      e: Omit<ControlIgnore, "reason" | "expires">,
      expires = "2026-07-01T00:00:00.000Z",
    ) => ({
      ...e,
      reason: "reviewed",
      expires,
    });
    const sql = entry({
      control: "CD-03",
      tool: "run_query",
      field: "inputSchema.properties.sql.description",
    });
    const otherField = entry({ control: "CD-03", tool: "get.thing", field: "title" });
    const expired = entry({ control: "CD-01", tool: "run.query" }, "2026-01-01T00:00:00.000Z");
    const out = applyControlWaivers(controls, [sql, otherField, expired], now, (x) =>
      findingSubject(x, ctx),
    );
    const cd03 = out.controls.find((c) => c.id === "CD-03");
    assert.equal(cd03?.status, "fail", "the declared description finding is not waived");
    assert.deepEqual(
      cd03?.findings.map((x) => x.location),
      ['server.json#_meta["dev.mcp-warden/tools"][1].description'],
    );
    assert.deepEqual(cd03?.waived, [
      {
        finding: f("tools/list:run_query.inputSchema.properties.sql.description"),
        tool: "run_query",
        field: "inputSchema.properties.sql.description",
        reason: "reviewed",
        expires: "2026-07-01T00:00:00.000Z",
      },
    ]);
    assert.match(cd03?.notes ?? "", /1 finding\(s\) waived by the ignore file/);
    assert.equal(out.controls.find((c) => c.id === "CD-01")?.status, "fail");
    assert.deepEqual(
      out.expired.map((x) => [x.entry, x.control]),
      [[expired, "CD-01"]],
    );
    assert.deepEqual(out.unused, [otherField]);

    // The whole control waived passes, and so does the level it gates.
    const all = applyControlWaivers(
      controls,
      [entry({ control: "CD-03" }), entry({ control: "CD-01" })],
      now,
      (x) => findingSubject(x, ctx),
    );
    assert.deepEqual(
      all.controls.filter((c) => c.waived).map((c) => `${c.id}:${c.status}:${c.waived?.length}`),
      ["CD-01:pass:1", "CD-03:pass:2"],
    );
    assert.equal(trustLevelOf(all.controls), "L4");
  });

  it("an entry with sha256 waives only the definition it was reviewed for", () => {
    // Real definitions and their real pins: the entry binds to one text, so a changed description
    // is judged again instead of riding on the old waiver.
    const reviewed = {
      name: "rotate_key",
      description: "Rotates the signing key kept in ~/.ssh/deploy_ed25519.",
      inputSchema: { type: "object" },
    };
    const changedTool = { ...reviewed, description: `${reviewed.description} Silently.` };
    const pin = pinTool(reviewed).sha256;
    const entries = parseIgnoreFile(
      [
        "ignore:",
        "  - control: CD-03",
        "    tool: rotate_key",
        `    sha256: ${pin}`,
        "    reason: names the key it rotates",
        "    expires: 2026-07-01",
      ].join("\n"),
      "ignore.yaml",
    );
    assert.equal((entries[0] as ControlIgnore).sha256, pin);
    const finding = {
      message: "m",
      severity: "high" as const,
      location: "tools/list:rotate_key.description",
    };
    const controls = evaluateControls(clean({ descriptionSafety: { findings: [finding] } }), high);
    const ctxFor = (tool: typeof reviewed) => ({
      manifestFile: "server.json",
      declared: {},
      names: ["rotate_key"],
      pins: { listed: { "tools/list:": { rotate_key: pinTool(tool).sha256 } }, declared: {} },
    });
    const same = applyControlWaivers(controls, entries, now, (x) =>
      findingSubject(x, ctxFor(reviewed)),
    );
    const cd03 = same.controls.find((c) => c.id === "CD-03");
    assert.equal(cd03?.status, "pass");
    assert.equal(cd03?.waived?.[0]?.sha256, pin);
    assert.deepEqual(same.changed, []);

    const other = applyControlWaivers(controls, entries, now, (x) =>
      findingSubject(x, ctxFor(changedTool)),
    );
    assert.equal(other.controls.find((c) => c.id === "CD-03")?.status, "fail");
    assert.deepEqual(
      other.changed.map((c) => [c.control, c.sha256]),
      [["CD-03", pinTool(changedTool).sha256]],
    );
    assert.deepEqual(other.unused, [], "an entry for a changed definition is not stale");

    // A pin without the tool it pins, or on a vulnerability entry, is refused by name.
    const e = assertThrowsWithCode(
      () =>
        parseIgnoreFile(
          [
            "ignore:",
            `  - { control: CD-03, sha256: ${pin}, reason: r, expires: 2026-07-01 }`,
            `  - { id: CVE-2025-0001, sha256: ${pin}, reason: r, expires: 2026-07-01 }`,
            "  - { control: CD-03, tool: t, sha256: ABC, reason: r, expires: 2026-07-01 }",
          ].join("\n"),
          "ignore.yaml",
        ),
      "INPUT_INVALID",
      WardenError,
    );
    assert.deepEqual(
      e.problems.map((p) => p.path),
      ["ignore[2].sha256", "ignore[0].sha256", "ignore[1].sha256"],
    );
  });

  it("a finding's tool and field come from its location, or from its own members", () => {
    const ctx = {
      manifestFile: "servers/x/server.json",
      declared: { "dev.mcp-warden/prompts": ["p1"] },
      names: ["read", "read_file", "p1"],
    };
    assert.deepEqual(
      findingSubject({ message: "m", location: "tools/list:read_file.description" }, ctx),
      {
        tool: "read_file",
        field: "description",
      },
    );
    assert.deepEqual(findingSubject({ message: "m", location: "tools/list:read_file" }, ctx), {
      tool: "read_file",
    });
    assert.deepEqual(
      findingSubject(
        {
          message: "m",
          location:
            'servers/x/server.json#_meta["dev.mcp-warden/prompts"][0].arguments[1].description',
        },
        ctx,
      ),
      { tool: "p1", field: "arguments[1].description" },
    );
    assert.deepEqual(findingSubject({ message: "m", location: "package-lock.json:12" }, ctx), {});
    const own = { message: "m", location: "tools/list:read", tool: "read_file", field: "title" };
    assert.deepEqual(findingSubject(own, ctx), { tool: "read_file", field: "title" });
  });
});
