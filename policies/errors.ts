/** One problem with one field of an input, named by its path. */
export interface FieldProblem {
  path: string;
  message: string;
}

export interface WardenErrorOptions {
  /** Every bad field, not only the first, so a user can fix a file in one pass. */
  problems?: readonly FieldProblem[];
  cause?: unknown;
}

/**
 * The base of every error mcp-warden raises on purpose: a `code` from the raising layer's union
 * (callers branch on it, never on the message), the `cause`, and the field `problems`. The edges
 * catch this one class; anything else is an internal error. Layers make their classes with
 * {@link errorClass}, so each checks its own codes where they are raised.
 */
export abstract class WardenError extends Error {
  readonly code: string;
  readonly problems: readonly FieldProblem[];

  constructor(code: string, message: string, options: WardenErrorOptions = {}) {
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

/**
 * A layer's error class: a {@link WardenError} whose `code` is one of `Code`, constructed as
 * `new C(code, message, { problems, cause })`. (A generic base would narrow to `any` codes
 * under `instanceof`.)
 */
export function errorClass<Code extends string>(name: string) {
  return class extends WardenError {
    declare readonly code: Code;

    constructor(code: Code, message: string, options: WardenErrorOptions = {}) {
      super(code, message, options);
      this.name = name;
    }
  };
}

/** The message of anything thrown: an Error's message, or the value as a string. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export type InputErrorCode =
  | "POLICY_INVALID"
  | "EXCEPTION_INVALID"
  | "WORKLOAD_INVALID"
  | "DOCUMENT_INVALID"
  | "INPUT_INVALID"
  /** An evaluation predicate that does not match its schema (`policies/evaluation/`). */
  | "EVALUATION_INVALID"
  /** Not an in-toto Statement at all. */
  | "STATEMENT_INVALID"
  /** An in-toto Statement made for other subjects than the image being verified. */
  | "STATEMENT_SUBJECT_MISMATCH"
  /** An in-toto Statement of another predicate type. */
  | "STATEMENT_PREDICATE_TYPE"
  /** An MCP server manifest (`server.json`) that is not valid. */
  | "MANIFEST_INVALID"
  /** An `MCPWardenAccess` grant that is not valid. */
  | "ACCESS_INVALID";

/** Bad input to the core: a policy, exception, workload, document, manifest or evaluation. */
export class InputError extends errorClass<InputErrorCode>("InputError") {}
