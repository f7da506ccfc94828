import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { WardenError } from "../../../policies/errors.ts";
import {
  LOCKFILE_NAMES,
  lockfileFormatOf,
  parseGoModule,
  parseLockfile,
} from "../../../supply-chain/scan/lockfiles/index.ts";
import type { Lockfile, LockedPackage } from "../../../supply-chain/scan/types.ts";
import { assertThrowsWithCode } from "../../support/throws.ts";

const FIXTURES = new URL("../../fixtures/lockfiles/", import.meta.url);
const fixture = (path: string): string => readFileSync(new URL(path, FIXTURES), "utf8");
const parseFixture = (path: string): Lockfile => parseLockfile(path, fixture(path));

function find(lock: Lockfile, name: string, version?: string): LockedPackage {
  const found = lock.packages.find(
    (p) => p.name === name && (version === undefined || p.version === version),
  );
  assert.ok(found, `${name}@${version ?? "*"} in ${lock.file}`);
  return found;
}

/** Asserts that parsing throws LOCKFILE_INVALID naming `file` in the message and a problem. */
function assertInvalid(file: string, text: string, problemPath?: string): WardenError {
  const caught = assertThrowsWithCode(
    () => parseLockfile(file, text),
    "LOCKFILE_INVALID",
    WardenError,
  );
  assert.ok(caught.message.includes(file));
  assert.ok(caught.problems.length > 0);
  assert.ok(caught.problems.every((p) => p.path.startsWith(file)));
  if (problemPath !== undefined)
    assert.ok(
      caught.problems.some((p) => p.path === problemPath),
      `no problem at ${problemPath}: ${JSON.stringify(caught.problems)}`,
    );
  return caught;
}

describe("lockfile formats", () => {
  it("recognises each lockfile by its basename, yarn's two formats by content", () => {
    assert.deepEqual([...LOCKFILE_NAMES].sort(), [
      "go.mod",
      "go.sum",
      "npm-shrinkwrap.json",
      "package-lock.json",
      "pnpm-lock.yaml",
      "poetry.lock",
      "requirements.txt",
      "uv.lock",
      "yarn.lock",
    ]);
    assert.equal(lockfileFormatOf("a/b/package-lock.json", ""), "package-lock");
    assert.equal(lockfileFormatOf("npm-shrinkwrap.json", ""), "package-lock");
    assert.equal(lockfileFormatOf("pnpm-lock.yaml", ""), "pnpm-lock");
    assert.equal(lockfileFormatOf("x/uv.lock", ""), "uv-lock");
    assert.equal(lockfileFormatOf("poetry.lock", ""), "poetry-lock");
    assert.equal(lockfileFormatOf("requirements.txt", ""), "requirements");
    assert.equal(lockfileFormatOf("deps/requirements-dev.txt", ""), "requirements");
    assert.equal(lockfileFormatOf("go.mod", ""), "go-mod");
    assert.equal(lockfileFormatOf("go.sum", ""), "go-sum");
    assert.equal(
      lockfileFormatOf("yarn.lock", fixture("yarn-classic-sdk/yarn.lock")),
      "yarn-classic",
    );
    assert.equal(lockfileFormatOf("yarn.lock", fixture("yarn-berry-sdk/yarn.lock")), "yarn-berry");
    assert.equal(lockfileFormatOf("yarn.lock", "hello: world\n"), undefined);
    assert.equal(lockfileFormatOf("package.json", "{}"), undefined);
    assert.equal(lockfileFormatOf("Cargo.lock", ""), undefined);
  });
});

