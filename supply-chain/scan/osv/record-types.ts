/**
 * An advisory in the OSV format (https://ossf.github.io/osv-schema/), as far as scanning reads it.
 * Fields this module does not use (references, credits, …) are kept as given.
 */
export interface OsvRecord {
  schema_version?: string;
  id: string;
  modified: string;
  published?: string;
  withdrawn?: string;
  aliases?: string[];
  related?: string[];
  upstream?: string[];
  summary?: string;
  details?: string;
  severity?: OsvSeverity[];
  affected?: OsvAffected[];
  database_specific?: Record<string, unknown>;
}

export type OsvSeverityType = "CVSS_V2" | "CVSS_V3" | "CVSS_V4" | "Ubuntu";

export interface OsvSeverity {
  type: OsvSeverityType;
  /** For CVSS types, the vector (`CVSS:3.1/AV:N/…`). */
  score: string;
}

export interface OsvAffected {
  package?: { ecosystem: string; name: string; purl?: string };
  severity?: OsvSeverity[];
  ranges?: OsvRange[];
  versions?: string[];
  ecosystem_specific?: Record<string, unknown>;
  database_specific?: Record<string, unknown>;
}

export type OsvRangeType = "SEMVER" | "ECOSYSTEM" | "GIT";

export interface OsvRange {
  type: OsvRangeType;
  repo?: string;
  /** Each event has exactly one of its keys. */
  events: OsvEvent[];
  database_specific?: Record<string, unknown>;
}

export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}
