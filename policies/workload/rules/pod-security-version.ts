/**
 * Pod Security Admission policy versions: what changes in the restricted profile (baseline
 * included) from one Kubernetes minor version to the next, for the checks the pod-security/*
 * rules implement. The table follows k8s.io/pod-security-admission's own (policy/check_*.go):
 * each check lists the version its behaviour starts at, and a pinned version judges as the newest
 * entry at or below it. Pure data; no I/O.
 */

/** The oldest version a policy may pin: Pod Security Admission is GA from v1.25. */
export const OLDEST_POD_SECURITY_MINOR = 25;
/** The newest version whose checks this table knows; newer pins judge as it (as PSA does). */
export const LATEST_POD_SECURITY_MINOR = 37;

/** `spec.podSecurity.version`: `latest` or `v1.NN`. */
export const POD_SECURITY_VERSION_PATTERN = "^(latest|v1\\.(0|[1-9][0-9]*))$";

/**
 * The minor version a pin names (`v1.34` → 34); undefined for `latest` or nothing, which judge as
 * the newest policy.
 */
export function podSecurityMinor(version: string | undefined): number | undefined {
  if (version === undefined || version === "latest") return undefined;
  const match = /^v1\.(0|[1-9][0-9]*)$/.exec(version);
  return match ? Number(match[1]) : undefined;
}

/** The minor version the checks judge as: the pin, with `latest` and future versions as the newest. */
export function effectiveMinor(minor: number | undefined): number {
  return minor === undefined
    ? LATEST_POD_SECURITY_MINOR
    : Math.min(minor, LATEST_POD_SECURITY_MINOR);
}

/** The newest entry at or below `minor`. Tables are sorted by version and start at 0. */
function atVersion<T>(table: readonly (readonly [since: number, value: T])[], minor: number): T {
  let value = table[0]![1];
  for (const [since, v] of table) if (since <= minor) value = v;
  return value;
}

const SYSCTLS_1_0 = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_unprivileged_port_start",
];
const SYSCTLS_1_27 = [...SYSCTLS_1_0, "net.ipv4.ip_local_reserved_ports"];
const SYSCTLS_1_29 = [
  ...SYSCTLS_1_27,
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
];
const SYSCTLS_1_32 = [...SYSCTLS_1_29, "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];
const SYSCTLS_1_37 = [
  ...SYSCTLS_1_32,
  "net.ipv4.tcp_slow_start_after_idle",
  "net.ipv4.tcp_notsent_lowat",
];

/** check_sysctls.go: the namespaced, node-isolated sysctls each version allows. */
const SAFE_SYSCTLS: readonly (readonly [number, ReadonlySet<string>])[] = [
  [0, new Set(SYSCTLS_1_0)],
  [27, new Set(SYSCTLS_1_27)],
  [29, new Set(SYSCTLS_1_29)],
  [32, new Set(SYSCTLS_1_32)],
  [37, new Set(SYSCTLS_1_37)],
];

const SELINUX_1_0 = ["container_t", "container_init_t", "container_kvm_t"];

/** check_seLinuxOptions.go: the SELinux types each version allows (besides unset or empty). */
const SELINUX_TYPES: readonly (readonly [number, ReadonlySet<string>])[] = [
  [0, new Set(["", ...SELINUX_1_0])],
  [31, new Set(["", ...SELINUX_1_0, "container_engine_t"])],
];

/** What the restricted profile allows and checks at one policy version. */
export interface PodSecurityProfile {
  /** The minor version judged as. */
  minor: number;
  safeSysctls: ReadonlySet<string>;
  seLinuxTypes: ReadonlySet<string>;
  /** check_hostProbesAndhostLifecycle.go: probes and lifecycle handlers may not name a host (v1.34+). */
  checksProbeHosts: boolean;
  /**
   * check_runAsNonRoot.go, check_runAsUser.go: pods with `hostUsers: false` (their own user
   * namespace) are not held to runAsNonRoot and may set runAsUser: 0 (v1.35+). procMount stays
   * checked in the restricted profile at every version.
   */
  relaxesRootInUserNamespace: boolean;
}

const profiles = new Map<number, PodSecurityProfile>();

/** The profile of a pinned minor version (undefined: latest). */
export function podSecurityProfile(minor: number | undefined): PodSecurityProfile {
  const m = effectiveMinor(minor);
  let profile = profiles.get(m);
  if (profile === undefined) {
    profile = {
      minor: m,
      safeSysctls: atVersion(SAFE_SYSCTLS, m),
      seLinuxTypes: atVersion(SELINUX_TYPES, m),
      checksProbeHosts: m >= 34,
      relaxesRootInUserNamespace: m >= 35,
    };
    profiles.set(m, profile);
  }
  return profile;
}
