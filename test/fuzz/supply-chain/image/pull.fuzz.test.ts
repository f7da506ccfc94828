/**
 * Image layers from a real registry (Debian's docker-registry on loopback): tar archives of
 * hostile entries (paths out of the root, links through links, whiteouts), then damaged bytes
 * (flipped, cut short, a header claiming 50 MB over 1 KB of data), gzip, zstd or plain, and
 * decompression bombs. Walking or extracting them resolves or throws ImageError/RegistryError,
 * and nothing is ever written outside the extraction root.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { ImageError } from "../../../../supply-chain/image/errors.ts";
import { extractImage } from "../../../../supply-chain/image/extract.ts";
import { pullImage, readUpTo, walkLayers } from "../../../../supply-chain/image/pull.ts";
import { RegistryClient } from "../../../../supply-chain/registry/client.ts";
import { RegistryError } from "../../../../supply-chain/registry/errors.ts";
import { fuzz, resolvesOrRejectsTyped } from "../../../support/fuzz.ts";
import { tarOf, pushLayers, type Compression, type TarEntrySpec } from "../../../support/images.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../../../support/registry-server.ts";

const TYPED = [ImageError, RegistryError];
const OUTSIDE = "/OUTSIDE";

const entryName = fc.oneof(
  fc.constantFrom(
    "a",
    "dir",
    "link",
    "link/",
    "dir/",
    "dir/a",
    "./b",
    "../escape",
    "/etc/passwd",
    "dir/../../escape",
    "link/evil",
    "dir/.wh.a",
    "dir/.wh..wh..opq",
    ".wh.dir",
    "a".repeat(300),
    "dir//x",
    "",
  ),
  fc.stringMatching(/^[a-z./]{1,12}$/),
);

const entry: fc.Arbitrary<TarEntrySpec> = fc.oneof(
  fc.record({
    name: entryName,
    content: fc.oneof(fc.string({ maxLength: 64 }), fc.uint8Array({ maxLength: 2048 })),
  }),
  fc.record({ name: entryName, type: fc.constant("directory" as const) }),
  fc.record({
    name: entryName,
    type: fc.constantFrom("symlink" as const, "link" as const),
    // OUTSIDE stands for a real directory beside the extraction root, made before the run.
    linkname: fc.oneof(entryName, fc.constantFrom("/", "..", "../../..", "dir", "link", OUTSIDE)),
  }),
);

type ByteDamage =
  | { op: "flip"; at: number; value: number }
  | { op: "cut"; at: number }
  | { op: "claim"; entry: number };

const byteDamage: fc.Arbitrary<ByteDamage> = fc.oneof(
  fc.record({
    op: fc.constant("flip" as const),
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ op: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("claim" as const), entry: fc.nat({ max: 4 }) }),
);

/** The tar size field (octal, at 124 in each 512-byte header) of the n-th block claims 50 MB. */
function damage(bytes: Buffer, damages: readonly ByteDamage[]): Buffer {
  let out = Buffer.from(bytes);
  for (const d of damages) {
    if (out.length === 0) break;
    if (d.op === "flip") out[d.at % out.length] = d.value;
    else if (d.op === "cut") out = out.subarray(0, d.at % out.length);
    else {
      const header = (d.entry * 512) % out.length;
      if (header + 136 <= out.length) out.write("00276570200\0", header + 124, "latin1");
    }
  }
  return out;
}

describe("image layers from a registry", { skip: SKIP_NO_REGISTRY }, () => {
  let registry: RegistryServer;
  let client: RegistryClient;
  let dir: string;
  let run = 0;
  before(async () => {
    registry = await startRegistry();
    client = new RegistryClient();
    dir = await mkdtemp(join(tmpdir(), "mcp-warden-fuzz-layers-"));
    await mkdir(join(dir, "outside"));
  });
  after(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("hostile and damaged layers: walked and extracted, or refused with a typed error; nothing lands outside the root", async (t) => {
    await fuzz(
      t,
      fc.asyncProperty(
        fc.array(fc.array(entry, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 2 }),
        fc.array(byteDamage, { maxLength: 2 }),
        fc.constantFrom<Compression>("gzip", "zstd", "none"),
        async (layers, damages, compression) => {
          const n = run++;
          const outside = join(dir, "outside");
          const aimed = layers.map((entries) =>
            entries.map((e) => (e.linkname === OUTSIDE ? { ...e, linkname: outside } : e)),
          );
          const tars = await Promise.all(aimed.map((entries) => tarOf(entries)));
          // The config's diff_id is of the damaged tar: the damage must be caught by reading it.
          const built = await pushLayers(
            client,
            `${registry.host}/fuzz/layers`,
            `r${n}`,
            tars.map((tar, i) => ({ tar: i === 0 ? damage(tar, damages) : tar, compression })),
          );
          const image = await pullImage(client, built.ref);
          await resolvesOrRejectsTyped(
            () => walkLayers(client, image, async (_e, body) => void (await readUpTo(body, 1024))),
            TYPED,
          );
          const box = join(dir, `box-${n}`);
          const root = join(box, "root");
          await mkdir(box);
          await resolvesOrRejectsTyped(() => extractImage(client, image, root), TYPED);
          const beside = (await readdir(box)).filter((name) => name !== "root");
          assert.deepEqual(beside, [], "an entry was written outside the root");
          assert.deepEqual(await readdir(outside), [], "an entry was written through a link");
          await rm(box, { recursive: true, force: true });
        },
      ),
      15,
    );
  });

  test("decompression bombs are stopped at the bound", async () => {
    const zeros = await tarOf([{ name: "zeros", content: new Uint8Array(16 * 1024 * 1024) }]);
    for (const compression of ["gzip", "zstd"] as const) {
      const built = await pushLayers(client, `${registry.host}/fuzz/bomb`, compression, [
        { tar: zeros, compression },
      ]);
      const image = await pullImage(client, built.ref);
      await assert.rejects(
        walkLayers(client, image, async (_e, body) => void (await readUpTo(body, 1024)), {
          maxUncompressedBytes: 1024 * 1024,
        }),
        (e: unknown) => e instanceof ImageError && e.code === "UNCOMPRESSED_TOO_LARGE",
      );
    }
  });
});
