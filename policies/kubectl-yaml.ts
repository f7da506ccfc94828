import type { ScalarTag, Tags } from "yaml";

/** `0o17`: go-yaml v2 reads it with Go's base-0 integer syntax; the YAML 1.1 schema does not. */
const octal0o: ScalarTag = {
  tag: "tag:yaml.org,2002:int",
  format: "OCT",
  default: true,
  test: /^[-+]?0o[0-7_]+$/,
  identify: () => false,
  resolve: (text) => {
    const sign = text.startsWith("-") ? -1 : 1;
    return sign * Number.parseInt(text.replace(/^[-+]?0o/, "").replaceAll("_", ""), 8);
  },
};

/**
 * YAML as kubectl decodes it (sigs.k8s.io/yaml over go-yaml v2), so the engine judges the object the
 * API server would receive: YAML 1.1 scalars — `yes`/`no`/`on`/`off`/`y`/`n` are booleans, `0777`
 * is octal — and merge keys (`<<: *base`, explicit keys winning). go-yaml v2 leaves out base-60
 * numbers on purpose and hands timestamps over as strings, so those stay strings here too. A label
 * written `enabled: yes` is then a boolean, as the API server sees it, and rejected as bad input.
 */
export const KUBECTL_YAML = {
  version: "1.1",
  merge: true,
  customTags: (tags: Tags) => [
    octal0o,
    ...tags.filter(
      (t) =>
        typeof t === "object" &&
        !("format" in t && t.format === "TIME") &&
        t.tag !== "tag:yaml.org,2002:timestamp",
    ),
  ],
} as const;

/**
 * Options for writing YAML that kubectl reads back as written: a string that any YAML 1.1 reader
 * would take for a boolean, a number or a time (`on`, `y`, `0777`, `0o17`, `1:30`) is quoted. No
 * `%YAML` directive is emitted.
 */
export const KUBECTL_SAFE_OUTPUT = {
  version: "1.1",
  customTags: (tags: Tags) => [octal0o, ...tags],
} as const;