describe("package-lock.json", () => {
  it("lists every installed package of the real lockfiles, without the root", () => {
    const counts: Record<string, number> = {
      "npm-filesystem-2025.3.28/package-lock.json": 56,
      "npm-filesystem-2025.7.1/package-lock.json": 129,
      "npm-mcp-remote-0.1.15/package-lock.json": 82,
      "npm-sdk-1.23.0/package-lock.json": 91,
    };
    for (const [path, count] of Object.entries(counts)) {
      const lock = parseFixture(path);
      assert.equal(lock.format, "package-lock");
      assert.equal(lock.file, path);
      assert.equal(lock.packages.length, count, path);
      assert.ok(
        lock.packages.every(
          (p) => p.ecosystem === "npm" && p.file === path && p.line !== undefined,
        ),
      );
      assert.ok(!lock.packages.some((p) => p.name === "fixture"));
      assert.deepEqual(lock.pinning, [], path);
    }
  });

  it("gives the version, line, integrity and direct and dev flags of each package", () => {
    const lock = parseFixture("npm-sdk-1.23.0/package-lock.json");
    assert.deepEqual(find(lock, "@modelcontextprotocol/sdk"), {
      ecosystem: "npm",
      name: "@modelcontextprotocol/sdk",
      version: "1.23.0",
      file: "npm-sdk-1.23.0/package-lock.json",
      line: 17,
      integrity:
        "sha512-MCGd4K9aZKvuSqdoBkdMvZNcYXCkZRYVs/Gh92mdV5IHbctX9H9uIvd4X93+9g8tBbXv08sxc/QHXTzf8y65bA==",
      direct: true,
      dev: false,
    });
    const ts = find(lock, "typescript", "5.9.3");
    assert.equal(ts.direct, true);
    assert.equal(ts.dev, true);
    const express = find(lock, "express");
    assert.equal(express.direct, false);
    assert.equal(express.dev, false);
  });

  it("finds the vulnerable and the fixed filesystem server and the SDK they pull", () => {
    const old = parseFixture("npm-filesystem-2025.3.28/package-lock.json");
    assert.equal(find(old, "@modelcontextprotocol/server-filesystem").version, "2025.3.28");
    assert.equal(find(old, "@modelcontextprotocol/server-filesystem").line, 52);
    assert.equal(find(old, "@modelcontextprotocol/sdk").line, 32);
    const fixed = parseFixture("npm-filesystem-2025.7.1/package-lock.json");
    assert.equal(find(fixed, "@modelcontextprotocol/server-filesystem").version, "2025.7.1");
    const remote = parseFixture("npm-mcp-remote-0.1.15/package-lock.json");
    assert.deepEqual(
      [
        find(remote, "mcp-remote").version,
        find(remote, "mcp-remote").line,
        find(remote, "mcp-remote").direct,
      ],
      ["0.1.15", 591, true],
    );
  });

  it("uses an alias's real name, skips links and flags local tarballs", () => {
    const lock = parseFixture("npm-odd/package-lock.json");
    assert.equal(lock.packages.length, 93);
    const zod3 = find(lock, "zod", "3.25.76");
    assert.equal(zod3.direct, true);
    assert.ok(!lock.packages.some((p) => p.name === "zod-v3" || p.name === "local-tool"));
    assert.equal(find(lock, "is-number").version, "7.0.0");
    assert.deepEqual(lock.pinning, [
      {
        message: "is-number@7.0.0 is installed from a local file (file:vendor/is-number-7.0.0.tgz)",
        severity: "low",
        file: "npm-odd/package-lock.json",
        line: 671,
        package: "is-number",
      },
    ]);
  });

  it("flags entries without integrity and sources outside a registry", () => {
    const doc: unknown = JSON.parse(fixture("npm-sdk-1.23.0/package-lock.json"));
    assert.ok(typeof doc === "object" && doc !== null && "packages" in doc);
    const packages = doc.packages as Record<string, Record<string, unknown>>;
    delete packages["node_modules/express"]?.integrity;
    Object.assign(packages["node_modules/cors"] ?? {}, {
      resolved:
        "git+ssh://git@github.com/expressjs/cors.git#53312a5f3a1a9ce7c1ea3c2e5ebb3a8a1b5d0a2e",
    });
    delete packages["node_modules/cors"]?.integrity;
    Object.assign(packages["node_modules/vary"] ?? {}, {
      resolved: "https://example.com/vary.tgz",
    });
    const lock = parseLockfile("package-lock.json", JSON.stringify(doc, null, 2));
    assert.deepEqual(
      lock.pinning.map((f) => [f.package, f.severity]),
      [
        ["cors", "medium"],
        ["express", "medium"],
        ["vary", "medium"],
      ],
    );
    assert.ok(lock.pinning.every((f) => f.line !== undefined && f.file === "package-lock.json"));
  });

  it("keeps one of identical packages, at its first line, direct if any copy is", () => {
    const text = JSON.stringify(
      {
        name: "p",
        lockfileVersion: 3,
        packages: {
          "": { name: "p", dependencies: { b: "1.0.0" }, devDependencies: { a: "1.0.0" } },
          "node_modules/b": { version: "1.0.0", integrity: "sha512-b" },
          "node_modules/b/node_modules/a": { version: "1.0.0", integrity: "sha512-a" },
          "node_modules/a": { version: "1.0.0", integrity: "sha512-a", dev: true },
        },
      },
      null,
      2,
    );
    const lock = parseLockfile("package-lock.json", text);
    assert.deepEqual(
      lock.packages.map((p) => [p.name, p.line, p.direct, p.dev]),
      [
        ["b", 14, true, false],
        ["a", 18, true, false],
      ],
    );
  });

  it("parses a 2,000-package lockfile, every entry with its line (speed: npm run bench:scan)", () => {
    const lock = parseLockfile("package-lock.json", fixture("npm-large/package-lock.json"));
    assert.ok(lock.packages.length >= 2000, `${lock.packages.length} packages`);
    assert.ok(lock.packages.every((p) => p.line !== undefined && p.line > 1));
  });

  it("rejects garbage, truncated JSON, lockfileVersion 1 and wrong shapes", () => {
    assertInvalid("package-lock.json", "not json at all");
    const text = fixture("npm-sdk-1.23.0/package-lock.json");
    assertInvalid("app/package-lock.json", text.slice(0, 2000));
    assertInvalid(
      "package-lock.json",
      JSON.stringify({ name: "old", lockfileVersion: 1, dependencies: {} }),
      "package-lock.json:lockfileVersion",
    );
    assertInvalid(
      "package-lock.json",
      JSON.stringify({ lockfileVersion: 4, packages: {} }),
      "package-lock.json:lockfileVersion",
    );
    assertInvalid("package-lock.json", "[]");
    assertInvalid(
      "package-lock.json",
      JSON.stringify({ lockfileVersion: 3, packages: { "node_modules/foo": { version: 1 } } }),
      'package-lock.json:packages["node_modules/foo"].version',
    );
    assertInvalid(
      "package-lock.json",
      JSON.stringify({
        lockfileVersion: 3,
        packages: { "node_modules/foo": { integrity: "sha512-x" } },
      }),
      'package-lock.json:packages["node_modules/foo"].version',
    );
  });
});

