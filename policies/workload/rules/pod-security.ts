/**
 * Kubernetes Pod Security Admission, "restricted" profile (baseline included), latest policy
 * version. Where PSA has a baseline and a restricted variant of one check, the restricted profile
 * runs both, so they fold into one rule here. Each finding names one offending field.
 */
import { fieldPath } from "../../field-path.ts";
import type { Finding, Rule, RuleContext } from "../rule.ts";
import type { PodSecurityContext, PodSpec } from "../k8s-types.ts";
import { containerLabel } from "../workload.ts";

type Report = (path: string, message: string) => void;

function defineRule(
  name: string,
  title: string,
  collect: (ctx: RuleContext, report: Report) => void,
): Rule {
  const id = `pod-security/${name}`;
  return {
    id,
    title,
    check(ctx) {
      const findings: Finding[] = [];
      collect(ctx, (path, message) => findings.push({ rule: id, message, path }));
      return findings;
    },
  };
}

function q(value: unknown): string {
  return JSON.stringify(value ?? "");
}

/** PSA exempts Windows pods from the Linux-only restricted checks (policy v1.25+). */
function isWindows(spec: PodSpec): boolean {
  return spec.os?.name === "windows";
}

/** Pods in their own user namespace get the root-related relaxations (policy v1.35+). */
function inUserNamespace(spec: PodSpec): boolean {
  return spec.hostUsers === false;
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** The fields pod-level and container-level security contexts share. */
type SharedSecurityContext = Pick<
  PodSecurityContext,
  "runAsUser" | "seLinuxOptions" | "appArmorProfile" | "windowsOptions"
>;

interface SecurityContextSite {
  setter: string;
  sc: SharedSecurityContext | undefined;
  path: string;
}

// Several rules walk the same security contexts; build the list once per workload.
const contextSites = new WeakMap<object, SecurityContextSite[]>();

/** The pod-level security context and every container's, each with its path. */
function securityContexts(ctx: RuleContext): SecurityContextSite[] {
  const { workload } = ctx;
  let sites = contextSites.get(workload);
  if (sites === undefined) {
    sites = buildSecurityContexts(workload);
    contextSites.set(workload, sites);
  }
  return sites;
}

function buildSecurityContexts(workload: RuleContext["workload"]): SecurityContextSite[] {
  return [
    {
      setter: "pod",
      sc: workload.podSpec.securityContext,
      path: fieldPath(workload.specPath, "securityContext"),
    },
    ...workload.containers.map((ref) => ({
      setter: containerLabel(ref),
      sc: ref.container.securityContext,
      path: fieldPath(ref.path, "securityContext"),
    })),
  ];
}

const hostNamespaces = defineRule(
  "host-namespaces",
  "The pod does not share the node's network, PID or IPC namespace.",
  ({ workload }, report) => {
    const namespaces = [
      ["hostNetwork", "network"],
      ["hostPID", "PID"],
      ["hostIPC", "IPC"],
    ] as const;
    for (const [field, ns] of namespaces) {
      if (workload.podSpec[field] === true) {
        report(
          fieldPath(workload.specPath, field),
          `pod must not set ${field}=true: it shares the node's ${ns} namespace; remove the field`,
        );
      }
    }
  },
);

const privileged = defineRule(
  "privileged",
  "No container runs privileged.",
  ({ workload }, report) => {
    for (const ref of workload.containers) {
      if (ref.container.securityContext?.privileged === true) {
        report(
          fieldPath(ref.path, "securityContext", "privileged"),
          `${containerLabel(ref)} must not set securityContext.privileged=true`,
        );
      }
    }
  },
);

/** The container runtime's default set; baseline allows adding only these. */
const DEFAULT_CAPABILITIES = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);

