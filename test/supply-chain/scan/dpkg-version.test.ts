import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import fc from "fast-check";
import {
  compareDpkgVersions,
  parseDpkgVersion,
} from "../../../supply-chain/scan/osv/dpkg-version.ts";

const dpkg = spawnSync("dpkg", ["--version"]).status === 0;
const SKIP = dpkg
  ? false
  : "dpkg is not installed: the Debian ordering cannot be checked against it";

/** What `dpkg --compare-versions` says: -1, 0 or 1. */
function dpkgSays(a: string, b: string): number {
  const is = (op: string): boolean =>
    spawnSync("dpkg", ["--compare-versions", a, op, b], { timeout: 5000 }).status === 0;
  return is("lt") ? -1 : is("eq") ? 0 : 1;
}

function compare(a: string, b: string): number {
  const x = parseDpkgVersion(a);
  const y = parseDpkgVersion(b);
  assert.ok(x && y, `${a} and ${b} parse`);
  return compareDpkgVersions(x, y);
}

// Versions built from the pieces that make the ordering hard: `~`, letters against digits and
// punctuation, leading zeros, epochs, revisions, and pieces shared between the two sides.
const piece = fc.constantFrom(
  "0",
  "00",
  "1",
  "2",
  "10",
  "9",
  "a",
  "b",
  "z",
  "A",
  "~",
  "~~",
  ".",
  "+",
  "-",
  "~rc1",
  "+dfsg",
  "+deb12u1",
);
const upstream = fc
  .tuple(fc.constantFrom("0", "1", "2", "10", "01"), fc.array(piece, { maxLength: 5 }))
  .map(([d, rest]) => d + rest.join(""));
const revision = fc
  .array(fc.constantFrom("0", "1", "2", "~", "+", ".", "a", "deb12u", "10"), { maxLength: 4 })
  .map((r) => r.join(""));
const version = fc
  .tuple(
    fc.constantFrom("", "", "", "1:", "2:", "0:"),
    upstream,
    fc.option(
      revision.filter((r) => r !== ""),
      { nil: undefined },
    ),
  )
  .map(([e, u, r]) => (r === undefined ? `${e}${u.replaceAll("-", ".")}` : `${e}${u}-${r}`));

test("Debian version ordering agrees with dpkg --compare-versions", { skip: SKIP }, () => {
  fc.assert(
    fc.property(version, version, (a, b) => {
      assert.equal(Math.sign(compare(a, b)), dpkgSays(a, b), `${a} vs ${b}`);
    }),
    { numRuns: 150 },
  );
});

test("Debian Policy's examples and real advisory versions", () => {
  const lt: [string, string][] = [
    ["1.0~rc1-1", "1.0-1"],
    ["1.0~~", "1.0~"],
    ["1.0~", "1.0"],
    ["1.0", "1.0a"],
    ["1.0a", "1.0+"],
    ["1:0.1", "2:0.0"],
    ["9.9", "1:0.1"],
    ["2.36-9+deb12u4", "2.36-9+deb12u7"],
    ["1.2.13.dfsg-1", "1:1.2.13.dfsg-1"],
    ["7.88.1-10+deb12u5", "7.88.1-10+deb12u12"],
    ["3.0.11-1~deb12u2", "3.0.11-1"],
  ];
  for (const [a, b] of lt) {
    assert.ok(compare(a, b) < 0, `${a} < ${b}`);
    assert.ok(compare(b, a) > 0, `${b} > ${a}`);
  }
  assert.equal(compare("1.0-0", "1.0"), 0);
  assert.equal(compare("0:1.0", "1.0"), 0);
  assert.equal(compare("1.01", "1.1"), 0);
  for (const bad of ["", "a1.0", "1:", "x:1.0", "1.0-", "1.0-a_b", "1.0 2"])
    assert.equal(parseDpkgVersion(bad), undefined, JSON.stringify(bad));
});