describe("pnpm-lock.yaml", () => {
  it("lists the packages with lines, integrity and direct and dev flags", () => {
    const lock = parseFixture("pnpm-sdk/pnpm-lock.yaml");
    assert.equal(lock.format, "pnpm-lock");
    assert.equal(lock.packages.length, 92);
    assert.deepEqual(lock.pinning, []);
    const sdk = find(lock, "@modelcontextprotocol/sdk");
    assert.deepEqual([sdk.version, sdk.line, sdk.direct, sdk.dev], ["1.23.0", 24, true, false]);
    assert.ok(sdk.integrity?.startsWith("sha512-MCGd4K9a"));
    const ts = find(lock, "typescript");
    assert.deepEqual([ts.direct, ts.dev], [true, true]);
    const express = find(lock, "express");
    assert.deepEqual([express.direct, express.dev], [false, false]);
    assert.ok(lock.packages.every((p) => p.line !== undefined && p.integrity !== undefined));
  });

  it("flags a package without integrity and a tarball outside a registry", () => {
    const text = fixture("pnpm-sdk/pnpm-lock.yaml")
      .replace(
        /(\n {2}express@5[^\n]*\n {4}resolution: )\{integrity: [^}]*\}/,
        "$1{tarball: https://example.com/express.tgz}",
      )
      .replace(/(\n {2}cors@[^\n]*\n {4}resolution: )\{integrity: [^}]*\}/, "$1{}");
    const lock = parseLockfile("pnpm-lock.yaml", text);
    assert.deepEqual(
      lock.pinning.map((f) => [f.package, f.severity]),
      [
        ["cors", "medium"],
        ["express", "medium"],
      ],
    );
  });

  it("rejects garbage and other lockfile versions", () => {
    assertInvalid("pnpm-lock.yaml", "packages: [unclosed");
    assertInvalid("pnpm-lock.yaml", "lockfileVersion: 5.4\n", "pnpm-lock.yaml:lockfileVersion");
    assertInvalid(
      "pnpm-lock.yaml",
      "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    version: 1\n",
    );
  });
});

