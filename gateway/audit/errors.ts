import { errorClass } from "../../policies/errors.ts";

export type AuditWriteErrorCode =
  /** The sink did not acknowledge in time (onSinkFailure: deny): the call fails closed. */
  | "SINK_FAILED"
  /** The sink is behind by more records than allowed (onSinkFailure: deny). */
  | "SINK_BEHIND"
  /** An object already in the sink differs from what would be written under its name. */
  | "SINK_CONFLICT"
  /** What the sink holds does not verify against its own checkpoints: the trail will not resume on it. */
  | "SINK_CORRUPT"
  /** The trail was closed. */
  | "AUDIT_CLOSED"
  /** Bad configuration: a key file, a directory. */
  | "AUDIT_CONFIG_INVALID";

/** A failure to make an audit record durable: the gateway fails the call closed on it. */
export class AuditWriteError extends errorClass<AuditWriteErrorCode>("AuditWriteError") {}
