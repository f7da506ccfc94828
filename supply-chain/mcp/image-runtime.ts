import { execFile } from "node:child_process";
import { findExecutable } from "./find-executable.ts";

/**
 * Which program runs an image's server while its tools are listed, chosen once per process:
 * the first of `docker` (a reachable daemon: what a GitHub runner has), `runc` (an OCI runtime
 * over the unpacked layers) and util-linux `unshare` (namespaces and a chroot over them) that
 * works here. Each is probed by running it, so a client without a daemon or a kernel without
 * user namespaces is passed over, with the reason kept for the notice.
 */

export type ImageRuntimeName = "docker" | "runc" | "unshare";

export const IMAGE_RUNTIMES: readonly ImageRuntimeName[] = ["docker", "runc", "unshare"];

export interface ImageRuntime {
  name: ImageRuntimeName;
  /** The runtime's executable, found on PATH. */
  command: string;
}

export type RuntimeChoice =
  { runtime: ImageRuntime; passedOver: string[] } | { runtime?: undefined; passedOver: string[] };

const PROBE_TIMEOUT_MS = 5000;
const DOCKER_CLIENT_ENV = [
  "HOME",
  "DOCKER_HOST",
  "DOCKER_CONTEXT",
  "DOCKER_CONFIG",
  "DOCKER_CERT_PATH",
  "DOCKER_TLS_VERIFY",
];

/**
 * The namespaces `unshare` runs an image in: a user namespace whose root is this process's user,
 * and mount, PID (the server its init, killed with it), network, IPC and UTS namespaces it owns.
 */
export const UNSHARE_NAMESPACES: readonly string[] = [
  "--user",
  "--map-root-user",
  "--mount",
  "--pid",
  "--fork",
  "--net",
  "--ipc",
  "--uts",
  "--kill-child",
];

/** Each runtime's probe, per PATH it was looked up on. */
const probed = new Map<string, Promise<ImageRuntime | string>>();

/** The first runtime of `order` that works here, and why each one before it did not. */
export async function chooseImageRuntime(
  order: readonly ImageRuntimeName[] = IMAGE_RUNTIMES,
): Promise<RuntimeChoice> {
  const passedOver: string[] = [];
  for (const name of order) {
    const key = `${name}\0${process.env.PATH ?? ""}`;
    let probe = probed.get(key);
    if (probe === undefined) {
      probe = probeRuntime(name);
      probed.set(key, probe);
    }
    const found = await probe;
    if (typeof found !== "string") return { runtime: found, passedOver };
    passedOver.push(`${name}: ${found}`);
  }
  return { passedOver };
}

/** The runtime, or why it cannot be used. */
async function probeRuntime(name: ImageRuntimeName): Promise<ImageRuntime | string> {
  if (process.platform !== "linux" && name !== "docker")
    return `Linux-only (this is ${process.platform})`;
  const path = process.env.PATH ?? "";
  const command = findExecutable(name, path);
  if (command === undefined) return "not found on PATH";
  const env = runtimeEnvironment({ name, command });
  const args =
    name === "docker"
      ? ["version", "--format", "{{.Server.Version}}"]
      : name === "runc"
        ? ["--version"]
        : [...UNSHARE_NAMESPACES, "--", "true"];
  const failed = await new Promise<string | undefined>((done) => {
    execFile(
      command,
      args,
      { env, timeout: PROBE_TIMEOUT_MS, killSignal: "SIGKILL" },
      (error, _stdout, stderr) => {
        if (error === null) {
          done(undefined);
          return;
        }
        const said = stderr.trim().split("\n").slice(-1)[0] ?? "";
        done(
          error.killed === true
            ? `did not answer within ${PROBE_TIMEOUT_MS} ms`
            : said !== ""
              ? said
              : error.message,
        );
      },
    );
  });
  if (failed !== undefined) return `\`${command} ${args.join(" ")}\` failed: ${failed}`;
  return { name, command };
}

/**
 * The environment a runtime's own process gets: PATH, and for docker what finds its daemon.
 * Nothing else of this process's environment (an Action's tokens) reaches it.
 */
export function runtimeEnvironment(runtime: ImageRuntime): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
  if (runtime.name === "docker")
    for (const key of DOCKER_CLIENT_ENV) {
      const value = process.env[key];
      if (value !== undefined) env[key] = value;
    }
  return env;
}
