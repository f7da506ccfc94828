/**
 * Extracting an image's root filesystem from the real registry: a real npm install comes out
 * byte for byte with its links and modes, layers apply their whiteouts, and hostile layers are
 * refused (or kept inside the root) with nothing written outside the work directory.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import {
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  rm,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ImageError } from "../../../supply-chain/image/errors.ts";
import { extractImage } from "../../../supply-chain/image/extract.ts";
import { pullImage } from "../../../supply-chain/image/pull.ts";
import type { ImageBounds } from "../../../supply-chain/image/pull.ts";
import { RegistryClient } from "../../../supply-chain/registry/client.ts";
import { pushLayers, tarOf } from "../../support/images.ts";
import type { TarEntrySpec } from "../../support/images.ts";
import { NPM_SERVERS, installNpmServer } from "../../support/mcp-servers.ts";
import { SKIP_NO_REGISTRY, startRegistry } from "../../support/registry-server.ts";
import type { RegistryServer } from "../../support/registry-server.ts";
import { assertRejectsWithCode } from "../../support/throws.ts";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Every path under `dir` (relative), sorted. */
async function tree(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { recursive: true })).sort();
}

describe("extracting images from docker-registry", { skip: SKIP_NO_REGISTRY }, () => {
  let registry: RegistryServer;
  let client: RegistryClient;
  let work: string;
  let n = 0;
  before(async () => {
    registry = await startRegistry();
    client = new RegistryClient({ timeoutMs: 30_000 });
    work = await mkdtemp(join(tmpdir(), "mcp-warden-extract-"));
  });
  after(async () => {
    await registry?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function extract(
    layers: TarEntrySpec[][],
    bounds: Partial<ImageBounds> = {},
  ): Promise<{ root: string; result: Awaited<ReturnType<typeof extractImage>> }> {
    const tag = `t${++n}`;
    const built = await pushLayers(
      client,
      `${registry.host}/extract/img`,
      tag,
      await Promise.all(layers.map(async (l) => ({ tar: await tarOf(l) }))),
    );
    const root = join(work, `rootfs-${tag}`);
    const result = await extractImage(client, await pullImage(client, built.ref), root, bounds);
    return { root, result };
  }

  /** Runs `fn`, which must be refused with `code`; nothing outside the work directory changed. */
  async function refused(
    code: ImageError["code"],
    layers: TarEntrySpec[][],
    bounds: Partial<ImageBounds> = {},
  ): Promise<void> {
    // Hostile names all aim at `work/outside`; the work directory holds only the roots.
    const before = (await readdir(work)).filter((p) => !p.startsWith("rootfs-"));
    const outside = join(work, "outside");
    await assertRejectsWithCode(extract(layers, bounds), code, ImageError);
    assert.equal(existsSync(outside), false, "nothing written beside the root");
    assert.deepEqual(await tree(join(work, `rootfs-t${n}`)), [], "the partial root is removed");
    assert.deepEqual(
      (await readdir(work)).filter((p) => !p.startsWith("rootfs-")),
      before,
    );
  }

  test("a real npm install comes out byte for byte, with its symlinks and modes", async () => {
    const entry = await installNpmServer(NPM_SERVERS.filesystemOld);
    const prefix = entry.slice(0, entry.indexOf("/node_modules/"));
    const { stdout } = await run(
      "tar",
      ["-C", prefix, "-cf", "-", "--owner=0", "--group=0", "node_modules"],
      { encoding: "buffer", maxBuffer: 256 * 1024 * 1024 },
    );
    const built = await pushLayers(client, `${registry.host}/extract/npm`, "v1", [{ tar: stdout }]);
    const root = join(work, "npm-root");
    const result = await extractImage(client, await pullImage(client, built.ref), root);
    const src = await tree(join(prefix, "node_modules"));
    assert.deepEqual(await tree(join(root, "node_modules")), src);
    assert.ok(result.stats.entries >= src.length, `${result.stats.entries} entries`);
    let files = 0;
    for (const rel of src) {
      const a = await lstat(join(prefix, "node_modules", rel));
      const b = await lstat(join(root, "node_modules", rel));
      assert.equal(b.mode, a.mode & ~0o7000, rel);
      if (a.isSymbolicLink())
        assert.equal(
          await readlink(join(root, "node_modules", rel)),
          await readlink(join(prefix, "node_modules", rel)),
        );
      else if (a.isFile()) {
        files++;
        assert.ok(
          (await readFile(join(root, "node_modules", rel))).equals(
            await readFile(join(prefix, "node_modules", rel)),
          ),
          rel,
        );
      }
    }
    assert.ok(files > 500, `${files} files compared`);
  });

  test("whiteouts, opaque directories and replaced paths on disk", async () => {
    const { root, result } = await extract([
      [
        { name: "etc/" },
        { name: "etc/keep", content: "1" },
        { name: "etc/drop", content: "1" },
        { name: "data/old", content: "1" },
        { name: "dev/null", type: "character-device" },
        { name: "bin/sh", content: "#!", mode: 0o4755 },
      ],
      [
        { name: "etc/.wh.drop" },
        { name: "data/new", content: "2" },
        { name: "data/.wh..wh..opq" },
        { name: "etc/keep", content: "2" },
      ],
    ]);
    assert.deepEqual(await tree(root), ["bin", "bin/sh", "data", "data/new", "etc", "etc/keep"]);
    assert.equal(await readFile(join(root, "etc/keep"), "utf8"), "2");
    assert.equal((await lstat(join(root, "bin/sh"))).mode & 0o7777, 0o755, "set-uid dropped");
    assert.deepEqual(
      result.skipped.map((s) => s.path),
      ["dev/null"],
    );
  });

  test("../ and absolute names are refused", async () => {
    await refused("PATH_ESCAPE", [[{ name: "../outside/pwned", content: "x" }]]);
    await refused("PATH_ESCAPE", [[{ name: join(work, "outside", "pwned"), content: "x" }]]);
    await refused("PATH_ESCAPE", [[{ name: "hl", type: "link", linkname: "../../../etc/passwd" }]]);
  });

  test("a symlink climbing out of the root is refused before anything goes through it", async () => {
    const up = "../".repeat(12);
    await refused("PATH_ESCAPE", [
      [
        { name: "a/", type: "directory" },
        { name: "a/link", type: "symlink", linkname: `${up}${work.slice(1)}/outside` },
        { name: "a/link/pwned", content: "x" },
      ],
    ]);
  });

  test("an absolute symlink used as a parent directory resolves inside the root", async () => {
    const outside = join(work, "outside");
    const { root } = await extract([
      [{ name: "link", type: "symlink", linkname: outside }],
      [{ name: "link/pwned", content: "x" }],
      // and through `..` past the root, which stops at the root
      [{ name: "up", type: "symlink", linkname: "/../../.." }],
      [{ name: "up/tmp/pwned2", content: "y" }],
    ]);
    assert.equal(existsSync(outside), false);
    assert.equal(await readFile(join(root, outside, "pwned"), "utf8"), "x");
    assert.equal(await readFile(join(root, "tmp", "pwned2"), "utf8"), "y");
    assert.equal(await readlink(join(root, "link")), outside, "the link itself is kept as written");
  });

  test("a symlink swapped in for a file is replaced, not written through", async () => {
    const victim = join(work, "victim");
    await writeFile(victim, "untouched");
    const { root } = await extract([
      [{ name: "f", type: "symlink", linkname: victim }],
      [{ name: "f", content: "replaced" }],
    ]);
    assert.equal(await readFile(victim, "utf8"), "untouched");
    assert.equal(await readFile(join(root, "f"), "utf8"), "replaced");
    await rm(victim);
  });

  test("the entry and size bounds hold, and the partial root is removed", async () => {
    await refused(
      "TOO_MANY_FILES",
      [Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, content: "x" }))],
      { maxFiles: 20 },
    );
    await refused("UNCOMPRESSED_TOO_LARGE", [[{ name: "big", content: new Uint8Array(1 << 20) }]], {
      maxUncompressedBytes: 512 * 1024,
    });
    await mkdir(join(work, "busy"));
    await writeFile(join(work, "busy", "x"), "");
    const built = await pushLayers(client, `${registry.host}/extract/busy`, "v1", [
      { tar: await tarOf([{ name: "y", content: "" }]) },
    ]);
    await assertRejectsWithCode(
      extractImage(client, await pullImage(client, built.ref), join(work, "busy")),
      "TARGET_NOT_EMPTY",
      ImageError,
    );
  });
});
