import { errorClass } from "../../policies/errors.ts";

export type McpServerErrorCode =
  /** An MCP server that could not be started or listed over stdio. */
  "MCP_SERVER_FAILED";

export class McpServerError extends errorClass<McpServerErrorCode>("McpServerError") {}
