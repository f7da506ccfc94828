/**
 * Unpacks an image's layers into a directory, for a step that needs its root filesystem (running
 * the image's entrypoint). Nothing lands outside the target: names with `..` and absolute names
 * are refused by the walk, every parent directory is resolved inside the target (a symlink is
 * followed as the image would see it from its own root, never on the host), a relative symlink
 * that climbs out of the root is refused, hard links may only join files inside the root, and
 * device files and FIFOs are skipped. Set-id bits are dropped. Total bytes and entries are the
 * walk's bounds. On any failure the target is removed.
 */
import { constants } from "node:fs";
import { link, lstat, mkdir, open, readdir, readlink, rm, symlink, chmod } from "node:fs/promises";
import { join, posix } from "node:path";
import type { RegistryClient } from "../registry/client.ts";
import { ImageError } from "./errors.ts";
import { walkLayers } from "./pull.ts";
import type { EntryBody, ImageBounds, LayerEntry, PulledImage, WalkStats } from "./pull.ts";

export interface ExtractResult {
  stats: WalkStats;
  /** Entries not created (devices, FIFOs), with why. */
  skipped: { path: string; layer: string; reason: string }[];
}

const MAX_LINK_HOPS = 40;
const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";

/** Extracts `image` into `target`, which must not exist or be an empty directory. */
export async function extractImage(
  client: RegistryClient,
  image: PulledImage,
  target: string,
  opts: Partial<ImageBounds> & { signal?: AbortSignal } = {},
): Promise<ExtractResult> {
  await mkdir(target, { recursive: true, mode: 0o700 });
  if ((await readdir(target)).length > 0)
    throw new ImageError(
      "TARGET_NOT_EMPTY",
      `${target} is not empty; extract into a new directory`,
    );
  const writer = new RootWriter(target);
  try {
    const stats = await walkLayers(client, image, writer.visit, opts);
    return { stats, skipped: writer.skipped };
  } catch (err) {
    await rm(target, { recursive: true, force: true });
    throw err;
  }
}

/** Writes entries under `root`, resolving every path inside it. */
export class RootWriter {
  readonly skipped: ExtractResult["skipped"] = [];
  #layerIndex = -1;
  /** Paths written by the current layer: an opaque marker keeps them. */
  #written = new Set<string>();
  /**
   * Directories already resolved to real directories inside the root. Cleared whenever an entry
   * removes or replaces something, since that may have been one of them (or a parent).
   */
  #resolved = new Map<string, string>();

  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  readonly visit = async (entry: LayerEntry, body: EntryBody): Promise<void> => {
    if (entry.layerIndex !== this.#layerIndex) {
      this.#layerIndex = entry.layerIndex;
      this.#written = new Set();
    }
    const dir = posix.dirname(entry.path) === "." ? "" : posix.dirname(entry.path);
    const base = posix.basename(entry.path);
    if (base === OPAQUE) {
      this.#resolved.clear();
      const host = await this.#resolve(dir, entry, true);
      for (const child of await readdir(host))
        if (!this.#written.has(dir === "" ? child : `${dir}/${child}`))
          await rm(join(host, child), { recursive: true, force: true });
      return;
    }
    if (base.startsWith(WHITEOUT)) {
      this.#resolved.clear();
      const parent = await this.#resolve(dir, entry, false);
      if (parent !== undefined)
        await rm(join(parent, base.slice(WHITEOUT.length)), { recursive: true, force: true });
      return;
    }
    switch (entry.type) {
      case "file":
      case "contiguous-file":
      case "symlink":
      case "link":
      case "directory":
        break;
      default:
        this.skipped.push({
          path: entry.path,
          layer: entry.layer,
          reason: `${entry.type} entries are not created`,
        });
        return;
    }
    this.#written.add(entry.path);
    const parent = await this.#resolve(dir, entry, true);
    const host = join(parent, base);
    const existing = await lstat(host).catch(() => undefined);
    if (existing !== undefined && !(existing.isDirectory() && entry.type === "directory"))
      this.#resolved.clear();
    if (entry.type === "directory") {
      if (existing !== undefined && !existing.isDirectory()) await rm(host, { force: true });
      if (existing === undefined || !existing.isDirectory()) await mkdir(host);
      // Keep directories writable to us, so later layers can fill them.
      await chmod(host, (entry.mode & 0o777) | 0o700);
      return;
    }
    if (entry.type === "symlink") this.#checkSymlink(entry);
    if (existing !== undefined) await rm(host, { recursive: true, force: true });
    if (entry.type === "symlink") {
      await symlink(entry.linkname ?? "", host);
      return;
    }
    if (entry.type === "link") {
      const linked = entry.linkname ?? "";
      const fromDir = await this.#resolve(
        posix.dirname(linked) === "." ? "" : posix.dirname(linked),
        entry,
        false,
      );
      const from = fromDir === undefined ? undefined : join(fromDir, posix.basename(linked));
      const st = from === undefined ? undefined : await lstat(from).catch(() => undefined);
      if (from === undefined || st === undefined || st.isDirectory())
        throw new ImageError(
          "LAYER_INVALID",
          `hard link ${JSON.stringify(entry.path)} names ${JSON.stringify(linked)}, which is not a file in the image`,
          { layer: entry.layer, entry: entry.path },
        );
      await link(from, host);
      return;
    }
    // O_NOFOLLOW and O_EXCL: the path was just cleared; never write through a link put there.
    const fh = await open(
      host,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      for await (const chunk of body) await fh.write(chunk);
      await fh.chmod(entry.mode & 0o777);
    } finally {
      await fh.close();
    }
  };

