import { errorClass } from "../policies/errors.ts";

export type GatewayErrorCode =
  /** The bearer token is missing, malformed, expired, for another audience or from no trusted issuer. */
  | "UNAUTHENTICATED"
  /** The image's signature or evaluation did not verify under the policy. */
  | "EVALUATION_REJECTED"
  /** The upstream server did not answer as an MCP server. */
  | "UPSTREAM"
  /** Bad configuration: a flag, a file, an issuer that cannot be discovered. */
  | "CONFIG";

export class GatewayError extends errorClass<GatewayErrorCode>("GatewayError") {}
