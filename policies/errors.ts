/** One problem with one field of an input, named by its path. */
export interface FieldProblem {
  path: string;
  message: string;
}

export type WardenErrorCode =
  | "POLICY_INVALID"
  | "EXCEPTION_INVALID"
  | "WORKLOAD_INVALID"
  | "DOCUMENT_INVALID"
  | "INPUT_INVALID"
  | "USAGE"
  /** An evaluation predicate that does not match its schema (`policies/evaluation/`). */
  | "EVALUATION_INVALID"
  /** Not an in-toto Statement at all. */
  | "STATEMENT_INVALID"
  /** An in-toto Statement made for other subjects than the image being verified. */
  | "STATEMENT_SUBJECT_MISMATCH"
  /** An in-toto Statement of another predicate type. */
  | "STATEMENT_PREDICATE_TYPE"
  /** A lockfile that cannot be parsed (`supply-chain/scan/lockfiles/`). */
  | "LOCKFILE_INVALID"
  /** An OSV record that does not match the OSV schema, e.g. a malformed range. */
  | "OSV_RECORD_INVALID"
  /** The OSV API or an offline OSV database could not be read or queried. */
  | "VULNERABILITY_SOURCE_FAILED"
  /** An MCP server manifest (`server.json`) that is not valid. */
  | "MANIFEST_INVALID"
  /** An MCP server that could not be started or listed over stdio. */
  | "MCP_SERVER_FAILED";

/**
 * Every error the core raises on bad input. `problems` lists every bad field, not only the first,
 * so a user can fix a file in one pass.
 */
export class WardenError extends Error {
  readonly code: WardenErrorCode;
  readonly problems: readonly FieldProblem[];

  constructor(
    code: WardenErrorCode,
    message: string,
    options: { problems?: readonly FieldProblem[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WardenError";
    this.code = code;
    this.problems = options.problems ?? [];
  }

  /** The message followed by one indented line per field problem. */
  describe(): string {
    return [this.message, ...this.problems.map((p) => `  ${p.path}: ${p.message}`)].join("\n");
  }
}
