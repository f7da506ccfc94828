import { errorClass } from "../policies/errors.ts";

export type CliErrorCode =
  /** The command line is wrong: the usage text follows the message. */
  "USAGE";

export class CliError extends errorClass<CliErrorCode>("CliError") {}
