import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import ajvDraft04 from "ajv-draft-04";

/**
 * The official SARIF 2.1.0 schema (as shipped by @microsoft/jest-sarif), compiled: returns the
 * validation errors of a log, none when it is valid.
 */
export function sarifValidator(): (log: unknown) => unknown[] {
  const require = createRequire(import.meta.url);
  // The SARIF schema is draft-04; ajv-draft-04 is CommonJS, its class is also on `.default`.
  const Ajv04 = ajvDraft04.default;
  const schemaPath = require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
  const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as Record<string, unknown>;
  const validate = new Ajv04({
    allErrors: true,
    strict: false,
    validateFormats: false,
    unicodeRegExp: false,
  }).compile(schema);
  return (log) => (validate(log) ? [] : (validate.errors ?? [{ message: "invalid" }]));
}