describe("yarn.lock", () => {
  it("reads yarn 1 lockfiles, one package per resolved version", () => {
    const lock = parseFixture("yarn-classic-sdk/yarn.lock");
    assert.equal(lock.format, "yarn-classic");
    assert.equal(lock.packages.length, 92);
    assert.deepEqual(lock.pinning, []);
    const sdk = find(lock, "@modelcontextprotocol/sdk");
    assert.deepEqual([sdk.version, sdk.line], ["1.23.0", 5]);
    assert.ok(sdk.integrity?.startsWith("sha512-MCGd4K9a"));
  });

  it("flags yarn 1 entries without integrity or from git", () => {
    const text = fixture("yarn-classic-sdk/yarn.lock")
      .replace(/(\naccepts@\^2\.0\.0:\n[^\n]*\n[^\n]*\n)\s+integrity [^\n]*\n/, "$1")
      .replace(
        /resolved "https:\/\/registry\.yarnpkg\.com\/cors\/[^"]*"/,
        'resolved "git+https://github.com/expressjs/cors.git#abc"',
      );
    const lock = parseLockfile("yarn.lock", text);
    assert.deepEqual(
      lock.pinning.map((f) => [f.package, f.severity]),
      [
        ["accepts", "medium"],
        ["cors", "medium"],
      ],
    );
  });

  it("reads yarn 2+ lockfiles with checksums and the workspace's direct dependencies", () => {
    const lock = parseFixture("yarn-berry-sdk/yarn.lock");
    assert.equal(lock.format, "yarn-berry");
    assert.equal(lock.packages.length, 92);
    assert.deepEqual(lock.pinning, []);
    assert.ok(!lock.packages.some((p) => p.name === "fixture"));
    const sdk = find(lock, "@modelcontextprotocol/sdk");
    assert.deepEqual([sdk.version, sdk.line, sdk.direct], ["1.23.0", 8, true]);
    assert.ok(sdk.integrity?.startsWith("10c0/"));
    assert.equal(find(lock, "ajv").line, 61);
    assert.equal(find(lock, "ajv").direct, false);
    const withoutChecksum = fixture("yarn-berry-sdk/yarn.lock").replace(
      /(resolution: "accepts@npm:2\.0\.0"\n(?: {2}.*\n)*?) {2}checksum: .*\n/,
      "$1",
    );
    const flagged = parseLockfile("yarn.lock", withoutChecksum);
    assert.deepEqual(
      flagged.pinning.map((f) => [f.package, f.severity, f.line]),
      [["accepts", "medium", 37]],
    );
  });

  it("rejects a yarn.lock that is neither format, and broken entries", () => {
    assertInvalid("yarn.lock", "hello: world\nthis is not a lockfile\n", "yarn.lock");
    assertInvalid("yarn.lock", '# yarn lockfile v1\n\n"a@^1":\n  version 1.0.0 {{{\n');
    assertInvalid(
      "yarn.lock",
      '# yarn lockfile v1\n\n"a@^1":\n  resolved "https://r/a/-/a-1.tgz"\n',
      'yarn.lock:["a@^1"].version',
    );
    assertInvalid("yarn.lock", '__metadata:\n  version: 8\n\n"a@npm:^1":\n  version: 1.0.0\n');
  });
});

