/**
 * Pulling an image through the registry client from the real registry (Debian's docker-registry):
 * images built with crane (Docker media types, entrypoint, multi-arch index) and pushed by hand
 * (OCI, zstd and plain tar layers), and hostile ones refused with the layer named.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ImageError } from "../../../supply-chain/image/errors.ts";
import {
  normalizeEntryName,
  parsePlatform,
  pullImage,
  readUpTo,
  walkLayers,
} from "../../../supply-chain/image/pull.ts";
import type { ImageBounds, PulledImage } from "../../../supply-chain/image/pull.ts";
import { RegistryClient } from "../../../supply-chain/registry/client.ts";
import { digestOf } from "../../../supply-chain/registry/types.ts";
import { crane, pushLayers, tarOf } from "../../support/images.ts";
import { SKIP_NO_REGISTRY, startRegistry } from "../../support/registry-server.ts";
import type { RegistryServer } from "../../support/registry-server.ts";
import { findTool } from "../../support/supply-chain.ts";
import { assertRejectsWithCode } from "../../support/throws.ts";

/** Every entry's path → its content (files) or `type -> link`. */
async function listing(
  client: RegistryClient,
  image: PulledImage,
  bounds: Partial<ImageBounds> = {},
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await walkLayers(
    client,
    image,
    async (e, body) => {
      const bytes = await readUpTo(body, 1024);
      const what =
        e.type === "file"
          ? new TextDecoder().decode(bytes)
          : `${e.type}${e.linkname ? ` -> ${e.linkname}` : ""}`;
      out.set(`${e.layerIndex}:${e.path}`, what);
    },
    bounds,
  );
  return out;
}

test("entry names are kept inside the root", () => {
  assert.equal(normalizeEntryName("./usr/bin/"), "usr/bin");
  assert.equal(normalizeEntryName("a//b/./c"), "a/b/c");
  assert.equal(normalizeEntryName("./"), "");
  assert.equal(normalizeEntryName("../etc/passwd"), undefined);
  assert.equal(normalizeEntryName("a/../../b"), undefined);
  assert.equal(normalizeEntryName("/etc/passwd"), undefined);
  assert.deepEqual(parsePlatform("linux/arm64/v8"), {
    os: "linux",
    architecture: "arm64",
    variant: "v8",
  });
  assert.throws(() => parsePlatform("amd64"), ImageError);
});

