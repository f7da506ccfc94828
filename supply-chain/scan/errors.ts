import { errorClass } from "../../policies/errors.ts";

export type ScanErrorCode =
  /** A lockfile that cannot be parsed (`supply-chain/scan/lockfiles/`). */
  | "LOCKFILE_INVALID"
  /** An OSV record that does not match the OSV schema, e.g. a malformed range. */
  | "OSV_RECORD_INVALID"
  /** The OSV API or an offline OSV database could not be read or queried. */
  | "VULNERABILITY_SOURCE_FAILED";

/** A lockfile, an advisory or the vulnerability source failed; `problems` lists every bad field. */
export class ScanError extends errorClass<ScanErrorCode>("ScanError") {}
