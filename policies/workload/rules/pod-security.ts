/**
 * Kubernetes Pod Security Admission, "restricted" profile (baseline included), at the policy
 * version the policy pins (`spec.podSecurity.version`; latest by default, see
 * pod-security-version.ts for what changes between versions). Where PSA has a baseline and a
 * restricted variant of one check, the restricted profile runs both, so they fold into one rule
 * here. Each finding names one offending field.
 */
import { fieldPath } from "../../field-path.ts";
import {
  yamlExample,
  type Explanation,
  type Finding,
  type Rule,
  type RuleContext,
} from "../rule.ts";
import type { PodSecurityContext, PodSpec } from "../k8s-types.ts";
import { containerLabel } from "../workload.ts";
import { podSecurityProfile, type PodSecurityProfile } from "./pod-security-version.ts";

type Report = (path: string, message: string) => void;

function defineRule(
  name: string,
  title: string,
  explain: Explanation,
  collect: (ctx: RuleContext, report: Report) => void,
): Rule {
  const id = `pod-security/${name}`;
  return {
    id,
    title,
    explain,
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
export function isWindows(spec: PodSpec): boolean {
  return spec.os?.name === "windows";
}

/** The checks as the policy's pinned Pod Security version has them. */
function profile(ctx: RuleContext): PodSecurityProfile {
  return podSecurityProfile(ctx.settings.podSecurityVersion);
}

/** Pods in their own user namespace get the root-related relaxations (policy v1.35+). */
function relaxedForUserNamespace(ctx: RuleContext): boolean {
  return profile(ctx).relaxesRootInUserNamespace && ctx.workload.podSpec.hostUsers === false;
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
  {
    why: "A pod in the node's network namespace listens on the node's addresses, reaches whatever listens on the node's localhost and is not held by any NetworkPolicy; with hostPID it sees every process of the node and can read their environments and memory through /proc; with hostIPC it shares the node's shared memory. A server turned by a prompt injection would hold all of that.",
    fix: "Remove hostNetwork, hostPID and hostIPC from the pod spec (or set them to false). Reach the server through a Service, not through the node's network.",
    example: yamlExample`
      spec:
        template:
          spec:
            hostNetwork: false
            hostPID: false
            hostIPC: false
    `,
  },
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
  {
    why: "A privileged container gets every capability and every device of the node, and no seccomp or AppArmor confinement: it is root on the node in all but name, one mount away from the node's filesystem.",
    fix: "Remove securityContext.privileged from every container, init and ephemeral container (or set it to false). No MCP server needs the whole node; a server that needs one kernel feature needs one capability, and pod-security/capabilities allows adding only NET_BIND_SERVICE.",
    example: yamlExample`
      spec:
        template:
          spec:
            containers:
              - name: server
                securityContext:
                  privileged: false
    `,
  },
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
  {
    why: "Capabilities are root's powers split up. The runtime's default set still holds ones a server does not need (NET_RAW to forge packets, DAC_OVERRIDE to read any file, SETUID, CHOWN...), and each capability added (SYS_ADMIN, NET_ADMIN, SYS_PTRACE) is a step from the container to the node.",
    fix: 'Set securityContext.capabilities.drop: ["ALL"] on every container, with "ALL" in capitals (names are case-sensitive), and add back nothing but NET_BIND_SERVICE, which only a server binding a port below 1024 needs. Windows pods are not checked.',
    example: yamlExample`
      spec:
        template:
          spec:
            containers:
              - name: server
                securityContext:
                  capabilities:
                    drop: ["ALL"]
                    # add: ["NET_BIND_SERVICE"]   # only to listen below port 1024
    `,
  },
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
  {
    why: "A hostPath volume mounts a directory of the node into the pod: the kubelet's credentials, other pods' volumes, the container runtime's socket, the node's logs. Written to, it plants files the node itself runs or trusts.",
    fix: "Replace the hostPath volume: an emptyDir for scratch space, a configMap or secret for files the server reads, a persistentVolumeClaim for data it keeps (which sandbox/volume-isolation must allow).",
    example: yamlExample`
      spec:
        template:
          spec:
            containers:
              - name: server
                volumeMounts:
                  - name: data
                    mountPath: /data
            volumes:
              - name: data
                emptyDir:
                  sizeLimit: 256Mi
    `,
  },
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
  {
    why: "A host port publishes the server on the node's own address, where anything that reaches the node reaches the server, around the NetworkPolicy that says which agents may call it; it also ties the pod to nodes where that port is free.",
    fix: "Remove hostPort from the container's ports, keep containerPort, and reach the server through a Service.",
    example: yamlExample`
      spec:
        template:
          spec:
            containers:
              - name: server
                ports:
                  - containerPort: 8080
    `,
  },
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
  {
    why: "AppArmor confines which files, mounts and capabilities a process may use, even as root. An Unconfined profile (or any other than the runtime's default or one loaded on the node) switches that off.",
    fix: 'Leave appArmorProfile unset (the runtime\'s default applies), or set type RuntimeDefault, or Localhost with a profile loaded on the nodes. Remove container.apparmor.security.beta.kubernetes.io/* annotations other than "runtime/default" and "localhost/<profile>".',
    example: yamlExample`
      spec:
        template:
          spec:
            securityContext:
              appArmorProfile:
                type: RuntimeDefault
    `,
  },
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

const seLinuxOptions = defineRule(
  "selinux-options",
  "SELinux options set no custom user or role and only a container type.",
  {
    why: 'On SELinux nodes the label decides what a container may touch. A custom user or role, or a type other than the container types (spc_t is the "super-privileged container"), lifts the confinement that keeps a container away from the node and from other containers.',
    fix: "Remove seLinuxOptions.user and seLinuxOptions.role; leave seLinuxOptions.type unset or set it to container_t, container_init_t, container_kvm_t or container_engine_t. A level (the MCS categories) may stay.",
    example: yamlExample`
      spec:
        template:
          spec:
            securityContext:
              seLinuxOptions:
                type: container_t
    `,
  },
  (ctx, report) => {
    const allowed = profile(ctx).seLinuxTypes;
    for (const { setter, sc, path } of securityContexts(ctx)) {
      const opts = sc?.seLinuxOptions;
      if (!opts) continue;
      const optsPath = fieldPath(path, "seLinuxOptions");
      if (!allowed.has(opts.type ?? "")) {
        const types = [...allowed].filter((t) => t !== "");
        report(
          fieldPath(optsPath, "type"),
          `${setter} must not set securityContext.seLinuxOptions.type to ${q(opts.type)}; use ${types.slice(0, -1).join(", ")} or ${types.at(-1)}, or leave it unset`,
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
  {
    why: "The runtime masks the parts of /proc that expose the kernel (kcore, sysrq-trigger, timer_list...) and makes others read-only. procMount: Unmasked removes that, giving the container a view of, and levers on, the node's kernel.",
    fix: "Remove securityContext.procMount from every container, or set it to Default.",
    example: yamlExample`
      spec:
        template:
          spec:
            containers:
              - name: server
                securityContext:
                  procMount: Default
    `,
  },
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
  {
    why: "seccomp limits the system calls a container can make. Without a profile, every syscall the kernel offers is open, including the rarely used ones behind most kernel privilege escalations; RuntimeDefault closes those at no cost to an ordinary server.",
    fix: "Set securityContext.seccompProfile.type: RuntimeDefault once in the pod's securityContext, which covers every container (or Localhost with a profile installed on the nodes); never Unconfined. Windows pods are not checked.",
    example: yamlExample`
      spec:
        template:
          spec:
            securityContext:
              seccompProfile:
                type: RuntimeDefault
    `,
  },
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

const sysctls = defineRule(
  "sysctls",
  "The pod sets only safe, namespaced sysctls.",
  {
    why: "Most sysctls are not per pod: set from one pod, they change the kernel of the whole node (network stack, memory, core dumps) for every pod on it.",
    fix: "Set only sysctls namespaced per pod: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.ip_local_reserved_ports, net.ipv4.ip_unprivileged_port_start, net.ipv4.ping_group_range, net.ipv4.tcp_syncookies, net.ipv4.tcp_keepalive_time, net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes, net.ipv4.tcp_fin_timeout, net.ipv4.tcp_rmem, net.ipv4.tcp_wmem, net.ipv4.tcp_slow_start_after_idle, net.ipv4.tcp_notsent_lowat. A node-wide setting belongs in the node's configuration.",
    example: yamlExample`
      spec:
        template:
          spec:
            securityContext:
              sysctls:
                - name: net.ipv4.ip_unprivileged_port_start
                  value: "0"
    `,
  },
  (ctx, report) => {
    const { workload } = ctx;
    const safe = profile(ctx).safeSysctls;
    (workload.podSpec.securityContext?.sysctls ?? []).forEach((sysctl, i) => {
      if (!safe.has(sysctl.name ?? "")) {
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
  {
    why: "The kubelet runs probes and lifecycle handlers from the node. A host on an httpGet or tcpSocket handler makes the kubelet connect wherever the manifest says (other pods, services on the node's network, the cloud metadata endpoint), from the node and around every NetworkPolicy.",
    fix: "Remove host from the httpGet and tcpSocket handlers of livenessProbe, readinessProbe, startupProbe and lifecycle.postStart/preStop; the kubelet then targets the pod's own IP.",
    example: yamlExample`
      spec:
        template:
          spec:
            containers:
              - name: server
                readinessProbe:
                  httpGet:
                    path: /healthz
                    port: 8080
    `,
  },
  (ctx, report) => {
    if (!profile(ctx).checksProbeHosts) return;
    for (const ref of ctx.workload.containers) {
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
  {
    why: "A Windows HostProcess container runs on the node itself, as a node account, with the node's filesystem and network: no isolation at all.",
    fix: "Remove securityContext.windowsOptions.hostProcess from the pod and every container (or set it to false).",
    example: yamlExample`
      spec:
        template:
          spec:
            os:
              name: windows
            securityContext:
              windowsOptions:
                runAsUserName: ContainerUser # an ordinary container user, not a HostProcess
    `,
  },
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
  {
    why: "Other volume types mount storage with the node's own credentials (nfs, iscsi, rbd, cloud disks), run code on the node (gitRepo clones with the node's git) or reach the node's paths, outside what Kubernetes governs per pod.",
    fix: "Use one of configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret: emptyDir for scratch, configMap or secret for configuration, a persistentVolumeClaim bound to storage an administrator set up, an init container instead of gitRepo.",
    example: yamlExample`
      spec:
        template:
          spec:
            containers:
              - name: server
                volumeMounts:
                  - name: config
                    mountPath: /etc/mcp
                    readOnly: true
            volumes:
              - name: config
                configMap:
                  name: mcp-example-config
    `,
  },
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
  {
    why: "Unless allowPrivilegeEscalation is false (the kernel's no_new_privs), a process can gain privileges through a setuid binary or file capabilities in the image, and running as non-root then means little.",
    fix: "Set securityContext.allowPrivilegeEscalation: false on every container, init and ephemeral container. Windows pods are not checked.",
    example: yamlExample`
      spec:
        template:
          spec:
            containers:
              - name: server
                securityContext:
                  allowPrivilegeEscalation: false
    `,
  },
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
  {
    why: "A process running as uid 0 owns everything the container holds and is root on the node the moment it escapes. runAsNonRoot: true makes the kubelet refuse to start a container whose user is root, whatever the image says.",
    fix: "Set runAsNonRoot: true in the pod's securityContext (or in every container's), with a non-zero runAsUser when the image's USER is root or not numeric. Pods with hostUsers: false (their own user namespace) are not checked from Pod Security v1.35 on (spec.podSecurity.version).",
    example: yamlExample`
      spec:
        template:
          spec:
            securityContext:
              runAsNonRoot: true
              runAsUser: 10001
    `,
  },
  (ctx, report) => {
    if (relaxedForUserNamespace(ctx)) return;
    const { workload } = ctx;
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
  {
    why: "runAsUser: 0 runs the container as root, whatever the image's USER says, and is root on the node the moment it escapes.",
    fix: "Remove runAsUser: 0 from the pod's and every container's securityContext, or set a non-zero uid the image can run as (and runAsNonRoot: true). Pods with hostUsers: false are not checked from Pod Security v1.35 on (spec.podSecurity.version).",
    example: yamlExample`
      spec:
        template:
          spec:
            securityContext:
              runAsUser: 10001
    `,
  },
  (ctx, report) => {
    if (relaxedForUserNamespace(ctx)) return;
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
