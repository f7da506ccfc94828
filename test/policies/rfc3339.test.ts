import assert from "node:assert/strict";
import { test } from "node:test";
import { parseRfc3339 } from "../../policies/rfc3339.ts";

test("RFC 3339 times as a CRD's format: date-time accepts them", () => {
  const ok: [string, string][] = [
    ["2026-01-31T00:00:00Z", "2026-01-31T00:00:00.000Z"],
    ["2026-01-31t00:00:00z", "2026-01-31T00:00:00.000Z"],
    ["2026-01-31T01:30:00+01:30", "2026-01-31T00:00:00.000Z"],
    ["2026-01-30T20:00:00-04:00", "2026-01-31T00:00:00.000Z"],
    ["2026-01-31T00:00:00.123456789Z", "2026-01-31T00:00:00.123Z"],
    ["2024-02-29T12:00:00Z", "2024-02-29T12:00:00.000Z"],
    ["0099-01-01T00:00:00Z", "0099-01-01T00:00:00.000Z"],
  ];
  for (const [text, iso] of ok) {
    const ms = parseRfc3339(text);
    assert.notEqual(ms, undefined, text);
    assert.equal(new Date(ms!).toISOString(), iso, text);
  }
});

test("what is not an RFC 3339 time is not one, whatever Date.parse makes of it", () => {
  for (const text of [
    "2026-12-31T23:59:60Z", // a leap second: Date.parse gives NaN, a schema may accept it
    "2026-02-29T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-01-32T00:00:00Z",
    "2026-01-31T24:00:00Z",
    "2026-01-31 00:00:00Z",
    "2026-01-31T00:00:00",
    "2026-01-31",
    "2026-01-31T00:00Z",
    "2026-01-31T00:00:00+0100",
    "2026-01-31T00:00:00+24:00",
    "Jan 31 2026",
    "tomorrow",
    "",
  ]) {
    assert.equal(parseRfc3339(text), undefined, text);
  }
});
