import type { FieldProblem } from "../../../policies/errors.ts";
import { compileSchema } from "../../../policies/schema-validator.ts";
import { ScanError } from "../errors.ts";
import { isValidOsvRecord, rangeProblems } from "./record-shape.ts";
import type { OsvRecord } from "./record-types.ts";

const text = { type: "string" } as const;
const texts = { type: "array", items: text } as const;
// RFC 3339 as OSV writes it (UTC, optional fractions). A pattern, not ajv's date-time format:
// databases hold tens of thousands of records and this check runs on each of their timestamps.
const time = {
  type: "string",
  pattern: "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?(Z|[+-]\\d\\d:\\d\\d)$",
} as const;
const object = { type: "object" } as const;
const severities = {
  type: "array",
  items: {
    type: "object",
    required: ["type", "score"],
    properties: {
      type: { enum: ["CVSS_V2", "CVSS_V3", "CVSS_V4", "Ubuntu"] },
      score: text,
    },
  },
} as const;

/**
 * The shape of the OSV schema (1.7), lenient on fields added later: unknown fields are allowed,
 * known ones must have their type. What a schema cannot say is checked by `rangeProblems`.
 * record-shape.ts writes the same checks out by hand (`isValidOsvRecord`): change both together.
 */
const osvSchema = {
  type: "object",
  required: ["id", "modified"],
  properties: {
    schema_version: text,
    id: { type: "string", minLength: 1 },
    modified: time,
    published: time,
    withdrawn: time,
    aliases: texts,
    related: texts,
    upstream: texts,
    summary: text,
    details: text,
    severity: severities,
    database_specific: object,
    affected: {
      type: "array",
      items: {
        type: "object",
        properties: {
          package: {
            type: "object",
            required: ["ecosystem", "name"],
            properties: {
              ecosystem: { type: "string", minLength: 1 },
              name: { type: "string", minLength: 1 },
              purl: text,
            },
          },
          severity: severities,
          versions: texts,
          ecosystem_specific: object,
          database_specific: object,
          ranges: {
            type: "array",
            items: {
              type: "object",
              required: ["type", "events"],
              properties: {
                type: { enum: ["SEMVER", "ECOSYSTEM", "GIT"] },
                repo: text,
                database_specific: object,
                events: {
                  type: "array",
                  minItems: 1,
                  items: {
                    type: "object",
                    minProperties: 1,
                    maxProperties: 1,
                    additionalProperties: false,
                    properties: {
                      introduced: { type: "string", minLength: 1 },
                      fixed: { type: "string", minLength: 1 },
                      last_affected: { type: "string", minLength: 1 },
                      limit: { type: "string", minLength: 1 },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

const validator = compileSchema<OsvRecord>(osvSchema);

function recordId(value: unknown): string {
  if (typeof value === "object" && value !== null && "id" in value && typeof value.id === "string")
    return value.id;
  return "(without an id)";
}

/** Every problem of a record by the schema and `rangeProblems`, without the quick check. */
export function osvRecordProblems(value: unknown): FieldProblem[] {
  if (!validator.is(value)) {
    const problems = validator.problems(value, "");
    // The first-error validator said no: never an empty list.
    return problems.length > 0 ? problems : [{ path: "", message: "is not an OSV record" }];
  }
  return rangeProblems(value);
}

/**
 * Validates one OSV record: the schema's shape, an `introduced` event in every range, one key per
 * event and versions the range's order can read.
 * @param where names the record's origin (a file, a zip entry, a URL) in errors
 * @throws ScanError OSV_RECORD_INVALID naming `where`, the record id and every bad field
 */
export function parseOsvRecord(value: unknown, where: string): OsvRecord {
  // The common case, a valid record, passes the quick check; the schema then only describes
  // the problems of the others (or accepts one the quick check was too strict for).
  if (isValidOsvRecord(value)) return value;
  const problems = osvRecordProblems(value);
  if (problems.length === 0) return value as OsvRecord;
  throw new ScanError(
    "OSV_RECORD_INVALID",
    `${where}: OSV record ${recordId(value)} is not valid`,
    { problems },
  );
}