describe("uv.lock", () => {
  it("lists PyPI packages with hashes, direct and dev flags, without the project", () => {
    const lock = parseFixture("uv-mcp-1.22.0/uv.lock");
    assert.equal(lock.format, "uv-lock");
    assert.equal(lock.packages.length, 36);
    assert.deepEqual(lock.pinning, []);
    assert.ok(!lock.packages.some((p) => p.name === "fixture-server"));
    const mcp = find(lock, "mcp");
    assert.deepEqual(
      [mcp.ecosystem, mcp.version, mcp.line, mcp.direct, mcp.dev],
      ["PyPI", "1.22.0", 311, true, false],
    );
    assert.ok(mcp.integrity?.startsWith("sha256:"));
    const pytest = find(lock, "pytest");
    assert.deepEqual([pytest.version, pytest.direct, pytest.dev], ["8.4.2", true, true]);
    assert.deepEqual([find(lock, "pluggy").direct, find(lock, "pluggy").dev], [false, true]);
    assert.deepEqual([find(lock, "httpx").direct, find(lock, "httpx").dev], [false, false]);
    assert.ok(lock.packages.every((p) => p.name === p.name.toLowerCase() && !/[_.]/.test(p.name)));
  });

  it("flags packages without hashes", () => {
    const text = fixture("uv-mcp-1.22.0/uv.lock").replace(
      /(name = "h11"\nversion = "0.16.0"\nsource = [^\n]*\n)sdist = [^\n]*\nwheels = \[\n[^\]]*\]\n/,
      "$1",
    );
    const lock = parseLockfile("uv.lock", text);
    assert.deepEqual(
      lock.pinning.map((f) => [f.package, f.severity]),
      [["h11", "medium"]],
    );
    assert.equal(find(lock, "h11").integrity, undefined);
  });

  it("rejects broken TOML and other lock versions", () => {
    assertInvalid("uv.lock", "version = 1\n[[package]\nname = 'x'\n", "uv.lock:2");
    assertInvalid(
      "uv.lock",
      'version = 2\n\n[[package]]\nname = "a"\nversion = "1"\nsource = { registry = "x" }\n',
      "uv.lock:version",
    );
  });
});

describe("poetry.lock", () => {
  it("lists PyPI packages with their hashes and dev group", () => {
    const lock = parseFixture("poetry-mcp/poetry.lock");
    assert.equal(lock.format, "poetry-lock");
    assert.equal(lock.packages.length, 37);
    assert.deepEqual(lock.pinning, []);
    const mcp = find(lock, "mcp");
    assert.deepEqual([mcp.version, mcp.line, mcp.dev], ["1.22.0", 488, false]);
    assert.ok(mcp.integrity?.startsWith("sha256:"));
    assert.equal(find(lock, "pyyaml").version, "6.0.3");
    assert.equal(find(lock, "pytest").dev, true);
  });

  it("flags packages without hashes and rejects files without metadata", () => {
    const text = fixture("poetry-mcp/poetry.lock").replace(
      /(name = "mcp"\n(?:.*\n)*?)files = \[\n(?:.*\n)*?\]\n/,
      "$1",
    );
    assert.deepEqual(
      parseLockfile("poetry.lock", text).pinning.map((f) => [f.package, f.line]),
      [["mcp", 488]],
    );
    assertInvalid(
      "poetry.lock",
      '[[package]]\nname = "a"\nversion = "1"\n',
      "poetry.lock:metadata",
    );
  });
});

