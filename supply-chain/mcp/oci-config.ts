/**
 * The OCI runtime `config.json` an image's server runs under while its tools are listed: the
 * image's own command, user, working directory and environment, and nothing of the host. It gets
 * a network namespace with no interface but a loopback that is down, a read-only root, no
 * capability in any set, `noNewPrivileges`, a tmpfs `/tmp`, and the masked and read-only paths of
 * `runc spec`. No host path is mounted. Rootless (this process not root), a user namespace maps
 * the namespace's root to this process's user: runc needs root mapped, and one user is all an
 * unprivileged process may map, so the caller runs the server as that root (without
 * capabilities, like any other user here).
 */

/** Who the server runs as inside the container. */
export interface ContainerUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

export interface ContainerProcess {
  args: string[];
  env: string[];
  cwd: string;
  user: ContainerUser;
}

/** The paths `runc spec` masks and makes read-only: what a container must not read or change. */
const MASKED_PATHS = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
];
const READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** At most this many open files: a server listing its tools needs few. */
const MAX_OPEN_FILES = 1024;

export function ociConfig(
  process: ContainerProcess,
  opts: { rootfs: string; hostname: string; rootless?: { uid: number; gid: number } },
): Record<string, unknown> {
  const { rootless } = opts;
  const namespaces = [
    { type: "pid" },
    { type: "network" },
    { type: "ipc" },
    { type: "uts" },
    { type: "mount" },
    { type: "cgroup" },
    ...(rootless ? [{ type: "user" }] : []),
  ];
  const mounts = [
    { destination: "/proc", type: "proc", source: "proc" },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: [
        "nosuid",
        "noexec",
        "newinstance",
        "ptmxmode=0666",
        "mode=0620",
        ...(rootless ? [] : ["gid=5"]),
      ],
    },
    {
      destination: "/dev/shm",
      type: "tmpfs",
      source: "shm",
      options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
    },
    {
      destination: "/dev/mqueue",
      type: "mqueue",
      source: "mqueue",
      options: ["nosuid", "noexec", "nodev"],
    },
    {
      destination: "/sys",
      type: "sysfs",
      source: "sysfs",
      options: ["nosuid", "noexec", "nodev", "ro"],
    },
    {
      destination: "/tmp",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "nodev", "mode=1777", "size=262144k"],
    },
  ];
  const none: string[] = [];
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: {
        uid: process.user.uid,
        gid: process.user.gid,
        ...(process.user.additionalGids?.length
          ? { additionalGids: process.user.additionalGids }
          : {}),
      },
      args: process.args,
      env: process.env,
      cwd: process.cwd,
      capabilities: {
        bounding: none,
        effective: none,
        inheritable: none,
        permitted: none,
        ambient: none,
      },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: MAX_OPEN_FILES, soft: MAX_OPEN_FILES }],
      noNewPrivileges: true,
    },
    root: { path: opts.rootfs, readonly: true },
    hostname: opts.hostname,
    mounts,
    linux: {
      namespaces,
      ...(rootless
        ? {
            uidMappings: [{ containerID: 0, hostID: rootless.uid, size: 1 }],
            gidMappings: [{ containerID: 0, hostID: rootless.gid, size: 1 }],
          }
        : {}),
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
    },
  };
}
