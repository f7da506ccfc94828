import { errorClass } from "../policies/errors.ts";

export type ActionErrorCode =
  /** The step's inputs are wrong; `problems` names each bad input. */
  | "USAGE"
  /** Signing or attaching failed on something other than the registry: the OIDC token, Fulcio, Rekor. */
  | "SIGNING_FAILED";

export class ActionError extends errorClass<ActionErrorCode>("ActionError") {}