describe("requirements.txt", () => {
  it("reads pip-compile output with hashes on continuation lines", () => {
    const lock = parseFixture("requirements-hashed/requirements.txt");
    assert.equal(lock.format, "requirements");
    assert.equal(lock.packages.length, 30);
    assert.deepEqual(lock.pinning, []);
    const mcp = find(lock, "mcp");
    assert.deepEqual([mcp.ecosystem, mcp.version, mcp.line], ["PyPI", "1.22.0", 205]);
    assert.ok(mcp.integrity?.startsWith("sha256:"));
    assert.equal(find(lock, "pyyaml").line, 358);
  });

  it("flags ranges, bare names, URLs and missing hashes; normalises names", () => {
    const lock = parseFixture("requirements-unpinned/requirements.txt");
    assert.deepEqual(
      lock.packages.map((p) => [p.name, p.version, p.line]),
      [
        ["mcp", "1.22.0", 6],
        ["zope-interface", "7.2", 10],
        ["uvicorn", "0.38.0", 11],
      ],
    );
    assert.deepEqual(
      lock.pinning.map((f) => [f.package, f.severity, f.line]),
      [
        ["typing-extensions", "high", 7],
        ["pydantic", "high", 8],
        ["httpx", "high", 9],
        ["starlette", "high", 13],
        ["anyio", "medium", 14],
        [undefined, "medium", undefined],
      ],
    );
  });

  it("demands a hash on every requirement once one has one", () => {
    const text = "a==1.0 --hash=sha256:aa\nB_C==2.0\n# c==3\nd===4.0 \\\n  --hash=sha256:dd\n";
    const lock = parseLockfile("requirements-prod.txt", text);
    assert.deepEqual(
      lock.packages.map((p) => [p.name, p.version, p.line, p.integrity]),
      [
        ["a", "1.0", 1, "sha256:aa"],
        ["b-c", "2.0", 2, undefined],
        ["d", "4.0", 4, "sha256:dd"],
      ],
    );
    assert.deepEqual(
      lock.pinning.map((f) => [f.package, f.severity, f.line]),
      [["b-c", "medium", 2]],
    );
  });

  it("rejects lines that are not requirements, naming each", () => {
    const error = assertInvalid(
      "requirements.txt",
      "mcp==1.22.0\nthis is not a requirement\n==1.0\nok>=1\n--frobnicate\n",
    );
    assert.deepEqual(
      error.problems.map((p) => p.path),
      ["requirements.txt:2", "requirements.txt:3", "requirements.txt:5"],
    );
  });
});