const capabilities = defineRule(
  "capabilities",
  "Every container drops ALL capabilities and adds at most NET_BIND_SERVICE (Linux pods).",
  ({ workload }, report) => {
    // Upstream's restricted check replaces the baseline one and skips Windows pods entirely.
    if (isWindows(workload.podSpec)) return;
    for (const ref of workload.containers) {
      const caps = ref.container.securityContext?.capabilities;
      const capsPath = fieldPath(ref.path, "securityContext", "capabilities");
      // Compared case-sensitively, as upstream does.
      if (!(caps?.drop ?? []).includes("ALL")) {
        report(
          fieldPath(capsPath, "drop"),
          `${containerLabel(ref)} must set securityContext.capabilities.drop=["ALL"]` +
            ((caps?.drop ?? []).some((c) => c.toUpperCase() === "ALL")
              ? ' (capability names are case-sensitive: "ALL", not "all")'
              : ""),
        );
      }
      (caps?.add ?? []).forEach((cap, i) => {
        if (cap === "NET_BIND_SERVICE") return;
        const why = DEFAULT_CAPABILITIES.has(cap)
          ? ""
          : " (it is not even in the runtime's default set)";
        report(
          fieldPath(capsPath, "add", i),
          `${containerLabel(ref)} must not add capability ${q(cap)}${why}; only NET_BIND_SERVICE may be added`,
        );
      });
    }
  },
);

const hostPathVolumes = defineRule(
  "host-path-volumes",
  "No hostPath volumes.",
  ({ workload }, report) => {
    (workload.podSpec.volumes ?? []).forEach((volume, i) => {
      if (isSet(volume.hostPath)) {
        report(
          fieldPath(workload.specPath, "volumes", i, "hostPath"),
          `volume ${q(volume.name ?? `#${i}`)} must not use hostPath: it exposes the node's filesystem; use emptyDir, configMap or secret`,
        );
      }
    });
  },
);

const hostPorts = defineRule(
  "host-ports",
  "No container binds a host port.",
  ({ workload }, report) => {
    for (const ref of workload.containers) {
      (ref.container.ports ?? []).forEach((port, i) => {
        if (port.hostPort !== undefined && port.hostPort !== 0) {
          report(
            fieldPath(ref.path, "ports", i, "hostPort"),
            `${containerLabel(ref)} must not use hostPort ${port.hostPort}; remove hostPort and reach the container through a Service`,
          );
        }
      });
    }
  },
);

const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";
const APPARMOR_TYPES = new Set(["RuntimeDefault", "Localhost"]);

const appArmorProfile = defineRule(
  "apparmor-profile",
  "AppArmor is not disabled or overridden: only RuntimeDefault or Localhost profiles.",
  (ctx, report) => {
    for (const { setter, sc, path } of securityContexts(ctx)) {
      const profile = sc?.appArmorProfile;
      if (profile && !APPARMOR_TYPES.has(profile.type ?? "")) {
        report(
          fieldPath(path, "appArmorProfile", "type"),
          `${setter} must not set securityContext.appArmorProfile.type to ${q(profile.type)}; use "RuntimeDefault" or "Localhost"`,
        );
      }
    }
    const { podMeta, metaPath } = ctx.workload;
    const annotations = podMeta.annotations ?? {};
    // Every annotation with the prefix counts, whether or not it names an existing container.
    for (const key of Object.keys(annotations).sort()) {
      if (!key.startsWith(APPARMOR_ANNOTATION_PREFIX)) continue;
      const value = annotations[key] ?? "";
      if (value === "" || value === "runtime/default" || value.startsWith("localhost/")) continue;
      report(
        fieldPath(metaPath, "annotations", key),
        `annotation ${key} must not set AppArmor profile ${q(value)}; use "runtime/default" or "localhost/<profile>"`,
      );
    }
  },
);

const SELINUX_TYPES = new Set([
  "",
  "container_t",
  "container_init_t",
  "container_kvm_t",
  "container_engine_t",
]);

const seLinuxOptions = defineRule(
  "selinux-options",
  "SELinux options set no custom user or role and only a container type.",
  (ctx, report) => {
    for (const { setter, sc, path } of securityContexts(ctx)) {
      const opts = sc?.seLinuxOptions;
      if (!opts) continue;
      const optsPath = fieldPath(path, "seLinuxOptions");
      if (!SELINUX_TYPES.has(opts.type ?? "")) {
        report(
          fieldPath(optsPath, "type"),
          `${setter} must not set securityContext.seLinuxOptions.type to ${q(opts.type)}; use container_t, container_init_t, container_kvm_t or container_engine_t, or leave it unset`,
        );
      }
      for (const field of ["user", "role"] as const) {
        if (opts[field]) {
          report(
            fieldPath(optsPath, field),
            `${setter} must not set securityContext.seLinuxOptions.${field}; remove it`,
          );
        }
      }
    }
  },
);

