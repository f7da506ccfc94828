/** MCP Trust Framework levels, lowest first. */
export type TrustLevel = "L1" | "L2" | "L3" | "L4";
