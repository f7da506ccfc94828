import { builtinModules } from "node:module";
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Layering (DESIGN.md "Architecture"): cli/ → the edges (action/, webhook/, gateway/) →
// supply-chain/ and cluster/ → policies/. Built-in rules only, so the check costs no module resolution.

const EDGES = ["cli", "action", "webhook", "gateway"];
// Folders nothing in the product imports: entry points, tests, benchmarks, build scripts.
const OUTSIDE = ["bin", "test", "bench", "scripts"];
// Files are matched by depth, because a relative import leaves a folder by its count of `../`.
const MAX_DEPTH = 6;

// Node modules without I/O, process or clock access; every other builtin is I/O to the core.
const PURE_BUILTINS = new Set([
  "assert",
  "assert/strict",
  "buffer",
  "crypto",
  "events",
  "punycode",
  "querystring",
  "string_decoder",
  "url",
  "util",
  "util/types",
  // Its synchronous calls only transform bytes in memory (the description check unpacks brotli).
  "zlib",
]);
const IO_BUILTINS = [...new Set(builtinModules.map((m) => m.replace(/^node:/, "")))].filter(
  (m) => !PURE_BUILTINS.has(m),
);

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
// A relative import from `depth` folders down that climbs out of the top folder.
const climbs = (depth) => `^(\\./)?(\\.\\./){${depth}}`;
const into = (depth, folders) => `${climbs(depth)}(${folders.map(escape).join("|")})(/|$)`;

const EDGE_PACKAGES = {
  group: ["@actions/*", "fastify", "fastify/*", "@fastify/*"],
  message: "only the edges use @actions/* and fastify.",
};
// Dynamic import() would slip past no-restricted-imports, which sees only static imports.
const NO_DYNAMIC_IMPORT = {
  selector: "ImportExpression",
  message: "import statically, so the layering rules can see the dependency.",
};

/** One config block per folder depth, with the restricted imports for that depth. */
function layer(folder, patternsAt, more = {}) {
  return Array.from({ length: MAX_DEPTH }, (_, i) => ({
    files: [`${folder}/${"*/".repeat(i)}*.{ts,js}`],
    rules: {
      "no-restricted-imports": ["error", { patterns: patternsAt(i + 1) }],
      "no-restricted-syntax": [
        "error",
        ...(more.dynamicImport ? [] : [NO_DYNAMIC_IMPORT]),
        ...(more.syntax ?? []),
      ],
      ...more.rules,
    },
  }));
}

const layering = [
  ...layer(
    "policies",
    (depth) => [
      {
        regex: `^(node:)?(${IO_BUILTINS.map(escape).join("|")})$`,
        message: "policies/ is the pure core: no filesystem, network, processes or clock.",
      },
      {
        regex: climbs(depth),
        message: "policies/ is the core: it imports nothing outside policies/.",
      },
      EDGE_PACKAGES,
    ],
    {
      syntax: [
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: "policies/ reads no clock: take `now` as a parameter.",
        },
      ],
      rules: {
        "no-restricted-globals": [
          "error",
          { name: "process", message: "policies/ reads no environment or process state." },
          { name: "fetch", message: "policies/ does no network I/O." },
        ],
        "no-restricted-properties": [
          "error",
          {
            object: "globalThis",
            property: "process",
            message: "policies/ reads no process state.",
          },
          {
            object: "Date",
            property: "now",
            message: "policies/ reads no clock: take `now` as a parameter.",
          },
        ],
      },
    },
  ),
  ...layer("supply-chain", (depth) => [
    {
      regex: into(depth, [...EDGES, ...OUTSIDE]),
      message: "supply-chain/ serves the edges and never imports them.",
    },
    EDGE_PACKAGES,
  ]),
  // cluster/ is Kubernetes API I/O the edges share (the webhook's watches, check --cluster).
  ...layer("cluster", (depth) => [
    {
      regex: into(depth, [...EDGES, ...OUTSIDE]),
      message: "cluster/ serves the edges and never imports them.",
    },
    EDGE_PACKAGES,
  ]),
  ...["action", "webhook", "gateway"].flatMap((edge) =>
    layer(edge, (depth) => [
      {
        regex: into(depth, [...EDGES.filter((e) => e !== edge), ...OUTSIDE]),
        message: "the edges do not import each other (or cli/); cli/ dispatches to them.",
      },
    ]),
  ),
  // cli/ may import every layer, and loads its heavier commands lazily with import().
  ...layer(
    "cli",
    (depth) => [
      {
        regex: into(depth, OUTSIDE),
        message: "the product does not import entry points, tests or tools.",
      },
    ],
    { dynamicImport: true },
  ),
];

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          // node:test registers tests synchronously; their promises are the runner's to await.
          allowForKnownSafeCalls: [
            { from: "package", package: "node:test", name: ["test", "it", "describe", "suite"] },
          ],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["**/*.js"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: "readonly", console: "readonly" },
    },
  },
  ...layering,
);
