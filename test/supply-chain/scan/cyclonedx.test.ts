import assert from "node:assert/strict";
import { test } from "node:test";
import { packagesOfCycloneDx } from "../../../supply-chain/scan/cyclonedx.ts";

test("an SBOM's purls become the packages OSV matches, nested components included", () => {
  const bom = {
    bomFormat: "CycloneDX",
    components: [
      { purl: "pkg:npm/%40modelcontextprotocol/sdk@1.23.0" },
      { purl: "pkg:pypi/mcp@1.22.0" },
      {
        purl: "pkg:golang/github.com/sigstore/cosign/v2@v2.6.0",
        components: [{ purl: "pkg:npm/mcp-remote@0.1.10" }],
      },
      // OS advisories name the source package, which SBOM tools record as `upstream`.
      {
        purl: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl",
      },
      { purl: "pkg:apk/alpine/busybox@1.36.1-r5?arch=x86_64&distro=alpine-3.20.3" },
      // Not matchable here: no version, an ecosystem without advisories, a broken purl, a duplicate.
      { purl: "pkg:npm/left-pad" },
      { purl: "pkg:generic/thing@1.0" },
      { purl: "not a purl" },
      { purl: "pkg:pypi/mcp@1.22.0" },
      { name: "no purl" },
    ],
  };
  const got = packagesOfCycloneDx(bom, "sbom").map((p) => [p.ecosystem, p.name, p.version]);
  assert.deepEqual(got.sort(), [
    ["Alpine:v3.20", "busybox", "1.36.1-r5"],
    ["Debian:12", "openssl", "3.0.11-1~deb12u2"],
    ["Go", "github.com/sigstore/cosign/v2", "v2.6.0"],
    ["PyPI", "mcp", "1.22.0"],
    ["npm", "@modelcontextprotocol/sdk", "1.23.0"],
    ["npm", "mcp-remote", "0.1.10"],
  ]);
});

test("anything but a CycloneDX object yields no packages", () => {
  for (const bom of [undefined, null, "x", [], { components: "x" }]) {
    assert.deepEqual(packagesOfCycloneDx(bom, "sbom"), []);
  }
});