const procMount = defineRule(
  "proc-mount",
  "No container unmasks /proc (procMount stays Default, even with hostUsers: false).",
  ({ workload }, report) => {
    for (const ref of workload.containers) {
      const value = ref.container.securityContext?.procMount;
      if (value !== undefined && value !== "Default") {
        report(
          fieldPath(ref.path, "securityContext", "procMount"),
          `${containerLabel(ref)} must not set securityContext.procMount to ${q(value)}; remove it or set "Default"`,
        );
      }
    }
  },
);

const SECCOMP_TYPES = new Set(["RuntimeDefault", "Localhost"]);

const seccompProfile = defineRule(
  "seccomp-profile",
  "A RuntimeDefault or Localhost seccomp profile applies to every container (Linux pods).",
  ({ workload }, report) => {
    // Upstream's restricted check replaces the baseline one and skips Windows pods entirely.
    if (isWindows(workload.podSpec)) return;
    const podProfile = workload.podSpec.securityContext?.seccompProfile;
    if (podProfile && !SECCOMP_TYPES.has(podProfile.type ?? "")) {
      report(
        fieldPath(workload.specPath, "securityContext", "seccompProfile", "type"),
        `pod must not set securityContext.seccompProfile.type to ${q(podProfile.type)}; use "RuntimeDefault" or "Localhost"`,
      );
    }
    for (const ref of workload.containers) {
      const profile = ref.container.securityContext?.seccompProfile;
      const path = fieldPath(ref.path, "securityContext", "seccompProfile", "type");
      if (profile) {
        if (!SECCOMP_TYPES.has(profile.type ?? "")) {
          report(
            path,
            `${containerLabel(ref)} must not set securityContext.seccompProfile.type to ${q(profile.type)}; use "RuntimeDefault" or "Localhost"`,
          );
        }
      } else if (!podProfile) {
        // A bad pod-level profile is reported once above; fixing it covers these containers.
        report(
          path,
          `${containerLabel(ref)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost" (or set it once in the pod's securityContext)`,
        );
      }
    }
  },
);

/** Namespaced, node-isolated sysctls allowed by the latest policy version (v1.37). */
const SAFE_SYSCTLS = new Set([
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
]);

const sysctls = defineRule(
  "sysctls",
  "The pod sets only safe, namespaced sysctls.",
  ({ workload }, report) => {
    (workload.podSpec.securityContext?.sysctls ?? []).forEach((sysctl, i) => {
      if (!SAFE_SYSCTLS.has(sysctl.name ?? "")) {
        report(
          fieldPath(workload.specPath, "securityContext", "sysctls", i, "name"),
          `pod must not set sysctl ${q(sysctl.name)}: only sysctls isolated from the node and other pods are allowed`,
        );
      }
    });
  },
);

const hostProbesAndLifecycle = defineRule(
  "host-probes-and-lifecycle",
  "Probes and lifecycle handlers do not target another host.",
  ({ workload }, report) => {
    for (const ref of workload.containers) {
      const { container } = ref;
      const handlers = [
        ["livenessProbe", container.livenessProbe],
        ["readinessProbe", container.readinessProbe],
        ["startupProbe", container.startupProbe],
        ["lifecycle.postStart", container.lifecycle?.postStart],
        ["lifecycle.preStop", container.lifecycle?.preStop],
      ] as const;
      for (const [name, handler] of handlers) {
        for (const action of ["httpGet", "tcpSocket"] as const) {
          const host = handler?.[action]?.host;
          if (host) {
            report(
              fieldPath(ref.path, ...name.split("."), action, "host"),
              `${containerLabel(ref)} must not set ${name}.${action}.host (${q(host)}); remove it so the kubelet targets the pod's own IP`,
            );
          }
        }
      }
    }
  },
);

const windowsHostProcess = defineRule(
  "windows-host-process",
  "Neither the pod nor any container runs as a Windows HostProcess.",
  (ctx, report) => {
    for (const { setter, sc, path } of securityContexts(ctx)) {
      if (sc?.windowsOptions?.hostProcess === true) {
        report(
          fieldPath(path, "windowsOptions", "hostProcess"),
          `${setter} must not set securityContext.windowsOptions.hostProcess=true`,
        );
      }
    }
  },
);

