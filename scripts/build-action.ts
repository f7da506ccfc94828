// Bundles the Action's entry (action/index.ts) into dist/index.js, the file action.yml runs.
// `--check` builds into memory and fails when dist/ differs: the committed bundle must be current.
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "dist", "index.js");

const result = await build({
  entryPoints: [join(root, "action", "index.ts")],
  bundle: true,
  platform: "node",
  target: "node24",
  format: "esm",
  write: false,
  outfile,
  legalComments: "none",
  // Bundled CommonJS dependencies still call require(); give the ESM bundle one.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
  logLevel: "warning",
});
const bundle = result.outputFiles[0];
if (bundle === undefined) throw new Error("esbuild produced no output");
const text = bundle.text;

if (process.argv.includes("--check")) {
  const committed = await readFile(outfile, "utf8").catch(() => "");
  if (committed !== text) {
    process.stderr.write(
      "dist/index.js is not the bundle of the current sources: run `npm run build:action` and commit dist/\n",
    );
    process.exit(1);
  }
  process.stdout.write("dist/index.js is current\n");
} else {
  await mkdir(dirname(outfile), { recursive: true });
  await writeFile(outfile, text);
  process.stdout.write(`wrote dist/index.js (${(text.length / 1024).toFixed(0)} KiB)\n`);
}
