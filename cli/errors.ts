import { errorClass } from "../policies/errors.ts";

export type CliErrorCode =
  /** The command line is wrong: the command's usage follows the message. */
  | "USAGE"
  /** A name on the command line (a rule id) names nothing; the message suggests the closest. */
  | "NOT_FOUND";

export class CliError extends errorClass<CliErrorCode>("CliError") {}
