/**
 * The image's merged filesystem as its layers stream, reduced to the files an inventory reads:
 * package manifests and databases, and Go executables' build info. Whiteouts (`.wh.<name>`) and
 * opaque directories (`.wh..wh..opq`) remove what lower layers put there, and an upper layer's
 * entry replaces whatever a lower one had at that path (and below it, unless it is a directory),
 * so a file deleted in an upper layer is never inventoried. Everything else is skipped while
 * streaming; nothing is written to disk.
 */
import type { RegistryClient } from "../registry/client.ts";
import { readGoBuildInfo } from "./go-buildinfo.ts";
import type { GoBuildInfo } from "./go-buildinfo.ts";
import { walkLayers } from "./pull.ts";
import type {
  EntryBody,
  ImageBounds,
  LayerEntry,
  PulledImage,
  WalkHooks,
  WalkStats,
} from "./pull.ts";

export type KeptKind =
  /** `…/node_modules/[@scope/]name/package.json` */
  | "npm-package"
  /** A `package.json` outside node_modules: maybe the application's own. */
  | "package-json"
  /** `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, or an `*.egg-info` file. */
  | "python-metadata"
  /** `var/lib/dpkg/status`, `var/lib/dpkg/status.d/*` (distroless). */
  | "dpkg-status"
  /** `lib/apk/db/installed` */
  | "apk-installed"
  /** `etc/os-release`, `usr/lib/os-release` */
  | "os-release"
  /** An ELF executable carrying Go build info. */
  | "go-binary";

export interface KeptFile {
  /** Path in the image, without the leading `/`. */
  path: string;
  layer: string;
  layerIndex: number;
  kind: KeptKind;
  /** The file's bytes (every kind but go-binary). */
  bytes?: Uint8Array;
  /** The build info (go-binary). */
  go?: GoBuildInfo;
}

/** A file the inventory would have read but did not, and why. */
export interface SkippedFile {
  path: string;
  layer: string;
  reason: string;
}

export const FILE_BOUNDS = {
  /** A package manifest or package database kept in memory. */
  maxMetadataBytes: 32 * 1024 * 1024,
  /** An executable read for its Go build info. */
  maxExecutableBytes: 256 * 1024 * 1024,
} as const;

export interface FileBounds {
  maxMetadataBytes: number;
  maxExecutableBytes: number;
}

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";

/** Which kind of file an inventory reads at this path, if any (executables are decided by content). */
export function metadataKind(path: string): KeptKind | undefined {
  const parts = path.split("/");
  const base = parts[parts.length - 1] ?? "";
  const parent = parts[parts.length - 2] ?? "";
  if (base === "package.json") {
    const nm = parts.lastIndexOf("node_modules");
    if (nm < 0) return parts.includes(".npm") ? undefined : "package-json";
    const rest = parts.slice(nm + 1, -1);
    const [first = "", second] = rest;
    const ok =
      (rest.length === 1 && !first.startsWith(".")) ||
      (rest.length === 2 && first.startsWith("@") && second !== undefined);
    return ok ? "npm-package" : undefined;
  }
  if (base === "METADATA" && parent.endsWith(".dist-info")) return "python-metadata";
  if (base === "PKG-INFO" && parent.endsWith(".egg-info")) return "python-metadata";
  if (base.endsWith(".egg-info")) return "python-metadata"; // a file: distutils' own format
  if (path === "var/lib/dpkg/status") return "dpkg-status";
  if (parts.length === 5 && path.startsWith("var/lib/dpkg/status.d/") && !base.includes("."))
    return "dpkg-status";
  if (path === "lib/apk/db/installed") return "apk-installed";
  if (path === "etc/os-release" || path === "usr/lib/os-release") return "os-release";
  return undefined;
}

function isUnder(path: string, dir: string): boolean {
  return dir === "" || path.startsWith(`${dir}/`);
}

/** The kept files of an image's merged filesystem, fed entry by entry, lowest layer first. */
export class MergedView {
  readonly #files = new Map<string, KeptFile>();
  readonly skipped: SkippedFile[] = [];
  readonly #bounds: FileBounds;

  constructor(bounds: Partial<FileBounds> = {}) {
    this.#bounds = { ...FILE_BOUNDS, ...bounds };
  }

