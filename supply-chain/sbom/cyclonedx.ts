/**
 * An image inventory as a CycloneDX 1.5 JSON BOM: one `library` component per installed package,
 * with its purl (npm, pypi, golang, deb and apk with `distro=`) and properties naming the file
 * and the layer it was read from. Attached to the image as an in-toto attestation with predicate
 * type `https://cyclonedx.org/bom`, the layout `cosign attest --type cyclonedx` writes.
 */
import { randomUUID } from "node:crypto";
import type { ImageInventory, InstalledPackage } from "../image/inventory.ts";

export const CYCLONEDX_PREDICATE_TYPE = "https://cyclonedx.org/bom";
export const CYCLONEDX_SPEC_VERSION = "1.5";

/** Property names, in mcp-warden's namespace (CycloneDX reserves `cdx:`). */
export const BOM_PROPERTIES = {
  file: "mcp-warden:image:file",
  layer: "mcp-warden:image:layer",
  ecosystem: "mcp-warden:package:ecosystem",
  sourceName: "mcp-warden:package:source-name",
  sourceVersion: "mcp-warden:package:source-version",
  osId: "mcp-warden:image:os-id",
  osVersionId: "mcp-warden:image:os-version-id",
  platform: "mcp-warden:image:platform",
} as const;

interface Property {
  name: string;
  value: string;
}

export interface CycloneDxComponent {
  type: "library" | "container";
  "bom-ref": string;
  name: string;
  version: string;
  purl?: string;
  properties?: Property[];
}

export interface CycloneDxBom {
  bomFormat: "CycloneDX";
  specVersion: typeof CYCLONEDX_SPEC_VERSION;
  serialNumber: string;
  version: 1;
  metadata: {
    timestamp: string;
    tools: { components: { type: "application"; name: string; version: string }[] };
    component: CycloneDxComponent;
    properties?: Property[];
  };
  components: CycloneDxComponent[];
}

export interface BomOptions {
  /** The image's repository as references name it (`ghcr.io/acme/weather`). */
  repository: string;
  /** `os/arch[/variant]` the inventory was read for. */
  platform: string;
  tool: { name: string; version: string };
  now: Date;
}

function component(p: InstalledPackage, ref: string): CycloneDxComponent {
  const properties: Property[] = [
    { name: BOM_PROPERTIES.ecosystem, value: p.ecosystem },
    { name: BOM_PROPERTIES.file, value: p.file },
    { name: BOM_PROPERTIES.layer, value: p.layer },
  ];
  // OS advisories name the source package, which a purl does not carry.
  if (p.source !== undefined)
    properties.push(
      { name: BOM_PROPERTIES.sourceName, value: p.source.name },
      { name: BOM_PROPERTIES.sourceVersion, value: p.source.version },
    );
  return {
    type: "library",
    "bom-ref": ref,
    name: p.name,
    version: p.version,
    purl: p.purl,
    properties,
  };
}

/**
 * The BOM of `inventory`. `bom-ref`s are the purl, with the file added when the same package is
 * installed more than once (nested node_modules), so each is unique as CycloneDX requires.
 */
export function inventoryBom(inventory: ImageInventory, opts: BomOptions): CycloneDxBom {
  const seen = new Map<string, number>();
  for (const p of inventory.packages) seen.set(p.purl, (seen.get(p.purl) ?? 0) + 1);
  const refs = new Set<string>();
  const components = inventory.packages.map((p) => {
    let ref = (seen.get(p.purl) ?? 0) > 1 ? `${p.purl}#${p.file}` : p.purl;
    for (let n = 2; refs.has(ref); n++) ref = `${p.purl}#${p.file}#${n}`;
    refs.add(ref);
    return component(p, ref);
  });
  const os = inventory.os;
  const properties: Property[] = [
    { name: BOM_PROPERTIES.platform, value: opts.platform },
    ...(os ? [{ name: BOM_PROPERTIES.osId, value: os.id }] : []),
    ...(os?.versionId !== undefined
      ? [{ name: BOM_PROPERTIES.osVersionId, value: os.versionId }]
      : []),
  ];
  return {
    bomFormat: "CycloneDX",
    specVersion: CYCLONEDX_SPEC_VERSION,
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: opts.now.toISOString().replace(/\.\d{3}Z$/, "Z"),
      tools: { components: [{ type: "application", ...opts.tool }] },
      component: {
        type: "container",
        "bom-ref": `${opts.repository}@${inventory.image}`,
        name: opts.repository,
        version: inventory.image,
      },
      properties,
    },
    components,
  };
}
