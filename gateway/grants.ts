import { readFile } from "node:fs/promises";
import { parseAllDocuments } from "yaml";
import { InputError } from "../policies/errors.ts";
import { KUBECTL_YAML } from "../policies/kubectl-yaml.ts";
import { parseAccess, type Access } from "../policies/runtime/access.ts";
import { GatewayError } from "./errors.ts";

/**
 * `--access FILE`: MCPWardenAccess objects from a YAML file (several documents, or `kind: List`),
 * read as kubectl reads them. Every bad document is reported, naming the file and document.
 * @throws GatewayError CONFIG
 */
export async function readAccessFile(file: string): Promise<Access[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new GatewayError("CONFIG", `${file}: cannot be read`, { cause: err });
  }
  const out: Access[] = [];
  const problems: { path: string; message: string }[] = [];
  parseAllDocuments(text, KUBECTL_YAML).forEach((doc, i) => {
    const where = `${file} document ${i + 1}`;
    if (doc.errors.length > 0) {
      problems.push({ path: where, message: doc.errors[0]!.message });
      return;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    const items =
      typeof value === "object" &&
      !Array.isArray(value) &&
      (value as { kind?: unknown }).kind === "List"
        ? ((value as { items?: unknown[] }).items ?? [])
        : [value];
    for (const item of items) {
      try {
        out.push(parseAccess(item));
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        for (const p of err.problems)
          problems.push({ path: `${where} ${p.path}`, message: p.message });
      }
    }
  });
  if (problems.length > 0)
    throw new GatewayError("CONFIG", `${file}: invalid MCPWardenAccess`, { problems });
  return out;
}
