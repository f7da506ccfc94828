import { openCheckpoint, type Checkpoint } from "./checkpoint.ts";
import { AuditError } from "./errors.ts";
import {
  consistencyProof,
  inclusionProof,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from "./merkle.ts";
import type { NoteVerifier } from "./note.ts";
import { canonicalRecord, parseRecordLine, recordLeaf, type AuditRecord } from "./record.ts";

/** One line of a log, with where it came from for messages (`audit.jsonl:12`). */
export interface LogLine {
  text: string;
  where: string;
}

export interface CheckpointFile {
  note: string;
  where: string;
}

export interface InclusionProof {
  index: number;
  leaf: string;
  treeSize: number;
  root: string;
  /** The audit path, base64, leaf to root. */
  path: string[];
}

export interface LogVerification {
  origin: string;
  records: number;
  /** The checkpoints, by size, each verified against the log. */
  checkpoints: (Checkpoint & { where: string })[];
  /** Records the newest checkpoint covers; those after it are not yet signed for. */
  covered: number;
  inclusion?: InclusionProof;
}

/**
 * Checks a log (its records in file order) against its signed checkpoints: every checkpoint is
 * signed by the trusted key, the records are numbered 0..n-1 in order, every checkpoint's root is
 * the root of the log's first `size` leaves, consecutive checkpoints are consistent (RFC 9162
 * consistency proofs computed from the log), and no checkpoint is larger than the log. With
 * `record`, also proves that record's inclusion under the first checkpoint that covers it.
 * @throws AuditError with the code of the first integrity failure found
 */
export function verifyLog(
  lines: readonly LogLine[],
  notes: readonly CheckpointFile[],
  verifier: NoteVerifier,
  options: { origin?: string; record?: number } = {},
): LogVerification {
  const checkpoints = notes
    .map((n) => {
      try {
        return { ...openCheckpoint(n.note, verifier, options.origin), where: n.where };
      } catch (e) {
        if (e instanceof AuditError)
          throw new AuditError(e.code, `${n.where}: ${e.message}`, { cause: e });
        throw e;
      }
    })
    .sort((a, b) => a.size - b.size);
  const origin = options.origin ?? checkpoints[0]?.origin ?? "";
  const other = checkpoints.find((c) => c.origin !== origin);
  if (other !== undefined)
    throw new AuditError(
      "CHECKPOINT_INCONSISTENT",
      `${other.where}: origin ${other.origin} is not ${origin}: two logs`,
    );

  const records: AuditRecord[] = lines.map((l) => {
    try {
      return parseRecordLine(l.text, l.where);
    } catch (e) {
      throw new AuditError("RECORD_CHANGED", `${l.where} is no longer an audit record`, {
        cause: e,
        problems: e instanceof AuditError ? e.problems : [],
      });
    }
  });
  checkNumbering(records, lines);
  const leaves = records.map((r) => recordLeaf(canonicalRecord(r)));

  let matched: (typeof checkpoints)[number] | undefined;
  for (const [i, c] of checkpoints.entries()) {
    const prev = checkpoints[i - 1];
    if (prev !== undefined && prev.size === c.size && !prev.root.equals(c.root))
      throw new AuditError(
        "CHECKPOINT_INCONSISTENT",
        `${prev.where} and ${c.where} sign different roots for size ${c.size}`,
      );
    if (c.size > leaves.length) {
      throw new AuditError(
        "LOG_TRUNCATED",
        `${c.where} covers ${c.size} records but the log holds ${leaves.length}: records ${leaves.length}..${c.size - 1} are gone`,
      );
    }
    if (!rootOf(leaves, 0, c.size).equals(c.root)) {
      // A later checkpoint the log satisfies vouches for the records: this one contradicts it.
      const later = checkpoints
        .slice(i + 1)
        .find((l) => l.size <= leaves.length && rootOf(leaves, 0, l.size).equals(l.root));
      if (later !== undefined) {
        throw new AuditError(
          "CHECKPOINT_INCONSISTENT",
          `${c.where} (size ${c.size}) is not consistent with ${later.where} (size ${later.size})`,
        );
      }
      const from = matched?.size ?? 0;
      throw new AuditError(
        "RECORD_CHANGED",
        `records ${from}..${c.size - 1} do not hash to the root ${c.where} signs: a record among them changed`,
      );
    }
    if (matched !== undefined) {
      const proof = consistencyProof(leaves, matched.size, c.size);
      if (!verifyConsistency(matched.size, c.size, proof, matched.root, c.root))
        throw new AuditError(
          "CHECKPOINT_INCONSISTENT",
          `${matched.where} and ${c.where} are not consistent`,
        );
    }
    matched = c;
  }

  const result: LogVerification = {
    origin,
    records: records.length,
    checkpoints,
    covered: matched?.size ?? 0,
  };
  if (options.record !== undefined)
    result.inclusion = proveInclusion(leaves, options.record, checkpoints);
  return result;
}

/** Records must carry their own leaf index, in order: a gap is a removal, a step back a reorder. */
function checkNumbering(records: readonly AuditRecord[], lines: readonly LogLine[]): void {
  for (let i = 1; i < records.length; i++) {
    if ((records[i] as AuditRecord).index <= (records[i - 1] as AuditRecord).index)
      throw new AuditError(
        "LOG_REORDERED",
        `${lines[i]?.where}: record ${records[i]?.index} follows record ${records[i - 1]?.index}`,
      );
  }
  for (const [i, r] of records.entries()) {
    if (r.index !== i)
      throw new AuditError(
        "RECORD_MISSING",
        `${lines[i]?.where}: record ${r.index} is where record ${i} should be: records ${i}..${r.index - 1} are missing`,
      );
  }
}

function proveInclusion(
  leaves: readonly Buffer[],
  index: number,
  checkpoints: readonly Checkpoint[],
): InclusionProof {
  const c = checkpoints.find((cp) => cp.size > index);
  if (c === undefined || index < 0 || index >= leaves.length)
    throw new AuditError("AUDIT_INPUT_INVALID", `no signed checkpoint covers record ${index} yet`);
  const leaf = leaves[index] as Buffer;
  const path = inclusionProof(leaves, index, c.size);
  // The proof is checked as a third party would, against the signed root alone.
  if (!verifyInclusion(leaf, index, c.size, path, c.root))
    throw new AuditError("RECORD_CHANGED", `record ${index} is not included under the signed root`);
  return {
    index,
    leaf: leaf.toString("base64"),
    treeSize: c.size,
    root: c.root.toString("base64"),
    path: path.map((p) => p.toString("base64")),
  };
}
