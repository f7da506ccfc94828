import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { ROOT } from "../support/cli.ts";

// No module of the product imports itself through others, type imports included: a cycle means a
// piece of knowledge without one home (the layering rules in eslint.config.js cannot see cycles
// within a folder).
const FOLDERS = ["policies", "supply-chain", "cli", "webhook", "action", "gateway", "bin"];

function sources(): string[] {
  return FOLDERS.filter((f) => existsSync(join(ROOT, f))).flatMap((folder) =>
    readdirSync(join(ROOT, folder), { recursive: true, encoding: "utf8" })
      .filter((f) => /\.(ts|js)$/.test(f))
      .map((f) => resolve(ROOT, folder, f)),
  );
}

/** The project files `file` imports, statically or dynamically, with `import type` included. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return importedFiles
    .map((i) => i.fileName)
    .filter((name) => name.startsWith("."))
    .map((name) => resolve(dirname(file), name))
    .filter((path) => /\.(ts|js)$/.test(path));
}

/** One import cycle, as the files along it, or undefined when there is none. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (file: string): string[] | undefined => {
    const at = stack.indexOf(file);
    if (at >= 0) return [...stack.slice(at), file];
    if (done.has(file)) return undefined;
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    done.add(file);
    return undefined;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return undefined;
}

test("the product's modules import each other without cycles", () => {
  const files = sources();
  assert.ok(files.length > 50, `found only ${files.length} source files`);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  const cycle = findCycle(graph);
  assert.equal(
    cycle,
    undefined,
    `import cycle: ${cycle?.map((f) => relative(ROOT, f)).join(" → ")}`,
  );
});

test("the cycle check sees type imports", () => {
  const a = resolve(ROOT, "a.ts");
  const b = resolve(ROOT, "b.ts");
  assert.deepEqual(
    ts
      .preProcessFile(`import type { T } from "./b.ts";\n`, true, true)
      .importedFiles.map((i) => i.fileName),
    ["./b.ts"],
  );
  assert.deepEqual(
    findCycle(
      new Map([
        [a, [b]],
        [b, [a]],
      ]),
    ),
    [a, b, a],
  );
});
