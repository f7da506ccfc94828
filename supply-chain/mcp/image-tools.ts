import { randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { chmod, lstat, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errorMessage } from "../../policies/errors.ts";
import { extractImage } from "../image/extract.ts";
import type { PulledImage } from "../image/pull.ts";
import type { RegistryClient } from "../registry/client.ts";
import { McpServerError } from "./errors.ts";
import {
  chooseImageRuntime,
  IMAGE_RUNTIMES,
  runtimeEnvironment,
  UNSHARE_NAMESPACES,
  type ImageRuntime,
  type ImageRuntimeName,
} from "./image-runtime.ts";
import { findExecutable } from "./find-executable.ts";
import { resolveImageUser } from "./image-user.ts";
import { listWithLaunch, type ListedTools, type ListToolsOptions } from "./live-tools.ts";
import { ociConfig } from "./oci-config.ts";
import type { StdioCommand } from "./stdio-transport.ts";

/**
 * Lists the tools of the server an image holds by starting the image's own entrypoint and command
 * (its config's `Entrypoint`, `Cmd`, `User`, `WorkingDir` and `Env`) over stdio: what runs in the
 * cluster is what is listed, not a fresh install of the package the manifest names. Nothing is
 * injected into the image, so any base works (glibc, musl, distroless). The server runs with no
 * network, a read-only root, no capabilities and no host mount, under the first runtime of
 * {@link chooseImageRuntime} that works here:
 *
 * - `docker`: `docker run --rm -i --network none --read-only --cap-drop ALL` of the image by
 *   digest (the daemon pulls it with its own credentials);
 * - `runc`: the layers unpacked by `extractImage` into a temporary bundle, with a generated
 *   `config.json` (`oci-config.ts`);
 * - `unshare`: the same unpacked root, entered through user, mount, PID and network namespaces of
 *   its own, bind-mounted read-only, the server in a nested user namespace as the image's user.
 *
 * The temporary root is removed afterwards, and so is the container.
 */

export interface ImageSource {
  client: RegistryClient;
  image: PulledImage;
}

export interface ImageToolsOptions extends Omit<ListToolsOptions, "isolation"> {
  /** Set over the image's own `Env`: the manifest's stdio env. */
  env?: Record<string, string>;
  /** The runtimes to try, in order (default: docker, runc, unshare). */
  runtimes?: readonly ImageRuntimeName[];
}

export interface ImageListedTools extends Omit<ListedTools, "isolation"> {
  /** The runtime that ran the image. */
  runtime: ImageRuntimeName;
}

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * @throws McpServerError MCP_SERVER_FAILED: no runtime works here (naming why for each), the image
 *   runs nothing, or its server could not be listed
 * @throws ImageError when its layers cannot be unpacked
 */
export async function listImageTools(
  source: ImageSource,
  opts: ImageToolsOptions,
): Promise<ImageListedTools> {
  const { image } = source;
  const args = [...image.config.entrypoint, ...image.config.cmd];
  const name = `${image.registry}/${image.repository}@${image.digest}`;
  if (args.length === 0)
    throw new McpServerError(
      "MCP_SERVER_FAILED",
      `the image ${name} names no command to run (its config has neither Entrypoint nor Cmd)`,
    );
  const choice = await chooseImageRuntime(opts.runtimes ?? IMAGE_RUNTIMES);
  if (choice.runtime === undefined)
    throw new McpServerError(
      "MCP_SERVER_FAILED",
      `no container runtime could run the image ${name}: ${choice.passedOver.join("; ")}`,
    );
  const runtime = choice.runtime;
  const label = `${name} (${runtime.name})`;
  const listing =
    runtime.name === "docker"
      ? await withDocker(runtime, name, opts, (stdio) =>
          listWithLaunch(stdio, opts, { env: runtimeEnvironment(runtime) }, label),
        )
      : await withUnpackedRoot(source, runtime, args, opts, (stdio) =>
          listWithLaunch(stdio, opts, { env: runtimeEnvironment(runtime) }, label),
        );
  return { ...listing, runtime: runtime.name };
}

async function withDocker<T>(
  runtime: ImageRuntime,
  name: string,
  opts: ImageToolsOptions,
  use: (stdio: StdioCommand) => Promise<T>,
): Promise<T> {
  const container = `mcp-warden-${randomBytes(6).toString("hex")}`;
  const env = Object.entries(opts.env ?? {}).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
  const stdio: StdioCommand = {
    command: runtime.command,
    args: [
      "run",
      "--rm",
      "-i",
      "--name",
      container,
      "--network",
      "none",
      "--read-only",
      "--cap-drop",
      "ALL",
      "--security-opt",
      "no-new-privileges",
      "--tmpfs",
      "/tmp",
      "--pull",
      "missing",
      ...env,
      name,
    ],
  };
  try {
    return await use(stdio);
  } finally {
    await quietly(runtime.command, ["rm", "--force", container], runtimeEnvironment(runtime));
  }
}

async function withUnpackedRoot<T>(
  source: ImageSource,
  runtime: ImageRuntime,
  args: string[],
  opts: ImageToolsOptions,
  use: (stdio: StdioCommand) => Promise<T>,
): Promise<T> {
  const bundle = await mkdtemp(join(tmpdir(), "mcp-warden-image-"));
  const rootfs = join(bundle, "rootfs");
  const container = `mcp-warden-${randomBytes(6).toString("hex")}`;
  const state = join(bundle, "state");
  try {
    await extractImage(
      source.client,
      source.image,
      rootfs,
      opts.signal ? { signal: opts.signal } : {},
    );
    // The extraction target is private to this process; inside, it is `/`, which every user enters.
    await chmod(rootfs, 0o755);
    const config = source.image.config;
    const user = await resolveImageUser(rootfs, config.user);
    const env = containerEnvironment(config.env, opts.env ?? {}, user.home);
    const cwd = config.workingDir ?? "/";
    await prepareMountPoints(rootfs);
    if (runtime.name === "runc") {
      const uid = process.getuid?.() ?? 0;
      const rootless = uid === 0 ? undefined : { uid, gid: process.getgid?.() ?? uid };
      // Rootless, only the namespace's root can be mapped (see oci-config.ts).
      const runAs = rootless ? { uid: 0, gid: 0 } : user;
      const spec = ociConfig(
        { args, env, cwd, user: runAs },
        { rootfs: "rootfs", hostname: "mcp-server", ...(rootless ? { rootless } : {}) },
      );
      await writeFile(join(bundle, "config.json"), JSON.stringify(spec));
      await mkdir(state, { mode: 0o700 });
      try {
        return await use({
          command: runtime.command,
          args: ["--root", state, "run", "--bundle", bundle, container],
        });
      } finally {
        await quietly(
          runtime.command,
          ["--root", state, "delete", "--force", container],
          runtimeEnvironment(runtime),
        );
      }
    }
    const hostPath = process.env.PATH ?? "/usr/bin:/bin";
    const hostEnv = findExecutable("env", hostPath) ?? "/usr/bin/env";
    // util-linux `setpriv`, where there is one, sets no_new_privs as runc does.
    const setpriv = findExecutable("setpriv", hostPath);
    // The script's arguments are data: the root, then `env -i` setting exactly the container's
    // environment for the nested `unshare`, which chroots and runs the image's command.
    return await use({
      command: runtime.command,
      args: [
        ...UNSHARE_NAMESPACES,
        "--",
        "/bin/sh",
        "-c",
        UNSHARE_SCRIPT,
        "mcp-warden",
        rootfs,
        ...(setpriv === undefined ? [] : [setpriv, "--no-new-privs"]),
        hostEnv,
        "-i",
        ...env,
        runtime.command,
        "--user",
        `--map-user=${user.uid}`,
        `--map-group=${user.gid}`,
        `--root=${rootfs}`,
        `--wd=${cwd}`,
        "--",
        ...args,
      ],
    });
  } finally {
    await rm(bundle, { recursive: true, force: true }).catch(() => {});
  }
}

/**
 * Runs in the outer namespaces, as their root: mounts a fresh /proc, sysfs, a tmpfs /tmp and a
 * /dev of the host's harmless devices into the root, binds the root read-only, then enters a
 * nested user namespace as the image's user (who holds no capability once the command is
 * executed) chrooted into it.
 */
const UNSHARE_SCRIPT = `set -eu
root=$1
shift
mount --bind "$root" "$root"
mount -t proc -o nosuid,noexec,nodev proc "$root/proc"
mount -t sysfs -o ro,nosuid,noexec,nodev sysfs "$root/sys"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/tmp"
mount -t tmpfs -o nosuid,mode=755 tmpfs "$root/dev"
for d in null zero full random urandom tty; do
  [ -e "/dev/$d" ] || continue
  : > "$root/dev/$d"
  mount --bind "/dev/$d" "$root/dev/$d"
done
mount -o remount,bind,ro,nosuid,nodev "$root"
exec "$@"
`;

/**
 * /proc, /sys, /tmp and /dev are mounted over: as real directories of the root, never through a
 * symlink the image put there (which the host's `mount` would follow). /tmp is everyone's, as a
 * container engine makes it (runc gives a tmpfs the mode of the directory it covers, and the
 * extraction dropped the sticky bit).
 */
async function prepareMountPoints(rootfs: string): Promise<void> {
  for (const dir of ["proc", "sys", "tmp", "dev"]) {
    const path = join(rootfs, dir);
    const st = await lstat(path).catch(() => undefined);
    if (st !== undefined && !st.isDirectory()) await rm(path, { recursive: true, force: true });
    if (st === undefined || !st.isDirectory()) await mkdir(path, { mode: 0o755 });
  }
  await chmod(join(rootfs, "tmp"), 0o1777);
}

/**
 * The server's environment: the image's `Env`, then `extra` over it, as `KEY=value`; PATH as a
 * container engine defaults it, HOME the user's home in the image (else `/`).
 */
export function containerEnvironment(
  imageEnv: readonly string[],
  extra: Record<string, string>,
  home: string | undefined,
): string[] {
  const env = new Map<string, string>();
  for (const entry of imageEnv) {
    const eq = entry.indexOf("=");
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  for (const [k, v] of Object.entries(extra)) env.set(k, v);
  if (!env.has("PATH")) env.set("PATH", DEFAULT_PATH);
  if (!env.has("HOME")) env.set("HOME", home ?? "/");
  return [...env].map(([k, v]) => `${k}=${v}`);
}

/** Runs a clean-up command, ignoring its failure (the container may be gone already). */
function quietly(command: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((done) => {
    execFile(command, args, { env, timeout: 30_000, killSignal: "SIGKILL" }, (error) => {
      if (error !== null && process.env.MCP_WARDEN_DEBUG !== undefined)
        process.stderr.write(`${command} ${args.join(" ")}: ${errorMessage(error)}\n`);
      done();
    });
  });
}
