import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseOsvRecord } from "../../../supply-chain/scan/osv/record.ts";
import type { OsvRecord } from "../../../supply-chain/scan/osv/record-types.ts";
import {
  cvssBaseScore,
  levelOfScore,
  severityOf,
} from "../../../supply-chain/scan/osv/severity.ts";

function fixture(path: string): OsvRecord {
  const url = new URL(`../../fixtures/osv/${path}`, import.meta.url);
  return parseOsvRecord(JSON.parse(readFileSync(url, "utf8")), url.pathname);
}

const severityOfRecord = (record: OsvRecord) => severityOf(record, record.affected ?? []);

test("CVSS 3.1: mcp-remote's CVE-2025-6514 vector scores 9.6, critical", () => {
  assert.deepEqual(severityOfRecord(fixture("npm/GHSA-6xpm-ggf7-wc3p.json")), {
    level: "critical",
    cvss: { vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", score: 9.6 },
  });
});

test("CVSS 4.0: the Python SDK's CVE-2025-66416 vector scores 7.6, high", () => {
  assert.deepEqual(severityOfRecord(fixture("PyPI/GHSA-9h52-p55h-vw2f.json")), {
    level: "high",
    cvss: {
      vector: "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N",
      score: 7.6,
    },
  });
  assert.deepEqual(severityOfRecord(fixture("npm/GHSA-hc55-p739-j48w.json")).cvss?.score, 7.3);
});

test("the newest CVSS version wins when both are given", () => {
  const severity = severityOfRecord(fixture("edge-cases/MCPW-TEST-multiple-ranges.json"));
  assert.equal(severity.cvss?.vector.slice(0, 9), "CVSS:4.0/");
  assert.equal(severity.level, "medium");
});

test("without a vector, GitHub's database_specific.severity; then unknown", () => {
  assert.deepEqual(severityOfRecord(fixture("npm/GHSA-w48q-cv73-mx4w.json")), { level: "high" });
  assert.deepEqual(severityOfRecord(fixture("edge-cases/MCPW-TEST-versions-only.json")), {
    level: "medium", // MODERATE
  });
  assert.deepEqual(severityOfRecord(fixture("edge-cases/MCPW-TEST-limit.json")), {
    level: "unknown",
  });
});

test("an unreadable vector falls back instead of failing", () => {
  // PR:Z is no CVSS value; the record also says LOW.
  assert.deepEqual(severityOfRecord(fixture("edge-cases/MCPW-TEST-pep440.json")), {
    level: "low",
  });
  for (const vector of [
    "nonsense",
    "CVSS:3.1/AV:N",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H/XX:1",
    "CVSS:4.0/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H",
    "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
  ])
    assert.equal(cvssBaseScore(vector), undefined, vector);
  const record: OsvRecord = {
    id: "MCPW-TEST-v3-after-bad-v4",
    modified: "2026-01-10T00:00:00Z",
    severity: [
      { type: "CVSS_V4", score: "CVSS:4.0/AV:N/AC:L" },
      { type: "CVSS_V3", score: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" },
    ],
  };
  assert.deepEqual(severityOf(record, []), {
    level: "critical",
    cvss: { vector: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", score: 9.8 },
  });
});

test("per-affected severity is read too", () => {
  const record: OsvRecord = { id: "MCPW-TEST-per-affected", modified: "2026-01-10T00:00:00Z" };
  const affected = [
    {
      severity: [
        { type: "CVSS_V3" as const, score: "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N" },
      ],
    },
  ];
  assert.deepEqual(severityOf(record, affected), {
    level: "low",
    cvss: { vector: "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", score: 1.8 },
  });
});

test("the qualitative scale, with 0.0 as low", () => {
  assert.deepEqual([10, 9, 8.9, 7, 6.9, 4, 3.9, 0.1, 0].map(levelOfScore), [
    "critical",
    "critical",
    "high",
    "high",
    "medium",
    "medium",
    "low",
    "low",
    "low",
  ]);
  assert.equal(cvssBaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"), 0);
});
