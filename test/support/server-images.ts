/**
 * Runnable MCP server images for the tests, built without a container engine and pushed to the
 * real registry: a glibc base unpacked with `dpkg -x` from Debian's own packages (libc6,
 * libgcc-s1, libstdc++6: what `ldd` says the node binary needs) with their dpkg status and
 * `/etc/os-release`, the real Node binary from the npm `node` package in node_modules (or Debian's
 * Python 3.11, unpacked the same way), and an app layer in `/app` (a published npm or PyPI server
 * from `mcp-servers.ts`, or files a test writes). The config runs the server as user 65532 in
 * `/app`, like a distroless image.
 *
 * The layers are gzip-compressed once and cached by their inputs under
 * `~/.cache/mcp-warden/server-images/`, so every test after the first pushes them as they are.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import {
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { RegistryClient } from "../../supply-chain/registry/client.ts";
import { MEDIA_TYPES, type Descriptor } from "../../supply-chain/registry/types.ts";
import { ROOT } from "./cli.ts";
import { installNpmServer, installPypiServer, type NpmServer } from "./mcp-servers.ts";
import { encode } from "./supply-chain.ts";

const run = promisify(execFile);

const CACHE = join(process.env.MCP_WARDEN_CACHE ?? join(homedir(), ".cache", "mcp-warden"));
const DEBS = join(CACHE, "debs-base");
const PYTHON_DEBS_DIR = join(CACHE, "debs-python");
const LAYERS = join(CACHE, "server-images");
/** What the node binary links against, from Debian 12 (`ldd node_modules/node/bin/node`). */
export const BASE_DEBS = ["libc6", "libgcc-s1", "libstdc++6"] as const;
/** Debian 12's Python 3.11 with the libraries its standard library loads (ssl, ctypes, lzma…). */
export const PYTHON_DEBS = [
  "python3.11-minimal",
  "libpython3.11-minimal",
  "libpython3.11-stdlib",
  "libexpat1",
  "zlib1g",
  "libffi8",
  "libssl3",
  "libbz2-1.0",
  "liblzma5",
  "libsqlite3-0",
  "libuuid1",
  "libcrypt1",
  "media-types",
  "tzdata",
] as const;
/** The user the images run as (distroless's `nonroot`). */
export const IMAGE_USER = 65532;

/** A gzip layer on disk with what its manifest and config say of it. */
interface CachedLayer {
  file: string;
  diffId: string;
}

