import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { signCheckpoint } from "../../policies/audit/checkpoint.ts";
import { AuditError } from "../../policies/audit/errors.ts";
import { CompactRange } from "../../policies/audit/merkle.ts";
import { buildRecord, canonicalRecord, recordLeaf } from "../../policies/audit/record.ts";
import { compileAuditSettings } from "../../policies/audit/settings.ts";
import { verifyLog, type CheckpointFile, type LogLine } from "../../policies/audit/verify.ts";
import { ORIGIN, observed, testKeys } from "./helpers.ts";

const keys = testKeys();
const settings = compileAuditSettings();

/** A log of n records and checkpoints at the given sizes, made with the core alone. */
function makeLog(n: number, sizes: number[]): { lines: string[]; notes: CheckpointFile[] } {
  const lines: string[] = [];
  const range = new CompactRange();
  const notes: CheckpointFile[] = [];
  const wanted = new Set(sizes);
  for (let i = 0; i < n; i++) {
    const line = canonicalRecord(buildRecord(observed(i), settings, i, "result"));
    lines.push(line);
    range.append(recordLeaf(line));
    if (wanted.has(range.size))
      notes.push({
        note: signCheckpoint({ origin: ORIGIN, size: range.size, root: range.root() }, keys.signer),
        where: `cp-${range.size}`,
      });
  }
  return { lines, notes };
}

const asLines = (lines: string[]): LogLine[] =>
  lines.map((text, i) => ({ text, where: `log:${i + 1}` }));

const logArb = fc
  .integer({ min: 1, max: 40 })
  .chain((n) =>
    fc.tuple(
      fc.constant(n),
      fc.uniqueArray(fc.integer({ min: 1, max: n }), { minLength: 1, maxLength: 4 }),
      fc.nat(),
    ),
  );

test("an untouched log verifies, covered up to its newest checkpoint", () => {
  fc.assert(
    fc.property(logArb, ([n, sizes]) => {
      const { lines, notes } = makeLog(n, sizes);
      const v = verifyLog(asLines(lines), notes, keys.verifier, { origin: ORIGIN });
      assert.equal(v.covered, Math.max(...sizes));
      assert.equal(v.records, n);
    }),
    { numRuns: 60 },
  );
});

test("any change to any covered record is caught, even with the index kept", () => {
  fc.assert(
    fc.property(logArb, ([n, sizes, pick]) => {
      const { lines, notes } = makeLog(n, sizes);
      const covered = Math.max(...sizes);
      const i = pick % covered;
      const changed = [...lines];
      changed[i] = (changed[i] as string).replace(`"req-${i}"`, `"req-x${i}"`);
      assert.throws(
        () => verifyLog(asLines(changed), notes, keys.verifier),
        (e: unknown) => e instanceof AuditError && e.code === "RECORD_CHANGED",
      );
    }),
    { numRuns: 100 },
  );
});

test("a covered record removed and the rest renumbered to hide the gap is still caught", () => {
  fc.assert(
    fc.property(logArb, ([n, sizes, pick]) => {
      const { lines, notes } = makeLog(n, sizes);
      const covered = Math.max(...sizes);
      const i = pick % covered;
      const renumbered = lines
        .filter((_, j) => j !== i)
        .map((l, j) =>
          canonicalRecord({
            ...(JSON.parse(l) as Parameters<typeof canonicalRecord>[0]),
            index: j,
          }),
        );
      assert.throws(
        () => verifyLog(asLines(renumbered), notes, keys.verifier),
        (e: unknown) =>
          e instanceof AuditError && ["RECORD_CHANGED", "LOG_TRUNCATED"].includes(e.code),
      );
    }),
    { numRuns: 100 },
  );
});
