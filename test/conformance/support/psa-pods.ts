/**
 * Generated pods for the Pod Security differential test: every field a restricted or baseline
 * check reads, each either absent, at the value the check allows, or just past it, at the pod,
 * container and init container levels. The pods are kept valid for the API server (its
 * validation rejects some combinations before Pod Security Admission sees them: Linux fields on a
 * Windows pod, Unmasked /proc without a user namespace, hostProcess without hostNetwork...), so
 * that almost every one reaches the admission check under test.
 */
import fc from "fast-check";

export type Json = Record<string, unknown>;

/** An optional field: absent more often than not, so that one pod trips few checks at once. */
function maybe<T>(arb: fc.Arbitrary<T>, absentWeight = 3): fc.Arbitrary<T | undefined> {
  return fc.oneof(
    { arbitrary: fc.constant(undefined), weight: absentWeight },
    { arbitrary: arb, weight: 1 },
  );
}

/** Mostly a value a check allows (or nothing), sometimes one it forbids. */
function mostly<T>(
  allowed: fc.Arbitrary<T>,
  forbidden: fc.Arbitrary<T>,
  odds = 8,
): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: allowed, weight: odds }, { arbitrary: forbidden, weight: 1 });
}

/** Drops undefined members, so a generated object reads like a hand-written manifest. */
function compact(obj: Json): Json {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

/** Every sysctl some Pod Security version allows, and unsafe neighbours of them. */
export const SYSCTL_NAMES = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
  "net.ipv4.tcp_rmem",
  "net.ipv4.tcp_wmem",
  "net.ipv4.tcp_slow_start_after_idle",
  "net.ipv4.tcp_notsent_lowat",
  // Not allowed at any version.
  "kernel.msgmax",
  "kernel.shm_rmid_forced_x",
  "net.ipv4.tcp_mem",
  "net.core.somaxconn",
  "net.ipv4.ip_forward",
  "vm.swappiness",
];

const SELINUX_TYPES = [
  "container_t",
  "container_init_t",
  "container_kvm_t",
  "container_engine_t",
  "spc_t",
  "unconfined_t",
];

const seLinuxOptions: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(...SELINUX_TYPES).map((type) => ({ type })),
  fc.constant({ level: "s0:c1,c2" }),
  fc.constant({ user: "system_u" }),
  fc.constant({ role: "system_r" }),
  fc.constantFrom(...SELINUX_TYPES).map((type) => ({ type, level: "s0:c3" })),
);

const seccompProfile: fc.Arbitrary<Json> = fc.constantFrom(
  { type: "RuntimeDefault" },
  { type: "Localhost", localhostProfile: "profiles/audit.json" },
  { type: "Unconfined" },
);

const appArmorProfile: fc.Arbitrary<Json> = fc.constantFrom(
  { type: "RuntimeDefault" },
  { type: "Localhost", localhostProfile: "k8s-apparmor-example" },
  { type: "Unconfined" },
);

/** The annotation values the API server accepts (it rejects any other format). */
const APPARMOR_ANNOTATIONS = ["runtime/default", "localhost/k8s-apparmor-example", "unconfined"];

const CAPABILITIES_ADD = ["NET_BIND_SERVICE", "CHOWN", "KILL", "NET_RAW", "NET_ADMIN", "SYS_TIME"];
const CAPABILITIES_DROP = ["ALL", "all", "NET_RAW", "CHOWN"];

/** A handler with or without a host, for probes and lifecycle hooks. */
const handler: fc.Arbitrary<Json> = fc.oneof(
  mostly(fc.constantFrom(undefined, ""), fc.constantFrom("127.0.0.1", "169.254.169.254"), 6).map(
    (host) => ({ httpGet: compact({ path: "/healthz", port: 8080, host }) }),
  ),
  mostly(fc.constantFrom(undefined, ""), fc.constant("10.0.0.1"), 6).map((host) => ({
    tcpSocket: compact({ port: 8080, host }),
  })),
  fc.constant({ exec: { command: ["true"] } }),
);

