import { readFile } from "node:fs/promises";
import { InputError } from "../policies/errors.ts";
import { compilePolicy, type CompiledPolicy } from "../policies/workload/policy.ts";
import { describeDocument, parseDocuments, withQuoteHint } from "./documents.ts";
import { decodeText } from "./input-files.ts";

export const DEFAULT_POLICY_FILE = new URL("../policies/default.yaml", import.meta.url);

/** Compiles a policy object, naming the document it came from in any error. */
export function compilePolicyFrom(
  doc: { source: string; index: number; line: number },
  object: unknown,
): CompiledPolicy {
  try {
    return compilePolicy(object);
  } catch (e) {
    if (e instanceof InputError) {
      throw new InputError(e.code, `${describeDocument(doc)}: ${e.message}`, {
        problems: e.problems.map((p) => ({ ...p, message: withQuoteHint(p.message) })),
        cause: e,
      });
    }
    throw e;
  }
}

/**
 * Reads and compiles a policy file (one MCPWardenPolicy document).
 * @throws InputError POLICY_INVALID / INPUT_INVALID / DOCUMENT_INVALID naming the file
 */
export async function loadPolicyFile(path: string | URL): Promise<CompiledPolicy> {
  const source = path instanceof URL ? path.pathname : path;
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new InputError(
      "INPUT_INVALID",
      `${source}: cannot read policy (${(e as NodeJS.ErrnoException).code ?? "error"})`,
      { cause: e },
    );
  }
  const docs = parseDocuments(source, decodeText(source, bytes).text);
  const [first, ...rest] = docs;
  if (!first || rest.length > 0) {
    throw new InputError(
      "POLICY_INVALID",
      `${source}: must hold exactly one MCPWardenPolicy document, found ${docs.length}`,
    );
  }
  return compilePolicyFrom(first, first.object);
}
