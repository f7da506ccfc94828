import { readInventory, type ImageInventory } from "../image/inventory.ts";
import { DEFAULT_PLATFORM, formatPlatform, pullImage, type PlatformSpec } from "../image/pull.ts";
import type { ImageSource } from "../mcp/image-tools.ts";
import type { RegistryClient } from "../registry/client.ts";

/** Progress of a long step, one line each: the CLI writes it to stderr, the Action to its log. */
export type Progress = (message: string) => void;

/** The image an evaluation read: what it was asked for, and what its layers hold. */
export interface EvaluatedImage {
  /** The reference as given (a tag or a digest). */
  reference: string;
  /** The platform chosen, `os/arch[/variant]`. */
  platform: string;
  inventory: ImageInventory;
  /** The pulled image and the client that reads it: the evaluation also runs it to list its tools. */
  pulled: ImageSource;
}

/** Sizes as a person reads them in a log line. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Reads the image an evaluation is about, as `mcp-warden evaluate --image` and the Action both do:
 * the reference is resolved (a tag to its digest, an index to the platform's image) and pulled by
 * digest through the registry client, and its layers are inventoried (`supply-chain/image/`).
 * Registry and image errors are thrown as they are: the caller names the input.
 */
export async function readImageForEvaluation(
  client: RegistryClient,
  reference: string,
  opts: { platform?: PlatformSpec; signal?: AbortSignal; progress?: Progress } = {},
): Promise<EvaluatedImage> {
  const say = opts.progress ?? (() => undefined);
  const platform = opts.platform ?? DEFAULT_PLATFORM;
  const call = opts.signal === undefined ? {} : { signal: opts.signal };
  const pulled = await pullImage(client, reference, { platform, ...call });
  const total = pulled.layers.reduce((n, l) => n + l.size, 0);
  say(
    `pulling ${reference} (${pulled.digest}, ${formatPlatform(platform)}): ${pulled.layers.length} layer(s), ${formatBytes(total)}`,
  );
  const inventory = await readInventory(client, pulled, {
    ...call,
    onLayer: (i, layer) =>
      say(`  layer ${i + 1}/${pulled.layers.length} ${layer.digest} (${formatBytes(layer.size)})`),
  });
  const counts = new Map<string, number>();
  for (const p of inventory.packages) counts.set(p.ecosystem, (counts.get(p.ecosystem) ?? 0) + 1);
  say(
    `inventory: ${[...counts].map(([e, n]) => `${n} ${e}`).join(", ") || "no packages"} in ${inventory.stats.layers} layer(s), ${inventory.stats.entries} files, ${formatBytes(inventory.stats.uncompressedBytes)} unpacked`,
  );
  return {
    reference,
    platform: formatPlatform(platform),
    inventory,
    pulled: { client, image: pulled },
  };
}