const ALLOWED_VOLUME_SOURCES = [
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "image",
  "persistentVolumeClaim",
  "projected",
  "secret",
];
const RESTRICTED_VOLUME_SOURCES = [
  "hostPath",
  "gcePersistentDisk",
  "awsElasticBlockStore",
  "gitRepo",
  "nfs",
  "iscsi",
  "glusterfs",
  "rbd",
  "flexVolume",
  "cinder",
  "cephfs",
  "flocker",
  "fc",
  "azureFile",
  "vsphereVolume",
  "quobyte",
  "azureDisk",
  "photonPersistentDisk",
  "portworxVolume",
  "scaleIO",
  "storageos",
];

const restrictedVolumes = defineRule(
  "restricted-volumes",
  "Volumes are only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret.",
  ({ workload }, report) => {
    const allowed = ALLOWED_VOLUME_SOURCES.join(", ");
    (workload.podSpec.volumes ?? []).forEach((volume, i) => {
      const name = q(volume.name ?? `#${i}`);
      const volumePath = fieldPath(workload.specPath, "volumes", i);
      const restricted = RESTRICTED_VOLUME_SOURCES.filter((s) => isSet(volume[s]));
      for (const source of restricted) {
        report(
          fieldPath(volumePath, source),
          `volume ${name} must not use ${source}; use one of ${allowed}`,
        );
      }
      if (restricted.length > 0 || ALLOWED_VOLUME_SOURCES.some((s) => isSet(volume[s]))) return;
      const unknown = Object.keys(volume).filter((k) => k !== "name" && isSet(volume[k]));
      // No source at all is defaulted to emptyDir by the API server; an unrecognised one is not.
      if (unknown.length > 0) {
        report(
          volumePath,
          `volume ${name} uses an unrecognised source (${unknown.join(", ")}); use one of ${allowed}`,
        );
      }
    });
  },
);

const allowPrivilegeEscalation = defineRule(
  "allow-privilege-escalation",
  "Every container sets allowPrivilegeEscalation: false (Linux pods).",
  ({ workload }, report) => {
    if (isWindows(workload.podSpec)) return;
    for (const ref of workload.containers) {
      if (ref.container.securityContext?.allowPrivilegeEscalation !== false) {
        report(
          fieldPath(ref.path, "securityContext", "allowPrivilegeEscalation"),
          `${containerLabel(ref)} must set securityContext.allowPrivilegeEscalation=false`,
        );
      }
    }
  },
);

const runAsNonRoot = defineRule(
  "run-as-non-root",
  "The pod or every container sets runAsNonRoot: true (unless hostUsers: false).",
  ({ workload }, report) => {
    if (inUserNamespace(workload.podSpec)) return;
    const podValue = workload.podSpec.securityContext?.runAsNonRoot;
    if (podValue === false) {
      report(
        fieldPath(workload.specPath, "securityContext", "runAsNonRoot"),
        "pod must not set securityContext.runAsNonRoot=false; set it to true",
      );
    }
    for (const ref of workload.containers) {
      const value = ref.container.securityContext?.runAsNonRoot;
      const path = fieldPath(ref.path, "securityContext", "runAsNonRoot");
      if (value === false) {
        report(
          path,
          `${containerLabel(ref)} must not set securityContext.runAsNonRoot=false; set it to true`,
        );
      } else if (value === undefined && podValue === undefined) {
        // With the pod-level field false, the finding above is the one fix to make.
        report(
          path,
          `${containerLabel(ref)} must set securityContext.runAsNonRoot=true (or set it once in the pod's securityContext)`,
        );
      }
    }
  },
);

const runAsUser = defineRule(
  "run-as-user",
  "Neither the pod nor any container sets runAsUser: 0 (unless hostUsers: false).",
  (ctx, report) => {
    if (inUserNamespace(ctx.workload.podSpec)) return;
    for (const { setter, sc, path } of securityContexts(ctx)) {
      if (sc?.runAsUser === 0) {
        report(
          fieldPath(path, "runAsUser"),
          `${setter} must not set securityContext.runAsUser=0; use a non-zero user id`,
        );
      }
    }
  },
);

export const podSecurityRules: readonly Rule[] = [
  hostNamespaces,
  privileged,
  capabilities,
  hostPathVolumes,
  hostPorts,
  appArmorProfile,
  seLinuxOptions,
  procMount,
  seccompProfile,
  sysctls,
  hostProbesAndLifecycle,
  windowsHostProcess,
  restrictedVolumes,
  allowPrivilegeEscalation,
  runAsNonRoot,
  runAsUser,
];
