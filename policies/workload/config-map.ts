import { InputError } from "../errors.ts";
import { fieldPath } from "../field-path.ts";
import { isRecord } from "../guards.ts";
import { compileSchema } from "../schema-validator.ts";

/**
 * ConfigMaps (v1) as cluster state: what a container's `configMapKeyRef` and `envFrom[].configMapRef`
 * put into its environment, read as the API server would admit them.
 */
export const CONFIG_MAP_KIND = "ConfigMap";

export interface ConfigMapObject {
  kind: "ConfigMap";
  metadata: { name: string; namespace: string };
  data?: Record<string, string>;
}

// The API server's key rule (IsConfigMapKey): at most 253 of [-._a-zA-Z0-9], and not `.` or `..`.
const KEY = "^(?!\\.{1,2}$)[-._a-zA-Z0-9]{1,253}$";

const schema = {
  type: "object",
  required: ["kind", "metadata"],
  properties: {
    apiVersion: { const: "v1" },
    kind: { const: CONFIG_MAP_KIND },
    metadata: {
      type: "object",
      required: ["name"],
      properties: { name: { type: "string", minLength: 1 }, namespace: { type: "string" } },
    },
    data: {
      type: "object",
      propertyNames: { pattern: KEY },
      additionalProperties: { type: "string" },
    },
    binaryData: {
      type: "object",
      propertyNames: { pattern: KEY },
      additionalProperties: { type: "string" },
    },
    immutable: { type: "boolean" },
  },
} as const;

const validator = compileSchema<ConfigMapObject & { binaryData?: Record<string, string> }>(schema);

/**
 * Validates a ConfigMap as the API server would admit it (a value YAML 1.1 reads as a boolean or
 * a number is not a string, and kubectl's request is rejected). `binaryData` is not environment
 * material and is dropped. A missing namespace is `defaultNamespace`; `data: null` is no data.
 * @throws InputError DOCUMENT_INVALID listing every bad field
 */
export function parseConfigMap(input: unknown, defaultNamespace = "default"): ConfigMapObject {
  const object = isRecord(input)
    ? Object.fromEntries(Object.entries(input).filter(([k, v]) => !(k === "data" && v === null)))
    : input;
  const problems = validator.problems(object, "");
  if (isRecord(object) && isRecord(object.data) && isRecord(object.binaryData))
    for (const key of Object.keys(object.data))
      if (key in object.binaryData)
        problems.push({ path: fieldPath("data", key), message: "is also a key of binaryData" });
  if (problems.length > 0 || !validator.is(object))
    throw new InputError("DOCUMENT_INVALID", "invalid ConfigMap", { problems });
  return {
    kind: CONFIG_MAP_KIND,
    metadata: {
      name: object.metadata.name,
      namespace: object.metadata.namespace || defaultNamespace,
    },
    ...(object.data ? { data: object.data } : {}),
  };
}
