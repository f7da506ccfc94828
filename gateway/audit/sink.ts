/**
 * A write-once store of an audit log: record batches under their first index, checkpoints under
 * their tree size. A sink never overwrites: putting an object that exists succeeds only when the
 * stored bytes are the same (a retry after a lost acknowledgement), and fails with SINK_CONFLICT
 * otherwise.
 */
export interface AuditSink {
  /** Stores lines `first`..`first+lines.length-1`; resolves once the store acknowledges them. */
  putRecords(first: number, lines: readonly string[]): Promise<void>;
  putCheckpoint(size: number, note: string): Promise<void>;
  /** Every stored record line in index order, and every stored checkpoint. */
  read(): Promise<StoredLog>;
}

export interface StoredLog {
  lines: { text: string; where: string }[];
  checkpoints: { note: string; where: string }[];
}

/** Object names: zero-padded so that name order is index order. */
export function recordsName(first: number): string {
  return `records/${String(first).padStart(20, "0")}.jsonl`;
}

export function checkpointName(size: number): string {
  return `checkpoints/${String(size).padStart(20, "0")}.note`;
}

/** Splits a stored batch into its lines, each named `object:line`. */
export function batchLines(name: string, text: string): StoredLog["lines"] {
  return text
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l, i) => ({ text: l, where: `${name}:${i + 1}` }));
}