/** Why runnable images cannot be built here, or false. */
export async function serverImagesUnavailable(): Promise<string | false> {
  try {
    await debs();
    await nodeBinary();
    return false;
  } catch (e) {
    return `runnable images cannot be built here: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** The real ELF of the npm `node` package (its bin is the binary itself on Linux). */
export async function nodeBinary(): Promise<string> {
  const path = await realpath(join(ROOT, "node_modules", "node", "bin", "node"));
  const head = await readFile(path).then((b) => b.subarray(0, 4));
  if (!head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) throw new Error(`${path} is not an ELF`);
  return path;
}

/** The base's .deb files, downloaded once with `apt-get download`. */
function debs(): Promise<string[]> {
  return downloadDebs(DEBS, BASE_DEBS);
}

/** `names`' .deb files in `dir`, downloaded once with `apt-get download`. */
async function downloadDebs(dir: string, names: readonly string[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const have = async () =>
    (await readdir(dir)).filter((f) => names.some((n) => f.startsWith(`${n}_`))).sort();
  if ((await have()).length < names.length)
    await run("apt-get", ["download", ...names], { cwd: dir, timeout: 120_000 }).catch(
      () => undefined,
    );
  const found = await have();
  if (found.length < names.length)
    throw new Error(`apt-get download ${names.join(" ")} failed (no Debian mirror?)`);
  return found.map((f) => join(dir, f));
}

/** A layer built by `fill` into an empty directory, cached under `key`. */
async function cachedLayer(
  key: string,
  fill: (dir: string) => Promise<void>,
): Promise<CachedLayer> {
  const name = createHash("sha256").update(key).digest("hex").slice(0, 24);
  const file = join(LAYERS, `${name}.tar.gz`);
  const meta = join(LAYERS, `${name}.json`);
  if (existsSync(file) && existsSync(meta))
    return {
      file,
      diffId: (JSON.parse(await readFile(meta, "utf8")) as { diffId: string }).diffId,
    };
  await mkdir(LAYERS, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), "mcp-warden-layer-"));
  try {
    const dir = join(work, "root");
    await mkdir(dir);
    await fill(dir);
    const tarFile = join(work, "layer.tar");
    await tarDirectory(dir, tarFile);
    const diffId = `sha256:${createHash("sha256")
      .update(await readFile(tarFile))
      .digest("hex")}`;
    await run("gzip", ["-1", "-n", tarFile]);
    await rename(`${tarFile}.gz`, `${file}.tmp-${process.pid}`);
    await writeFile(meta, JSON.stringify({ diffId, key }));
    await rename(`${file}.tmp-${process.pid}`, file);
    return { file, diffId };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A reproducible tar of `dir`'s contents, owned by root, as an image layer holds them. */
async function tarDirectory(dir: string, out: string): Promise<void> {
  await run(
    "tar",
    [
      "-C",
      dir,
      "-cf",
      out,
      "--sort=name",
      "--mtime=@0",
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      ".",
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
}

/** Debian 12's libc and C++ runtime, with their dpkg status, os-release and a `nonroot` user. */
async function baseLayer(): Promise<CachedLayer> {
  const files = await debs();
  return cachedLayer(`base:${files.map((f) => f.split("/").pop()).join(",")}`, async (root) => {
    const stanzas = await unpackDebs(files, root);
    await mkdir(join(root, "var/lib/dpkg"), { recursive: true });
    await writeFile(join(root, "var/lib/dpkg/status"), stanzas.join("\n\n") + "\n");
    await mkdir(join(root, "etc"), { recursive: true });
    await copyFile("/etc/os-release", join(root, "etc/os-release"));
    await writeFile(
      join(root, "etc/passwd"),
      `root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${IMAGE_USER}:${IMAGE_USER}:nonroot:/home/nonroot:/sbin/nologin\n`,
    );
    await writeFile(join(root, "etc/group"), `root:x:0:\nnonroot:x:${IMAGE_USER}:\n`);
    await mkdir(join(root, "home/nonroot"), { recursive: true });
    await mkdir(join(root, "tmp"), { mode: 0o1777 });
  });
}

/** Unpacks `.deb` files with `dpkg -x`; their status stanzas, as dpkg writes them on install. */
async function unpackDebs(files: readonly string[], root: string): Promise<string[]> {
  const stanzas: string[] = [];
  for (const f of files) {
    await run("dpkg", ["-x", f, root]);
    const { stdout } = await run("dpkg-deb", ["-f", f]);
    const [first, ...rest] = stdout.trimEnd().split("\n");
    stanzas.push([first, "Status: install ok installed", ...rest].join("\n"));
  }
  return stanzas;
}

/**
 * Python 3.11 from Debian, its packages' status in `status.d` (one file each, as distroless), and
 * the time zone set to Etc/UTC.
 */
async function pythonLayer(): Promise<CachedLayer> {
  const files = await downloadDebs(PYTHON_DEBS_DIR, PYTHON_DEBS);
  const key = `python+localtime:${files.map((f) => f.split("/").pop()).join(",")}`;
  return cachedLayer(key, async (root) => {
    const stanzas = await unpackDebs(files, root);
    // The zone Debian's installer sets: servers that describe "local time" read it.
    await mkdir(join(root, "etc"), { recursive: true });
    await symlink("/usr/share/zoneinfo/Etc/UTC", join(root, "etc/localtime"));
    await writeFile(join(root, "etc/timezone"), "Etc/UTC\n");
    await mkdir(join(root, "var/lib/dpkg/status.d"), { recursive: true });
    for (const stanza of stanzas) {
      const name = /^Package: (\S+)/.exec(stanza)?.[1] ?? "unknown";
      await writeFile(join(root, "var/lib/dpkg/status.d", name), stanza + "\n");
    }
  });
}

/** `/usr/local/bin/node`. */
async function nodeLayer(): Promise<CachedLayer> {
  const node = await nodeBinary();
  const st = await stat(node);
  return cachedLayer(`node:${node}:${st.size}:${st.mtimeMs}`, async (root) => {
    await mkdir(join(root, "usr/local/bin"), { recursive: true });
    await copyFile(node, join(root, "usr/local/bin/node"));
  });
}

/**
 * What goes into `/app`: a published npm server, files written for a test (both run by node), or
 * a published PyPI server's installed packages in `/app/site-packages`, run by Debian's Python as
 * `python3.11 -m <module>`.
 */
export type AppSpec =
  | { npm: NpmServer; args?: string[] }
  | { files: Record<string, string>; main: string; args?: string[] }
  | { pypi: PypiServer; args?: string[] };

export interface PypiServer {
  name: string;
  version: string;
  module: string;
}

export interface ServerImage {
  /** `host/repo:tag` */
  ref: string;
  digest: string;
  /** `host/repo@sha256:…` */
  pinned: string;
}

/**
 * Pushes `repo:tag`: base, runtime (node or Python) and the app as three gzip layers, the config
 * running `node /app/<entry> <args>` (or `python3.11 -m <module> <args>`) as user 65532 in
 * `/app`. `config` is merged over that config.
 */
export async function pushServerImage(
  client: RegistryClient,
  repo: string,
  tag: string,
  app: AppSpec,
  config: Record<string, unknown> = {},
): Promise<ServerImage> {
  const python = "pypi" in app;
  const layers = [
    await baseLayer(),
    python ? await pythonLayer() : await nodeLayer(),
    await appLayer(app),
  ];
  const descriptors: Descriptor[] = [];
  for (const l of layers)
    descriptors.push(
      await client.pushBlob(repo, await readFile(l.file), MEDIA_TYPES.ociLayerTarGzip),
    );
  const command =
    "pypi" in app
      ? ["/usr/bin/python3.11", "-m", app.pypi.module]
      : [
          "/usr/local/bin/node",
          "npm" in app
            ? (await installNpmServer(app.npm)).replace(
                /^.*?\/node_modules\//,
                "/app/node_modules/",
              )
            : `/app/${app.main}`,
        ];
  const configBlob = await client.pushBlob(
    repo,
    encode({
      os: "linux",
      architecture: "amd64",
      config: {
        Entrypoint: command.slice(0, -1),
        Cmd: [...command.slice(-1), ...(app.args ?? [])],
        User: String(IMAGE_USER),
        WorkingDir: "/app",
        Env: python
          ? ["PATH=/usr/bin:/bin", "PYTHONPATH=/app/site-packages", "PYTHONDONTWRITEBYTECODE=1"]
          : ["PATH=/usr/local/bin:/usr/bin:/bin", "NODE_ENV=production"],
        ...config,
      },
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    }),
    MEDIA_TYPES.ociConfig,
  );
  const pushed = await client.pushManifest(
    repo,
    tag,
    encode({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: configBlob,
      layers: descriptors,
    }),
    MEDIA_TYPES.ociManifest,
  );
  const digest = pushed.descriptor.digest;
  return { ref: `${repo}:${tag}`, digest, pinned: `${repo}@${digest}` };
}

/**
 * An image that holds a server's install (`/app/node_modules`, as `pushServerImage` lays it out)
 * and nothing to run it with: no base, no runtime, no Entrypoint. Its inventory holds the package;
 * listing its tools from the image fails, and the evaluation falls back to the package.
 */
export async function pushPackageImage(
  client: RegistryClient,
  repo: string,
  tag: string,
  app: AppSpec,
): Promise<ServerImage> {
  const layer = await appLayer(app);
  const descriptor = await client.pushBlob(
    repo,
    await readFile(layer.file),
    MEDIA_TYPES.ociLayerTarGzip,
  );
  const configBlob = await client.pushBlob(
    repo,
    encode({
      os: "linux",
      architecture: "amd64",
      config: { WorkingDir: "/app" },
      rootfs: { type: "layers", diff_ids: [layer.diffId] },
    }),
    MEDIA_TYPES.ociConfig,
  );
  const pushed = await client.pushManifest(
    repo,
    tag,
    encode({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: configBlob,
      layers: [descriptor],
    }),
    MEDIA_TYPES.ociManifest,
  );
  const digest = pushed.descriptor.digest;
  return { ref: `${repo}:${tag}`, digest, pinned: `${repo}@${digest}` };
}

/** The app layer: the server's cached npm or PyPI install, or the test's files. */
async function appLayer(app: AppSpec): Promise<CachedLayer> {
  if ("pypi" in app) {
    const { python } = await installPypiServer(app.pypi.name, app.pypi.version, app.pypi.module);
    const venv = dirname(dirname(python));
    const sitePackages = join(venv, "lib", "python3.11", "site-packages");
    if (!existsSync(sitePackages))
      throw new Error(`${sitePackages} is missing: the image's Python is 3.11`);
    return cachedLayer(`app:${sitePackages}`, async (root) => {
      await mkdir(join(root, "app"));
      await run("cp", ["-a", sitePackages, join(root, "app", "site-packages")]);
    });
  }
  if ("npm" in app) {
    const entry = await installNpmServer(app.npm);
    const prefix = entry.slice(0, entry.indexOf("/node_modules/"));
    return cachedLayer(`app:${prefix}`, async (root) => {
      await mkdir(join(root, "app"));
      await run("cp", ["-a", join(prefix, "node_modules"), join(root, "app", "node_modules")]);
    });
  }
  const key = `files:${JSON.stringify(Object.entries(app.files).sort())}`;
  return cachedLayer(key, async (root) => {
    for (const [path, content] of Object.entries(app.files)) {
      const file = join(root, "app", path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
    }
  });
}
