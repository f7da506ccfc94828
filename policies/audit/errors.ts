import { errorClass } from "../errors.ts";

export type AuditErrorCode =
  /** A record's content differs from what a signed checkpoint commits to. */
  | "RECORD_CHANGED"
  /** A record the log's numbering (or a checkpoint) says exists is not in the log. */
  | "RECORD_MISSING"
  /** The records are all there but not in the order they were appended. */
  | "LOG_REORDERED"
  /** A signed checkpoint covers more records than the log holds. */
  | "LOG_TRUNCATED"
  /** A checkpoint whose signature does not verify with the trusted key, or that is malformed. */
  | "CHECKPOINT_FORGED"
  /** Two validly signed checkpoints that no single append-only log can satisfy. */
  | "CHECKPOINT_INCONSISTENT"
  /** A record, key or note that is not well-formed input (not a tamper finding). */
  | "AUDIT_INPUT_INVALID";

/** An integrity finding of the audit trail, or bad audit input; `code` says which. */
export class AuditError extends errorClass<AuditErrorCode>("AuditError") {}