  files(): KeptFile[] {
    return [...this.#files.values()].sort((a, b) => a.path.localeCompare(b.path));
  }

  /** An entry visitor for {@link walkLayers}. */
  readonly visit = async (entry: LayerEntry, body: EntryBody): Promise<void> => {
    const slash = entry.path.lastIndexOf("/");
    const dir = slash < 0 ? "" : entry.path.slice(0, slash);
    const base = entry.path.slice(slash + 1);
    if (base === OPAQUE) {
      this.#remove((p, f) => isUnder(p, dir) && f.layerIndex < entry.layerIndex);
      return;
    }
    if (base.startsWith(WHITEOUT)) {
      const gone = `${dir === "" ? "" : `${dir}/`}${base.slice(WHITEOUT.length)}`;
      this.#remove((p, f) => (p === gone || isUnder(p, gone)) && f.layerIndex < entry.layerIndex);
      return;
    }
    // This entry replaces the path; anything but a directory also replaces what was below it.
    if (entry.type === "directory") this.#files.delete(entry.path);
    else this.#remove((p) => p === entry.path || isUnder(p, entry.path));

    if (entry.type === "link" && entry.linkname !== undefined) {
      const target = this.#files.get(entry.linkname);
      if (target !== undefined) this.#files.set(entry.path, { ...target, path: entry.path });
      return;
    }
    if (entry.type !== "file" && entry.type !== "contiguous-file") return;
    const kind = metadataKind(entry.path);
    if (kind !== undefined) {
      const bytes = await this.#read(entry, body, this.#bounds.maxMetadataBytes);
      if (bytes !== undefined) this.#keep(entry, { kind, bytes });
      return;
    }
    if ((entry.mode & 0o111) !== 0 && entry.size >= 64) {
      const bytes = await this.#readElf(entry, body);
      const go = bytes === undefined ? undefined : readGoBuildInfo(bytes);
      if (go !== undefined) this.#keep(entry, { kind: "go-binary", go });
    }
  };

  #keep(entry: LayerEntry, what: Pick<KeptFile, "kind" | "bytes" | "go">): void {
    this.#files.set(entry.path, {
      path: entry.path,
      layer: entry.layer,
      layerIndex: entry.layerIndex,
      ...what,
    });
  }

  #remove(match: (path: string, f: KeptFile) => boolean): void {
    for (const [p, f] of this.#files) if (match(p, f)) this.#files.delete(p);
  }

  async #read(entry: LayerEntry, body: EntryBody, limit: number): Promise<Uint8Array | undefined> {
    if (entry.size > limit) {
      this.skipped.push({
        path: entry.path,
        layer: entry.layer,
        reason: `${entry.size} bytes, over the ${limit}-byte bound`,
      });
      return undefined;
    }
    const chunks: Uint8Array[] = [];
    for await (const c of body) chunks.push(c);
    return Buffer.concat(chunks);
  }

  /** An executable's bytes when it is an ELF file within the bound; others are only drained. */
  async #readElf(entry: LayerEntry, body: EntryBody): Promise<Uint8Array | undefined> {
    const limit = this.#bounds.maxExecutableBytes;
    const chunks: Uint8Array[] = [];
    let elf: boolean | undefined;
    for await (const c of body) {
      elf ??= c[0] === 0x7f && c[1] === 0x45 && c[2] === 0x4c;
      if (elf && entry.size <= limit) chunks.push(c);
    }
    if (elf !== true) return undefined;
    if (entry.size > limit) {
      this.skipped.push({
        path: entry.path,
        layer: entry.layer,
        reason: `executable of ${entry.size} bytes, over the ${limit}-byte bound for Go build info`,
      });
      return undefined;
    }
    return Buffer.concat(chunks);
  }
}

export interface ImageFiles {
  files: KeptFile[];
  skipped: SkippedFile[];
  stats: WalkStats;
}

/** Streams every layer of `image` and returns the kept files of the merged filesystem. */
export async function readImageFiles(
  client: RegistryClient,
  image: PulledImage,
  opts: Partial<ImageBounds & FileBounds> & WalkHooks = {},
): Promise<ImageFiles> {
  const view = new MergedView(opts);
  const stats = await walkLayers(client, image, view.visit, opts);
  return { files: view.files(), skipped: view.skipped, stats };
}
