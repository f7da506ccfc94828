import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";

const DIR = new URL("../fixtures/cyclonedx/", import.meta.url);

function schema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(file, DIR), "utf8")) as Record<string, unknown>;
}

/**
 * The official CycloneDX 1.5 JSON schema (draft-07) with the SPDX and JSF schemas it refers to,
 * compiled: returns the validation errors of a BOM, none when it is valid.
 */
export function cycloneDxValidator(): (bom: unknown) => unknown[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  (addFormatsModule as unknown as (ajv: Ajv) => Ajv)(ajv);
  // Internationalised forms of formats ajv-formats knows only in their ASCII form.
  ajv.addFormat("iri-reference", true);
  ajv.addFormat("idn-email", true);
  // bom-1.5 refers to the others by file name, relative to its own $id.
  ajv.addSchema({
    ...schema("spdx.SNAPSHOT.schema.json"),
    $id: "http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json",
  });
  ajv.addSchema({
    ...schema("jsf-0.82.SNAPSHOT.schema.json"),
    $id: "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json",
  });
  const validate = ajv.compile(schema("bom-1.5.SNAPSHOT.schema.json"));
  return (bom) => (validate(bom) ? [] : (validate.errors ?? [{ message: "invalid" }]));
}
