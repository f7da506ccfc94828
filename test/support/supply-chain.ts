/** Helpers for supply-chain tests: real images in a real registry, and the real tools. */
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { RegistryClient } from "../../supply-chain/registry/client.ts";
import { MEDIA_TYPES, digestOf, type Descriptor } from "../../supply-chain/registry/types.ts";

export const encode = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

export interface PushedImage {
  manifest: Descriptor;
  config: Descriptor;
  layer: Descriptor;
}

/** Pushes a one-layer OCI image (config, gzip layer, manifest) and tags it. */
export async function pushImage(
  client: RegistryClient,
  repo: string,
  tag: string,
  seed: string,
  opts: { mediaType?: string; annotations?: Record<string, string> } = {},
): Promise<PushedImage> {
  const docker = opts.mediaType === MEDIA_TYPES.dockerManifest;
  const configBytes = encode({
    architecture: "amd64",
    os: "linux",
    config: { Env: [`SEED=${seed}`] },
    rootfs: { type: "layers", diff_ids: [digestOf(new TextEncoder().encode(seed))] },
  });
  const config = await client.pushBlob(
    repo,
    configBytes,
    docker ? MEDIA_TYPES.dockerConfig : MEDIA_TYPES.ociConfig,
  );
  const layer = await client.pushBlob(
    repo,
    gzipSync(new TextEncoder().encode(`layer ${seed}`)),
    docker ? MEDIA_TYPES.dockerLayerTarGzip : MEDIA_TYPES.ociLayerTarGzip,
  );
  const manifestJson: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: opts.mediaType ?? MEDIA_TYPES.ociManifest,
    config,
    layers: [layer],
  };
  if (opts.annotations !== undefined) manifestJson.annotations = opts.annotations;
  const pushed = await client.pushManifest(
    repo,
    tag,
    encode(manifestJson),
    opts.mediaType ?? MEDIA_TYPES.ociManifest,
  );
  return { manifest: pushed.descriptor, config, layer };
}

export /** Where scripts/build-supply-chain-tools.sh puts crane and cosign, if it has run. */
function findTool(
  name: "crane" | "cosign" | "cosign-v2" | "referrers-registry",
): string | undefined {
  const fromEnv = process.env.MCP_WARDEN_TOOLS_BIN;
  if (fromEnv !== undefined)
    return existsSync(join(fromEnv, name)) ? join(fromEnv, name) : undefined;
  const cache = process.env.MCP_WARDEN_CACHE ?? join(homedir(), ".cache", "mcp-warden");
  if (!existsSync(cache)) return undefined;
  for (const dir of readdirSync(cache)
    .filter((d) => d.startsWith("cosign-"))
    .sort()
    .reverse()) {
    const tool = join(cache, dir, name);
    if (existsSync(tool)) return tool;
  }
  return undefined;
}