describe("go.mod and go.sum", () => {
  it("lists the required modules with go.sum hashes and direct flags", () => {
    const lock = parseGoModule("go.mod", fixture("go-module/go.mod"), fixture("go-module/go.sum"));
    assert.equal(lock.format, "go-mod");
    assert.deepEqual(lock.pinning, []);
    assert.deepEqual(
      lock.packages.map((p) => [p.ecosystem, p.name, p.version, p.line, p.direct]),
      [
        ["Go", "github.com/modelcontextprotocol/go-sdk", "v1.1.0", 6, true],
        ["Go", "golang.org/x/text", "v0.30.0", 7, true],
        ["Go", "github.com/google/jsonschema-go", "v0.3.0", 11, false],
        ["Go", "github.com/yosida95/uritemplate/v3", "v3.0.2", 12, false],
        ["Go", "golang.org/x/oauth2", "v0.30.0", 13, false],
      ],
    );
    assert.equal(
      find(lock, "golang.org/x/text").integrity,
      "h1:yznKA/E9zq54KzlzBEAWn1NXSQ8DIp/NYMy88xJjl4k=",
    );
  });

  it("flags a required module missing from go.sum, and a go.mod read alone", () => {
    const lock = parseGoModule(
      "svc/go.mod",
      fixture("go-module-missing-sum/go.mod"),
      fixture("go-module-missing-sum/go.sum"),
    );
    assert.deepEqual(
      lock.pinning.map((f) => [f.package, f.severity, f.line, f.file]),
      [["golang.org/x/text", "medium", 7, "svc/go.mod"]],
    );
    const alone = parseLockfile("go.mod", fixture("go-module/go.mod"));
    assert.equal(alone.packages.length, 5);
    assert.equal(alone.pinning.length, 1);
  });

  it("follows replace directives and skips local replacements", () => {
    const mod = [
      "module example.com/m",
      "",
      "go 1.22",
      "",
      "require (",
      "\texample.com/a v1.0.0",
      "\texample.com/b v1.2.0 // indirect",
      ")",
      "",
      "require example.com/c v0.1.0",
      "",
      "replace example.com/a => example.com/fork/a v1.0.1",
      "replace (",
      "\texample.com/c => ../c",
      ")",
      "exclude example.com/b v1.1.0",
      "",
    ].join("\n");
    const sum =
      "example.com/fork/a v1.0.1 h1:AAA=\nexample.com/fork/a v1.0.1/go.mod h1:BBB=\nexample.com/b v1.2.0/go.mod h1:CCC=\n";
    const lock = parseGoModule("go.mod", mod, sum);
    assert.deepEqual(
      lock.packages.map((p) => [p.name, p.version, p.line, p.direct, p.integrity]),
      [
        ["example.com/fork/a", "v1.0.1", 6, true, "h1:AAA="],
        ["example.com/b", "v1.2.0", 7, false, undefined],
      ],
    );
    assert.deepEqual(lock.pinning, []);
  });

  it("reads a go.sum alone as the modules it hashes", () => {
    const lock = parseFixture("go-module/go.sum");
    assert.equal(lock.format, "go-sum");
    assert.equal(lock.packages.length, 7);
    assert.deepEqual(
      [find(lock, "golang.org/x/text").version, find(lock, "golang.org/x/text").line],
      ["v0.30.0", 11],
    );
  });

  it("rejects broken go.mod and go.sum files", () => {
    assertInvalid("go.mod", "module x\nrequire (\n\texample.com/a\n)\n", "go.mod:3");
    assertInvalid("go.mod", "module x\nrequire (\n\texample.com/a v1.0.0\n", "go.mod:4");
    assertInvalid("go.mod", "<html>not a go.mod</html>\n", "go.mod:1");
    assertInvalid("go.sum", "example.com/a v1.0.0\n", "go.sum:1");
  });
});

describe("yarn 1 lockfiles cut short", () => {
  it("a string without its closing quote or a last comment without a line end is refused by line, before yarn's parser runs away on it", () => {
    const text = fixture("yarn-classic-sdk/yarn.lock");
    const cut = text.indexOf("resolved ") + 'resolved "https://reg'.length;
    const line = text.slice(0, cut).split("\n").length;
    const string = assertInvalid("yarn.lock", text.slice(0, cut), `yarn.lock:${line}`);
    assert.match(string.problems[0]!.message, /no closing quote/);
    const comment = assertInvalid("yarn.lock", "# yarn lockfile v1\n# cut", "yarn.lock:2");
    assert.match(comment.problems[0]!.message, /comment/);
    // A `#` inside a quoted value is not a comment; the whole file still parses.
    assert.ok(parseLockfile("yarn.lock", text).packages.length > 0);
  });
});

describe("any lockfile", () => {
  it("rejects unknown names and garbage in every format with LOCKFILE_INVALID", () => {
    assertInvalid("Gemfile.lock", "GEM\n");
    for (const file of [
      "package-lock.json",
      "pnpm-lock.yaml",
      "uv.lock",
      "poetry.lock",
      "requirements.txt",
      "go.mod",
      "go.sum",
    ])
      assertInvalid(file, "\u0000\u0001 {{{ garbage ]]] :::\n");
  });
});