describe("pulling images from docker-registry", { skip: SKIP_NO_REGISTRY }, () => {
  let registry: RegistryServer;
  let client: RegistryClient;
  let dir: string;
  before(async () => {
    registry = await startRegistry();
    client = new RegistryClient();
    dir = await mkdtemp(join(tmpdir(), "mcp-warden-pull-"));
  });
  after(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("a crane-built image: Docker media types, config, multi-arch index", async (t) => {
    const bin = findTool("crane");
    if (bin === undefined) {
      t.skip("crane not built yet (scripts/build-supply-chain-tools.sh)");
      return;
    }
    const repo = `${registry.host}/img/crane`;
    const layer = join(dir, "app.tar");
    await writeFile(
      layer,
      await tarOf([
        { name: "app/" },
        { name: "app/server.js", content: "console.log('hi')" },
        { name: "app/run", type: "symlink", linkname: "server.js" },
      ]),
    );
    await crane(bin, ["append", "--insecure", "-f", layer, "-t", `${repo}:base`]);
    await crane(bin, [
      "mutate",
      "--insecure",
      `${repo}:base`,
      "--entrypoint",
      "node,/app/server.js",
      "--cmd",
      "--stdio",
      "--user",
      "1000:1000",
      "--workdir",
      "/app",
      "--env",
      "MODE=prod",
      "--set-platform",
      "linux/amd64",
      "-t",
      `${repo}:amd64`,
    ]);
    await crane(bin, [
      "mutate",
      "--insecure",
      `${repo}:base`,
      "--entrypoint",
      "/arm",
      "--set-platform",
      "linux/arm64/v8",
      "-t",
      `${repo}:arm64`,
    ]);
    const amd64Digest = await crane(bin, ["digest", "--insecure", `${repo}:amd64`]);
    const arm64Digest = await crane(bin, ["digest", "--insecure", `${repo}:arm64`]);
    await crane(bin, [
      "index",
      "append",
      "--insecure",
      "-m",
      `${repo}:arm64`,
      "-m",
      `${repo}:amd64`,
      "-t",
      `${repo}:multi`,
    ]);
    const indexDigest = await crane(bin, ["digest", "--insecure", `${repo}:multi`]);

    const single = await pullImage(client, `${repo}:amd64`);
    assert.equal(single.digest, amd64Digest);
    assert.equal(single.indexDigest, undefined);
    assert.deepEqual(single.config.entrypoint, ["node", "/app/server.js"]);
    assert.deepEqual(single.config.cmd, ["--stdio"]);
    assert.equal(single.config.user, "1000:1000");
    assert.equal(single.config.workingDir, "/app");
    assert.ok(single.config.env.includes("MODE=prod"), single.config.env.join(" "));
    assert.equal(single.layers[0]?.mediaType, "application/vnd.docker.image.rootfs.diff.tar.gzip");
    assert.deepEqual(
      [...(await listing(client, single))],
      [
        ["0:app", "directory"],
        ["0:app/server.js", "console.log('hi')"],
        ["0:app/run", "symlink -> server.js"],
      ],
    );

    const byDefault = await pullImage(client, `${repo}:multi`);
    assert.equal(byDefault.digest, amd64Digest);
    assert.equal(byDefault.indexDigest, indexDigest);
    const arm = await pullImage(client, `${repo}@${indexDigest}`, {
      platform: parsePlatform("linux/arm64/v8"),
    });
    assert.equal(arm.digest, arm64Digest);
    assert.deepEqual(arm.config.entrypoint, ["/arm"]);
    await assertRejectsWithCode(
      pullImage(client, `${repo}:multi`, { platform: parsePlatform("linux/s390x") }),
      "PLATFORM_NOT_FOUND",
      ImageError,
    );
    await assertRejectsWithCode(
      pullImage(client, `${repo}:arm64`, { platform: parsePlatform("linux/amd64") }),
      "PLATFORM_NOT_FOUND",
      ImageError,
    );
  });

  test("OCI layers compressed with gzip, zstd and none, read in order", async () => {
    const repo = `${registry.host}/img/oci`;
    const built = await pushLayers(client, repo, "v1", [
      { tar: await tarOf([{ name: "a.txt", content: "gzip" }]), compression: "gzip" },
      { tar: await tarOf([{ name: "b.txt", content: "zstd" }]), compression: "zstd" },
      { tar: await tarOf([{ name: "./c.txt", content: "plain" }]), compression: "none" },
    ]);
    const image = await pullImage(client, built.ref);
    assert.equal(image.digest, built.digest);
    assert.deepEqual(
      [...(await listing(client, image))],
      [
        ["0:a.txt", "gzip"],
        ["1:b.txt", "zstd"],
        ["2:c.txt", "plain"],
      ],
    );
  });

  test("a layer whose stored bytes do not match its digest is refused, naming it", async () => {
    const repo = `${registry.host}/img/tampered`;
    const built = await pushLayers(client, repo, "v1", [
      { tar: await tarOf([{ name: "ok.txt", content: "fine" }]) },
      { tar: await tarOf([{ name: "bin/tool", content: "original" }]), compression: "none" },
    ]);
    const victim = built.layers[1];
    assert.ok(victim);
    // Same length, other bytes: what a compromised registry or mirror would serve.
    const swapped = await tarOf([{ name: "bin/tool", content: "backdoor" }]);
    assert.equal(swapped.byteLength, victim.size);
    assert.notEqual(digestOf(swapped), victim.digest);
    await writeFile(registry.blobPath(victim.digest), swapped);
    const image = await pullImage(client, built.ref);
    const err = await assertRejectsWithCode(
      listing(client, image),
      "LAYER_DIGEST_MISMATCH",
      ImageError,
    );
    assert.equal(err.layer, victim.digest);
  });

  test("a config whose diff_id does not match the unpacked layer is refused", async () => {
    const repo = `${registry.host}/img/diffid`;
    const layerTar = await tarOf([{ name: "x", content: "x" }]);
    const built = await pushLayers(client, repo, "v1", [{ tar: layerTar }]);
    const image = await pullImage(client, built.ref);
    image.config.diffIds[0] = digestOf(new TextEncoder().encode("something else"));
    await assertRejectsWithCode(listing(client, image), "LAYER_DIGEST_MISMATCH", ImageError);
  });

  test("a layer declaring 2 GB is refused before a byte of it is read", async () => {
    const repo = `${registry.host}/img/huge`;
    const built = await pushLayers(
      client,
      repo,
      "v1",
      [{ tar: await tarOf([{ name: "x", content: "x" }]) }],
      { layerDescriptor: (d) => ({ ...d, size: 2 * 1024 * 1024 * 1024 }) },
    );
    const image = await pullImage(client, built.ref);
    const err = await assertRejectsWithCode(listing(client, image), "LAYER_TOO_LARGE", ImageError);
    assert.equal(err.layer, built.layers[0]?.digest);
    assert.equal(err.cause, undefined, "refused from the manifest, not from the transfer");
  });

  test("a gzip bomb is stopped at the uncompressed bound", async () => {
    const repo = `${registry.host}/img/bomb`;
    const zeros = new Uint8Array(128 * 1024 * 1024);
    const bombTar = await tarOf([{ name: "zeros", content: zeros }]);
    const built = await pushLayers(client, repo, "v1", [{ tar: bombTar }]);
    const compressed = built.layers[0]?.size ?? 0;
    assert.ok(compressed < 1024 * 1024, `compressed to ${compressed} bytes`);
    const image = await pullImage(client, built.ref);
    const seen: string[] = [];
    const err = await assertRejectsWithCode(
      walkLayers(
        client,
        image,
        async (e, body) => {
          seen.push(e.path);
          await readUpTo(body, 0);
        },
        { maxUncompressedBytes: 16 * 1024 * 1024 },
      ),
      "UNCOMPRESSED_TOO_LARGE",
      ImageError,
    );
    assert.equal(err.layer, built.layers[0]?.digest);
  });

  test("too many entries, and names that leave the root, are refused", async () => {
    const repo = `${registry.host}/img/many`;
    const many = await pushLayers(client, repo, "many", [
      {
        tar: await tarOf(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, content: "" }))),
      },
    ]);
    await assertRejectsWithCode(
      listing(client, await pullImage(client, many.ref), { maxFiles: 10 }),
      "TOO_MANY_FILES",
      ImageError,
    );
    assert.equal((await listing(client, await pullImage(client, many.ref))).size, 20);

    for (const name of ["../escape", "/etc/passwd", "a/../../b"]) {
      const built = await pushLayers(client, repo, "escape", [
        { tar: await tarOf([{ name, content: "x" }]) },
      ]);
      const err = await assertRejectsWithCode(
        listing(client, await pullImage(client, built.ref)),
        "PATH_ESCAPE",
        ImageError,
      );
      assert.equal(err.entry, name);
    }
  });
});
