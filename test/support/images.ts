/**
 * Images for the image-contents tests: tar layers written with tar-stream (hostile ones too),
 * pushed through the registry client to the real registry, and crane run against it.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { gzipSync, zstdCompressSync } from "node:zlib";
import * as tar from "tar-stream";
import type { RegistryClient } from "../../supply-chain/registry/client.ts";
import { MEDIA_TYPES, digestOf, type Descriptor } from "../../supply-chain/registry/types.ts";
import { encode } from "./supply-chain.ts";

const run = promisify(execFile);

export interface TarEntrySpec {
  name: string;
  type?: tar.Header["type"];
  content?: string | Uint8Array;
  linkname?: string;
  mode?: number;
}

/** A tar archive of exactly these entries, in this order (names as given, unchecked). */
export async function tarOf(entries: readonly TarEntrySpec[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on("data", (c: unknown) => {
      if (c instanceof Uint8Array) chunks.push(Buffer.from(c));
    });
    pack.on("end", () => resolve());
    pack.on("error", reject);
  });
  for (const e of entries) {
    const type = e.type ?? (e.name.endsWith("/") ? "directory" : "file");
    const header: Partial<tar.Header> & { name: string } = {
      name: e.name,
      type,
      mode: e.mode ?? (type === "directory" ? 0o755 : 0o644),
      mtime: new Date(0),
    };
    if (e.linkname !== undefined) header.linkname = e.linkname;
    if (type === "file") pack.entry(header, e.content ?? "");
    else pack.entry(header);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export type Compression = "gzip" | "zstd" | "none";

export interface LayerSpec {
  /** The uncompressed tar. */
  tar: Uint8Array;
  compression?: Compression;
}

export interface BuiltImage {
  ref: string;
  digest: string;
  layers: Descriptor[];
}

const OCI_LAYER: Record<Compression, string> = {
  gzip: MEDIA_TYPES.ociLayerTarGzip,
  zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  none: MEDIA_TYPES.ociLayerTar,
};

export function compress(bytes: Uint8Array, how: Compression): Uint8Array {
  if (how === "gzip") return gzipSync(bytes);
  if (how === "zstd") return zstdCompressSync(bytes);
  return bytes;
}

/**
 * Pushes an image of these layers (OCI media types; Docker v2 with `docker`), its config listing
 * the layers' diff_ids. `layerDescriptor` may rewrite what the manifest declares of a layer.
 */
export async function pushLayers(
  client: RegistryClient,
  repo: string,
  tag: string,
  layers: readonly LayerSpec[],
  opts: {
    docker?: boolean;
    platform?: { os: string; architecture: string; variant?: string };
    config?: Record<string, unknown>;
    layerDescriptor?: (d: Descriptor, i: number) => Descriptor;
  } = {},
): Promise<BuiltImage> {
  const docker = opts.docker === true;
  const descriptors: Descriptor[] = [];
  for (const [i, l] of layers.entries()) {
    const how = l.compression ?? "gzip";
    const type = docker ? MEDIA_TYPES.dockerLayerTarGzip : OCI_LAYER[how];
    if (docker && how !== "gzip") throw new Error("Docker v2 layers are gzip here");
    const d = await client.pushBlob(repo, compress(l.tar, how), type);
    descriptors.push(opts.layerDescriptor ? opts.layerDescriptor(d, i) : d);
  }
  const platform = opts.platform ?? { os: "linux", architecture: "amd64" };
  const config = await client.pushBlob(
    repo,
    encode({
      ...platform,
      config: opts.config ?? {},
      rootfs: { type: "layers", diff_ids: layers.map((l) => digestOf(l.tar)) },
    }),
    docker ? MEDIA_TYPES.dockerConfig : MEDIA_TYPES.ociConfig,
  );
  const mediaType = docker ? MEDIA_TYPES.dockerManifest : MEDIA_TYPES.ociManifest;
  const pushed = await client.pushManifest(
    repo,
    tag,
    encode({ schemaVersion: 2, mediaType, config, layers: descriptors }),
    mediaType,
  );
  return { ref: `${repo}:${tag}`, digest: pushed.descriptor.digest, layers: descriptors };
}

/** Runs crane (bounded in time); its stdout. */
export async function crane(bin: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run(bin, [...args], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/**
 * A one-layer image whose layer is a real tar (a file holding `seed`, so each image is new): what a
 * step that reads an image's layers needs when the contents do not matter.
 */
export async function pushSeedImage(
  client: RegistryClient,
  repo: string,
  tag: string,
  seed: string,
): Promise<BuiltImage> {
  return pushLayers(client, repo, tag, [{ tar: await tarOf([{ name: "seed", content: seed }]) }]);
}
