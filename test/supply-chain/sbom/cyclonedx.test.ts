/**
 * The inventory as a CycloneDX 1.5 BOM: valid against the official schema, one component per
 * installed package with its purl per ecosystem, and the file and layer it was read from.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { KeptFile } from "../../../supply-chain/image/filesystem.ts";
import { inventoryOf, type ImageInventory } from "../../../supply-chain/image/inventory.ts";
import {
  BOM_PROPERTIES,
  CYCLONEDX_SPEC_VERSION,
  inventoryBom,
  type CycloneDxComponent,
} from "../../../supply-chain/sbom/cyclonedx.ts";
import { cycloneDxValidator } from "../../support/cyclonedx.ts";

const LOWER = `sha256:${"1".repeat(64)}`;
const UPPER = `sha256:${"2".repeat(64)}`;
const IMAGE = `sha256:${"3".repeat(64)}`;
const NOW = new Date("2026-12-04T12:00:00.123Z");
const text = (s: string) => new TextEncoder().encode(s);

function file(path: string, kind: KeptFile["kind"], content: string, layer = UPPER): KeptFile {
  return { path, layer, layerIndex: layer === LOWER ? 0 : 1, kind, bytes: text(content) };
}

function inventory(files: KeptFile[]): ImageInventory {
  return {
    image: IMAGE,
    ...inventoryOf(files),
    stats: { layers: 2, entries: files.length, uncompressedBytes: 1 },
  };
}

const DEBIAN = inventory([
  file("etc/os-release", "os-release", 'ID=debian\nVERSION_ID="12"\n', LOWER),
  file(
    "var/lib/dpkg/status",
    "dpkg-status",
    [
      "Package: libjq1",
      "Status: install ok installed",
      "Architecture: amd64",
      "Source: jq",
      "Version: 1.6-2.1",
      "",
      "Package: jq",
      "Status: install ok installed",
      "Architecture: amd64",
      "Version: 1.6-2.1",
      "",
    ].join("\n"),
    LOWER,
  ),
  file(
    "app/node_modules/@modelcontextprotocol/server-filesystem/package.json",
    "npm-package",
    JSON.stringify({ name: "@modelcontextprotocol/server-filesystem", version: "2025.3.28" }),
  ),
  // The same package twice (nested): two components, each with a reference of its own.
  file("app/node_modules/zod/package.json", "npm-package", '{"name":"zod","version":"3.25.76"}'),
  file(
    "app/node_modules/x/node_modules/zod/package.json",
    "npm-package",
    '{"name":"zod","version":"3.25.76"}',
  ),
  file(
    "usr/lib/python3/dist-packages/mcp-1.22.0.dist-info/METADATA",
    "python-metadata",
    "Metadata-Version: 2.1\nName: MCP\nVersion: 1.22.0\n\nbody",
  ),
  {
    path: "usr/local/bin/hello",
    layer: UPPER,
    layerIndex: 1,
    kind: "go-binary",
    go: {
      goVersion: "go1.22.5",
      path: "example.com/hello",
      main: { path: "example.com/hello", version: "v1.0.0" },
      deps: [{ path: "github.com/google/uuid", version: "v1.6.0" }],
    },
  },
]);

const ALPINE = inventory([
  file("etc/os-release", "os-release", "ID=alpine\nVERSION_ID=3.20.3\n", LOWER),
  file(
    "lib/apk/db/installed",
    "apk-installed",
    "P:libcrypto3\nV:3.3.2-r0\nA:x86_64\no:openssl\n\nP:musl\nV:1.2.5-r0\nA:x86_64\n\n",
    LOWER,
  ),
]);

const bomOf = (inv: ImageInventory) =>
  inventoryBom(inv, {
    repository: "ghcr.io/acme/weather",
    platform: "linux/amd64",
    tool: { name: "mcp-warden", version: "0.1.0" },
    now: NOW,
  });

function property(c: CycloneDxComponent, name: string): string | undefined {
  return c.properties?.find((p) => p.name === name)?.value;
}

describe("the image inventory as a CycloneDX 1.5 BOM", () => {
  const validate = cycloneDxValidator();

  test("is valid against the CycloneDX 1.5 JSON schema (Debian image and Alpine image)", () => {
    for (const inv of [DEBIAN, ALPINE]) {
      const bom = bomOf(inv);
      assert.deepEqual(validate(bom), []);
      assert.equal(bom.specVersion, CYCLONEDX_SPEC_VERSION);
      assert.match(bom.serialNumber, /^urn:uuid:[0-9a-f-]{36}$/);
      assert.equal(bom.metadata.timestamp, "2026-12-04T12:00:00Z");
      assert.deepEqual(bom.metadata.component, {
        type: "container",
        "bom-ref": `ghcr.io/acme/weather@${IMAGE}`,
        name: "ghcr.io/acme/weather",
        version: IMAGE,
      });
      // Whatever the schema allows, a reference names one component.
      const refs = bom.components.map((c) => c["bom-ref"]);
      assert.equal(new Set(refs).size, refs.length);
    }
  });

  test("one library component per installed package, with the purl of its ecosystem", () => {
    const bom = bomOf(DEBIAN);
    assert.deepEqual(bom.components.map((c) => c.purl).sort(), [
      "pkg:deb/debian/jq@1.6-2.1?arch=amd64&distro=debian-12",
      "pkg:deb/debian/libjq1@1.6-2.1?arch=amd64&distro=debian-12",
      "pkg:golang/example.com/hello@v1.0.0",
      "pkg:golang/github.com/google/uuid@v1.6.0",
      "pkg:golang/stdlib@v1.22.5",
      "pkg:npm/%40modelcontextprotocol/server-filesystem@2025.3.28",
      "pkg:npm/zod@3.25.76",
      "pkg:npm/zod@3.25.76",
      "pkg:pypi/mcp@1.22.0",
    ]);
    assert.ok(bom.components.every((c) => c.type === "library"));
    assert.deepEqual(
      bomOf(ALPINE).components.map((c) => c.purl),
      [
        "pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64&distro=alpine-3.20.3",
        "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3",
      ],
    );
  });

  test("each component names the file and the layer it was read from; OS packages their source", () => {
    const bom = bomOf(DEBIAN);
    const libjq = bom.components.find((c) => c.name === "libjq1");
    assert.ok(libjq);
    assert.equal(property(libjq, BOM_PROPERTIES.file), "/var/lib/dpkg/status");
    assert.equal(property(libjq, BOM_PROPERTIES.layer), LOWER);
    assert.equal(property(libjq, BOM_PROPERTIES.ecosystem), "Debian");
    assert.equal(property(libjq, BOM_PROPERTIES.sourceName), "jq");
    assert.equal(property(libjq, BOM_PROPERTIES.sourceVersion), "1.6-2.1");
    const zods = bom.components.filter((c) => c.name === "zod");
    assert.deepEqual(zods.map((c) => property(c, BOM_PROPERTIES.file)).sort(), [
      "/app/node_modules/x/node_modules/zod/package.json",
      "/app/node_modules/zod/package.json",
    ]);
    assert.ok(zods.every((c) => property(c, BOM_PROPERTIES.layer) === UPPER));
    const uuid = bom.components.find((c) => c.name === "github.com/google/uuid");
    assert.equal(uuid && property(uuid, BOM_PROPERTIES.file), "/usr/local/bin/hello");
    assert.deepEqual(bom.metadata.properties, [
      { name: BOM_PROPERTIES.platform, value: "linux/amd64" },
      { name: BOM_PROPERTIES.osId, value: "debian" },
      { name: BOM_PROPERTIES.osVersionId, value: "12" },
    ]);
  });

  test("an image without packages is an empty, valid BOM; the schema does refuse a broken one", () => {
    const bom = bomOf(inventory([]));
    assert.deepEqual(bom.components, []);
    assert.deepEqual(validate(bom), []);
    assert.notDeepEqual(validate({ ...bom, components: [{ type: "library" }] }), []);
    assert.notDeepEqual(validate({ ...bom, specVersion: 1.5 }), []);
  });
});