const RESTRICTED_VOLUMES: Json[] = [
  { hostPath: { path: "/var/run" } },
  { hostPath: { path: "/etc", type: "Directory" } },
  { nfs: { server: "nfs.example", path: "/export" } },
  { gitRepo: { repository: "https://example.invalid/repo.git" } },
  { awsElasticBlockStore: { volumeID: "vol-0123" } },
  { gcePersistentDisk: { pdName: "disk-1" } },
  { iscsi: { targetPortal: "10.0.0.2:3260", iqn: "iqn.2001-04.com.example:storage", lun: 0 } },
  { cephfs: { monitors: ["10.0.0.3:6789"] } },
  { fc: { targetWWNs: ["500a0982991b8dc5"], lun: 0 } },
];

const ALLOWED_VOLUMES: Json[] = [
  { emptyDir: {} },
  { configMap: { name: "settings" } },
  { secret: { secretName: "token" } },
  { persistentVolumeClaim: { claimName: "data" } },
  { downwardAPI: { items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels" } }] } },
  { projected: { sources: [{ configMap: { name: "settings" } }] } },
  { csi: { driver: "csi.example.com" } },
  {
    ephemeral: {
      volumeClaimTemplate: {
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
      },
    },
  },
  // No source at all: the API server defaults it to emptyDir.
  {},
];

type Os = "linux" | "windows" | undefined;

interface PodShape {
  os: Os;
  /** hostUsers: false, a user namespace (Linux only; forbids the host namespaces). */
  userNamespace: boolean;
  /** Windows HostProcess pod: hostProcess true on the pod, hostNetwork true (both required). */
  hostProcess: boolean;
}

const shape: fc.Arbitrary<PodShape> = fc
  .record({
    os: fc.constantFrom<Os>(undefined, undefined, undefined, "linux", "windows"),
    userNamespace: mostly(fc.constant(false), fc.constant(true), 3),
    hostProcess: mostly(fc.constant(false), fc.constant(true), 30),
  })
  .map((s) => ({
    os: s.os,
    userNamespace: s.userNamespace && s.os !== "windows" && !s.hostProcess,
    hostProcess: s.hostProcess && s.os !== "linux",
  }));

const linuxOnly = (s: PodShape) => s.os !== "windows";
const windowsAllowed = (s: PodShape) => s.os !== "linux";

function securityContext(s: PodShape): fc.Arbitrary<Json | undefined> {
  const linux = linuxOnly(s);
  const sc = fc
    .record({
      privileged: linux
        ? mostly(fc.constantFrom(undefined, undefined, false), fc.constant(true), 25)
        : fc.constant(undefined),
      allowPrivilegeEscalation: linux
        ? mostly(fc.constant(false), fc.constantFrom(undefined, true), 20)
        : fc.constant(undefined),
      capabilities: linux
        ? mostly<Json>(
            fc.constantFrom<Json>({ drop: ["ALL"] }, { drop: ["ALL"], add: ["NET_BIND_SERVICE"] }),
            fc.record({
              drop: maybe(fc.subarray(CAPABILITIES_DROP, { minLength: 1 }), 1),
              add: maybe(fc.subarray(CAPABILITIES_ADD, { minLength: 1 }), 1),
            }),
            16,
          )
        : fc.constant(undefined),
      runAsNonRoot: mostly(fc.constantFrom(undefined, undefined, true), fc.constant(false), 25),
      runAsUser: linux
        ? mostly(fc.constantFrom(undefined, undefined, undefined, 1000), fc.constant(0), 25)
        : fc.constant(undefined),
      seccompProfile: linux
        ? mostly(
            fc.oneof(
              { arbitrary: fc.constant(undefined), weight: 4 },
              { arbitrary: seccompProfile, weight: 1 },
            ),
            fc.constant({ type: "Unconfined" }),
            25,
          )
        : fc.constant(undefined),
      seLinuxOptions: linux ? maybe(seLinuxOptions, 20) : fc.constant(undefined),
      appArmorProfile: linux ? maybe(appArmorProfile, 20) : fc.constant(undefined),
      procMount:
        linux && s.userNamespace
          ? mostly(fc.constantFrom(undefined, "Default"), fc.constant("Unmasked"), 6)
          : linux
            ? maybe(fc.constant("Default"), 6)
            : fc.constant(undefined),
      windowsOptions: windowsAllowed(s)
        ? s.hostProcess
          ? fc.constant({ hostProcess: true })
          : maybe(fc.constantFrom({ hostProcess: false }, { runAsUserName: "ContainerUser" }), 6)
        : fc.constant(undefined),
    })
    .map((raw) => {
      const out = compact(raw);
      // Validation: privileged or CAP_SYS_ADMIN contradict allowPrivilegeEscalation: false.
      if (out.privileged === true && out.allowPrivilegeEscalation === false)
        delete out.allowPrivilegeEscalation;
      if (out.capabilities) out.capabilities = compact(out.capabilities as Json);
      return out;
    });
  // Most containers carry a security context: the checks read it.
  return fc.oneof({ arbitrary: sc, weight: 25 }, fc.constant(undefined));
}

function container(s: PodShape, name: string, init: boolean, port: number): fc.Arbitrary<Json> {
  const probes = !init && !s.hostProcess;
  return fc
    .record({
      securityContext: securityContext(s),
      // A hostNetwork pod's hostPort defaults to its containerPort; keep to ports that validate.
      ports: maybe(
        mostly(
          fc.constantFrom([{ containerPort: port }], [{ containerPort: port, hostPort: 0 }]),
          fc.constant([{ containerPort: port, hostPort: port }]),
          12,
        ),
        2,
      ),
      livenessProbe: probes ? maybe(handler, 5) : fc.constant(undefined),
      readinessProbe: probes ? maybe(handler, 5) : fc.constant(undefined),
      startupProbe: probes ? maybe(handler, 8) : fc.constant(undefined),
      lifecycle: probes
        ? maybe(
            fc
              .record({ postStart: maybe(handler, 1), preStop: maybe(handler, 1) })
              .map(compact)
              .filter((l) => Object.keys(l).length > 0),
            6,
          )
        : fc.constant(undefined),
    })
    .map((c) => compact({ name, image: "registry.example/mcp/server:1.0", ...c }));
}

function podSecurityContext(s: PodShape): fc.Arbitrary<Json | undefined> {
  const linux = linuxOnly(s);
  return mostly<Json | undefined>(
    fc
      .record({
        runAsNonRoot: mostly(fc.constant(true), fc.constantFrom(undefined, false), 14),
        runAsUser: linux
          ? mostly(fc.constantFrom(undefined, undefined, 1000), fc.constant(0), 25)
          : fc.constant(undefined),
        seccompProfile: linux
          ? mostly<Json | undefined>(
              fc.constantFrom<Json | undefined>(
                { type: "RuntimeDefault" },
                { type: "RuntimeDefault" },
                { type: "RuntimeDefault" },
                { type: "Localhost", localhostProfile: "profiles/audit.json" },
              ),
              fc.constant({ type: "Unconfined" }),
              20,
            )
          : fc.constant(undefined),
        seLinuxOptions: linux ? maybe(seLinuxOptions, 12) : fc.constant(undefined),
        appArmorProfile: linux ? maybe(appArmorProfile, 12) : fc.constant(undefined),
        sysctls: linux
          ? maybe(
              fc
                .subarray(SYSCTL_NAMES, { minLength: 1, maxLength: 3 })
                .map((names) => names.map((name) => ({ name, value: "1" }))),
              6,
            )
          : fc.constant(undefined),
        windowsOptions: windowsAllowed(s)
          ? s.hostProcess
            ? fc.constant({ hostProcess: true })
            : maybe(fc.constantFrom({ hostProcess: false }, { runAsUserName: "ContainerUser" }), 8)
          : fc.constant(undefined),
      })
      .map(compact),
    fc.constant(undefined),
    10,
  );
}

const volumes: fc.Arbitrary<Json[] | undefined> = maybe(
  fc
    .array(
      fc.oneof(
        { arbitrary: fc.constantFrom(...ALLOWED_VOLUMES), weight: 16 },
        { arbitrary: fc.constantFrom(...RESTRICTED_VOLUMES), weight: 1 },
      ),
      { minLength: 1, maxLength: 3 },
    )
    .map((vs) => vs.map((v, i) => ({ name: `vol-${i}`, ...v }))),
  2,
);

/** A pod (apiVersion, kind, metadata without a namespace, spec) the API server validates. */
export const podArbitrary: fc.Arbitrary<Json> = shape.chain((s) => {
  // Validation: no host namespaces in a user namespace, no hostPID or hostIPC on Windows.
  const hostNs = s.userNamespace
    ? fc.constant(undefined)
    : mostly(fc.constantFrom(undefined, undefined, undefined, false), fc.constant(true), 40);
  const linuxHostNs = s.os === "windows" ? fc.constant(undefined) : hostNs;
  return fc
    .record({
      containers: fc
        .integer({ min: 1, max: 2 })
        .chain((n) =>
          fc.tuple(
            ...Array.from({ length: n }, (_, i) => container(s, `app-${i}`, false, 8080 + i)),
          ),
        ),
      initContainers: maybe(fc.tuple(container(s, "init-0", true, 9090)), 3),
      hostNetwork: s.hostProcess ? fc.constant(true) : hostNs,
      hostPID: linuxHostNs,
      hostIPC: linuxHostNs,
      hostUsers: s.userNamespace
        ? fc.constant(false)
        : s.os === "windows"
          ? fc.constant(undefined)
          : maybe(fc.constant(true), 8),
      securityContext: podSecurityContext(s),
      volumes,
      appArmorAnnotations: linuxOnly(s)
        ? maybe(fc.constantFrom(...APPARMOR_ANNOTATIONS), 6)
        : fc.constant(undefined),
    })
    .map((r) => podFrom(s, r));
});

interface Parts {
  containers: Json[];
  initContainers: Json[] | undefined;
  hostNetwork: boolean | undefined;
  hostPID: boolean | undefined;
  hostIPC: boolean | undefined;
  hostUsers: boolean | undefined;
  securityContext: Json | undefined;
  volumes: Json[] | undefined;
  appArmorAnnotations: string | undefined;
}

function podFrom(s: PodShape, r: Parts): Json {
  const podSc = r.securityContext ? { ...r.securityContext } : undefined;
  // Validation: net.* sysctls are not namespaced with hostNetwork.
  if (r.hostNetwork === true && Array.isArray(podSc?.sysctls)) {
    const kept = (podSc.sysctls as { name: string }[]).filter((x) => !x.name.startsWith("net."));
    if (kept.length > 0) podSc.sysctls = kept;
    else delete podSc.sysctls;
  }
  const containers = r.containers.map((c) => fixPorts(c, r.hostNetwork === true));
  const annotations: Record<string, string> = {};
  if (r.appArmorAnnotations !== undefined && podSc?.appArmorProfile === undefined) {
    // Validation: an annotation must agree with the container's field; annotate only
    // containers without one.
    for (const c of containers) {
      const sc = c.securityContext as Json | undefined;
      if (sc?.appArmorProfile === undefined)
        annotations[`container.apparmor.security.beta.kubernetes.io/${String(c.name)}`] =
          r.appArmorAnnotations;
    }
  }
  const spec = compact({
    os: s.os ? { name: s.os } : undefined,
    hostNetwork: r.hostNetwork,
    hostPID: r.hostPID,
    hostIPC: r.hostIPC,
    hostUsers: r.hostUsers,
    securityContext: podSc && Object.keys(podSc).length > 0 ? podSc : undefined,
    initContainers: r.initContainers,
    containers,
    volumes: r.volumes,
  });
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: compact({
      name: "generated",
      annotations: Object.keys(annotations).length > 0 ? annotations : undefined,
    }),
    spec,
  };
}

/** Validation: with hostNetwork, a hostPort must equal its containerPort. */
function fixPorts(c: Json, hostNetwork: boolean): Json {
  if (!hostNetwork || !Array.isArray(c.ports)) return c;
  const ports = (c.ports as Json[]).map((p) =>
    p.hostPort === undefined || p.hostPort === 0 ? p : { ...p, hostPort: p.containerPort },
  );
  return { ...c, ports };
}

/**
 * A pod the restricted profile admits at every version, to create for real: ephemeral
 * containers can only be added to an existing pod (the pods/ephemeralcontainers subresource).
 */
export function ephemeralHostPod(name: string): Json {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "app-0",
          image: "registry.example/mcp/server:1.0",
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        },
      ],
    },
  };
}

/** An ephemeral container for ephemeralHostPod (no ports, probes or lifecycle: not allowed). */
export const ephemeralContainerArbitrary: fc.Arbitrary<Json> = securityContext({
  os: undefined,
  userNamespace: false,
  hostProcess: false,
}).map((sc) =>
  compact({
    name: "debugger",
    image: "registry.example/debug:1.0",
    targetContainerName: "app-0",
    securityContext: sc,
  }),
);