  /** A relative symlink may not climb above the root from where it sits. */
  #checkSymlink(entry: LayerEntry): void {
    const to = entry.linkname ?? "";
    if (to === "" || to.includes("\0"))
      throw new ImageError("PATH_ESCAPE", `symlink ${JSON.stringify(entry.path)} has no target`, {
        layer: entry.layer,
        entry: entry.path,
      });
    if (posix.isAbsolute(to)) return; // resolved from the image's own root, like chroot does
    let depth = entry.path.split("/").length - 1;
    for (const part of to.split("/")) {
      if (part === "..") depth--;
      else if (part !== "" && part !== ".") depth++;
      if (depth < 0)
        throw new ImageError(
          "PATH_ESCAPE",
          `symlink ${JSON.stringify(entry.path)} -> ${JSON.stringify(to)} points out of the image root`,
          { layer: entry.layer, entry: entry.path },
        );
    }
  }

  /**
   * The host path of directory `rel`, every component resolved inside the root: a symlink is
   * followed as seen from the image's root (absolute targets restart at the root, `..` stops
   * there), missing directories are created when `create`.
   */
  async #resolve(rel: string, entry: LayerEntry, create: true): Promise<string>;
  async #resolve(rel: string, entry: LayerEntry, create: false): Promise<string | undefined>;
  async #resolve(rel: string, entry: LayerEntry, create: boolean): Promise<string | undefined> {
    const known = this.#resolved.get(rel);
    if (known !== undefined) return known;
    const pending = rel === "" ? [] : rel.split("/");
    const cur: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift() ?? "";
      if (part === "" || part === ".") continue;
      if (part === "..") {
        cur.pop();
        continue;
      }
      const host = join(this.root, ...cur, part);
      const st = await lstat(host).catch(() => undefined);
      if (st?.isSymbolicLink()) {
        if (++hops > MAX_LINK_HOPS)
          throw new ImageError(
            "PATH_ESCAPE",
            `${JSON.stringify(entry.path)}: more than ${MAX_LINK_HOPS} symlinks on its path`,
            { layer: entry.layer, entry: entry.path },
          );
        const to = await readlink(host);
        if (posix.isAbsolute(to)) cur.length = 0;
        pending.unshift(...to.split("/"));
        continue;
      }
      if (st === undefined || !st.isDirectory()) {
        // Nothing is there to find; never build a path from unresolved parts.
        if (!create) return undefined;
        if (st !== undefined) await rm(host, { force: true });
        await mkdir(host, { mode: 0o755 });
      }
      cur.push(part);
    }
    const host = join(this.root, ...cur);
    this.#resolved.set(rel, host);
    return host;
  }
}
