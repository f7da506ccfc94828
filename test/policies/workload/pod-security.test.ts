import { test } from "node:test";
import assert from "node:assert/strict";
import { podSecurityRules } from "../../../policies/workload/rules/pod-security.ts";
import type { Finding } from "../../../policies/workload/rule.ts";
import type {
  Container,
  PodSecurityContext,
  PodSpec,
  SecurityContext,
} from "../../../policies/workload/k8s-types.ts";
import type { ContainerKind } from "../../../policies/workload/workload.ts";
import { contextFor, inEveryKind } from "../../support/context.ts";

const RULE_IDS = [
  "pod-security/host-namespaces",
  "pod-security/privileged",
  "pod-security/capabilities",
  "pod-security/host-path-volumes",
  "pod-security/host-ports",
  "pod-security/apparmor-profile",
  "pod-security/selinux-options",
  "pod-security/proc-mount",
  "pod-security/seccomp-profile",
  "pod-security/sysctls",
  "pod-security/host-probes-and-lifecycle",
  "pod-security/windows-host-process",
  "pod-security/restricted-volumes",
  "pod-security/allow-privilege-escalation",
  "pod-security/run-as-non-root",
  "pod-security/run-as-user",
];

const hardened = (): SecurityContext => ({
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
});

/** A pod that passes the restricted profile, with every kind of container. */
function compliantSpec(): PodSpec {
  return {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [
      { name: "app", image: "example/app", securityContext: hardened() },
      { name: "sidecar", image: "example/sidecar", securityContext: hardened() },
    ],
    initContainers: [{ name: "init", image: "example/init", securityContext: hardened() }],
    ephemeralContainers: [{ name: "debug", image: "example/debug", securityContext: hardened() }],
  };
}

function container(spec: PodSpec, kind: ContainerKind = "containers", i = 0): Container {
  const c = spec[kind]?.[i];
  assert.ok(c, `no ${kind}[${i}] in the test pod`);
  return c;
}

function csc(spec: PodSpec, kind: ContainerKind = "containers", i = 0): SecurityContext {
  return (container(spec, kind, i).securityContext ??= {});
}

function psc(spec: PodSpec): PodSecurityContext {
  return (spec.securityContext ??= {});
}

function windows(spec: PodSpec): void {
  spec.os = { name: "windows" };
  for (const kind of ["containers", "initContainers", "ephemeralContainers"] as const) {
    for (const c of spec[kind] ?? []) delete c.securityContext;
  }
  delete psc(spec).seccompProfile;
}

function build(tweak?: (spec: PodSpec) => void): Record<string, unknown> {
  const spec = compliantSpec();
  tweak?.(spec);
  return Object.fromEntries(Object.entries(spec));
}

function run(object: unknown, ruleId?: string): Finding[] {
  const ctx = contextFor(object);
  return podSecurityRules
    .filter((r) => ruleId === undefined || r.id === ruleId)
    .flatMap((r) => r.check(ctx));
}

interface Case {
  rule: string;
  name: string;
  tweak?: (spec: PodSpec) => void;
  annotations?: Record<string, string>;
  /** Expected finding paths as in a Pod; other kinds move `spec`/`metadata` under their template. */
  paths: string[];
}

const APPARMOR = "container.apparmor.security.beta.kubernetes.io/";

const cases: Case[] = [
  // host-namespaces
  {
    rule: "pod-security/host-namespaces",
    name: "host namespaces explicitly false",
    tweak: (s) => Object.assign(s, { hostNetwork: false, hostPID: false, hostIPC: false }),
    paths: [],
  },
  {
    rule: "pod-security/host-namespaces",
    name: "hostNetwork, hostPID and hostIPC",
    tweak: (s) => Object.assign(s, { hostNetwork: true, hostPID: true, hostIPC: true }),
    paths: ["spec.hostNetwork", "spec.hostPID", "spec.hostIPC"],
  },
  // privileged
  {
    rule: "pod-security/privileged",
    name: "privileged false",
    tweak: (s) => (csc(s).privileged = false),
    paths: [],
  },
  {
    rule: "pod-security/privileged",
    name: "privileged init and ephemeral containers",
    tweak: (s) => {
      csc(s, "initContainers").privileged = true;
      csc(s, "ephemeralContainers").privileged = true;
    },
    paths: [
      "spec.initContainers[0].securityContext.privileged",
      "spec.ephemeralContainers[0].securityContext.privileged",
    ],
  },
  // capabilities
  {
    rule: "pod-security/capabilities",
    name: "drop ALL and add NET_BIND_SERVICE",
    tweak: (s) => (csc(s).capabilities = { drop: ["ALL"], add: ["NET_BIND_SERVICE"] }),
    paths: [],
  },
  {
    rule: "pod-security/capabilities",
    name: "no capabilities on the second container and the ephemeral container",
    tweak: (s) => {
      delete csc(s, "containers", 1).capabilities;
      delete csc(s, "ephemeralContainers").capabilities;
    },
    paths: [
      "spec.containers[1].securityContext.capabilities.drop",
      "spec.ephemeralContainers[0].securityContext.capabilities.drop",
    ],
  },
  {
    rule: "pod-security/capabilities",
    name: "drop is case-sensitive",
    tweak: (s) => (csc(s, "initContainers").capabilities = { drop: ["all"] }),
    paths: ["spec.initContainers[0].securityContext.capabilities.drop"],
  },
  {
    rule: "pod-security/capabilities",
    name: "a default capability is still beyond restricted",
    tweak: (s) => (csc(s).capabilities = { drop: ["ALL"], add: ["CHOWN"] }),
    paths: ["spec.containers[0].securityContext.capabilities.add[0]"],
  },
  {
    rule: "pod-security/capabilities",
    name: "non-default capabilities, one finding each",
    tweak: (s) =>
      (csc(s).capabilities = { drop: ["ALL"], add: ["SYS_ADMIN", "NET_BIND_SERVICE", "NET_RAW"] }),
    paths: [
      "spec.containers[0].securityContext.capabilities.add[0]",
      "spec.containers[0].securityContext.capabilities.add[2]",
    ],
  },
  // host-path-volumes
  {
    rule: "pod-security/host-path-volumes",
    name: "emptyDir",
    tweak: (s) => (s.volumes = [{ name: "tmp", emptyDir: {} }]),
    paths: [],
  },
  {
    rule: "pod-security/host-path-volumes",
    name: "hostPath volume",
    tweak: (s) =>
      (s.volumes = [
        { name: "tmp", emptyDir: {} },
        { name: "host", hostPath: { path: "/var/run" } },
      ]),
    paths: ["spec.volumes[1].hostPath"],
  },
  // host-ports
  {
    rule: "pod-security/host-ports",
    name: "container port and hostPort 0",
    tweak: (s) => (container(s).ports = [{ containerPort: 80, hostPort: 0 }]),
    paths: [],
  },
  {
    rule: "pod-security/host-ports",
    name: "hostPort on the second port and on an init container",
    tweak: (s) => {
      container(s).ports = [{ containerPort: 80 }, { containerPort: 81, hostPort: 8081 }];
      container(s, "initContainers").ports = [{ containerPort: 9, hostPort: 9 }];
    },
    paths: ["spec.containers[0].ports[1].hostPort", "spec.initContainers[0].ports[0].hostPort"],
  },
  // apparmor-profile
  {
    rule: "pod-security/apparmor-profile",
    name: "RuntimeDefault and Localhost profiles and allowed annotations",
    tweak: (s) => {
      psc(s).appArmorProfile = { type: "RuntimeDefault" };
      csc(s).appArmorProfile = { type: "Localhost", localhostProfile: "mcp" };
    },
    annotations: {
      [`${APPARMOR}app`]: "runtime/default",
      [`${APPARMOR}sidecar`]: "localhost/mcp",
      [`${APPARMOR}init`]: "",
    },
    paths: [],
  },
  {
    rule: "pod-security/apparmor-profile",
    name: "Unconfined on the pod and an ephemeral container, missing type on a container",
    tweak: (s) => {
      psc(s).appArmorProfile = { type: "Unconfined" };
      csc(s, "ephemeralContainers").appArmorProfile = { type: "Unconfined" };
      csc(s, "containers", 1).appArmorProfile = {};
    },
    paths: [
      "spec.securityContext.appArmorProfile.type",
      "spec.containers[1].securityContext.appArmorProfile.type",
      "spec.ephemeralContainers[0].securityContext.appArmorProfile.type",
    ],
  },
  {
    rule: "pod-security/apparmor-profile",
    name: "legacy annotations, even for a container that does not exist",
    annotations: {
      [`${APPARMOR}app`]: "unconfined",
      [`${APPARMOR}ghost`]: "other/profile",
      "other.example/app": "unconfined",
    },
    paths: [`metadata.annotations["${APPARMOR}app"]`, `metadata.annotations["${APPARMOR}ghost"]`],
  },
  // selinux-options
  {
    rule: "pod-security/selinux-options",
    name: "allowed types and a level",
    tweak: (s) => {
      psc(s).seLinuxOptions = { type: "container_engine_t", level: "s0:c123,c456" };
      csc(s).seLinuxOptions = { type: "container_init_t" };
      csc(s, "initContainers").seLinuxOptions = { type: "" };
    },
    paths: [],
  },
  {
    rule: "pod-security/selinux-options",
    name: "custom type, user and role",
    tweak: (s) => {
      psc(s).seLinuxOptions = { type: "spc_t" };
      csc(s, "containers", 1).seLinuxOptions = { user: "system_u", role: "system_r" };
    },
    paths: [
      "spec.securityContext.seLinuxOptions.type",
      "spec.containers[1].securityContext.seLinuxOptions.user",
      "spec.containers[1].securityContext.seLinuxOptions.role",
    ],
  },
  // proc-mount
  {
    rule: "pod-security/proc-mount",
    name: "procMount Default",
    tweak: (s) => (csc(s).procMount = "Default"),
    paths: [],
  },
  {
    rule: "pod-security/proc-mount",
    name: "Unmasked, even in a user namespace",
    tweak: (s) => {
      s.hostUsers = false;
      csc(s, "ephemeralContainers").procMount = "Unmasked";
    },
    paths: ["spec.ephemeralContainers[0].securityContext.procMount"],
  },
  // seccomp-profile
  {
    rule: "pod-security/seccomp-profile",
    name: "set on every container instead of the pod",
    tweak: (s) => {
      delete psc(s).seccompProfile;
      for (const kind of ["containers", "initContainers", "ephemeralContainers"] as const) {
        for (const c of s[kind] ?? [])
          (c.securityContext ??= {}).seccompProfile = {
            type: "Localhost",
            localhostProfile: "p.json",
          };
      }
    },
    paths: [],
  },
  {
    rule: "pod-security/seccomp-profile",
    name: "Unconfined on the pod is one finding",
    tweak: (s) => (psc(s).seccompProfile = { type: "Unconfined" }),
    paths: ["spec.securityContext.seccompProfile.type"],
  },
  {
    rule: "pod-security/seccomp-profile",
    name: "Unconfined on a container overrides the pod",
    tweak: (s) => (csc(s, "containers", 1).seccompProfile = { type: "Unconfined" }),
    paths: ["spec.containers[1].securityContext.seccompProfile.type"],
  },
  {
    rule: "pod-security/seccomp-profile",
    name: "unset on the pod and on some containers",
    tweak: (s) => {
      delete psc(s).seccompProfile;
      csc(s).seccompProfile = { type: "RuntimeDefault" };
      csc(s, "containers", 1).seccompProfile = { type: "Localhost" };
    },
    paths: [
      "spec.initContainers[0].securityContext.seccompProfile.type",
      "spec.ephemeralContainers[0].securityContext.seccompProfile.type",
    ],
  },
  // sysctls
  {
    rule: "pod-security/sysctls",
    name: "safe sysctls of the latest policy version",
    tweak: (s) =>
      (psc(s).sysctls = [
        { name: "net.ipv4.ip_unprivileged_port_start", value: "0" },
        { name: "net.ipv4.tcp_notsent_lowat", value: "16384" },
      ]),
    paths: [],
  },
  {
    rule: "pod-security/sysctls",
    name: "unsafe sysctl",
    tweak: (s) =>
      (psc(s).sysctls = [
        { name: "kernel.shm_rmid_forced", value: "1" },
        { name: "kernel.msgmax", value: "65536" },
      ]),
    paths: ["spec.securityContext.sysctls[1].name"],
  },
  // host-probes-and-lifecycle
  {
    rule: "pod-security/host-probes-and-lifecycle",
    name: "probes and handlers without a host",
    tweak: (s) => {
      const c = container(s);
      c.livenessProbe = { httpGet: { path: "/healthz", port: 8080, host: "" } };
      c.readinessProbe = { tcpSocket: { port: 8080 } };
      c.lifecycle = { preStop: { httpGet: { path: "/stop", port: 8080 } } };
    },
    paths: [],
  },
  {
    rule: "pod-security/host-probes-and-lifecycle",
    name: "probe and lifecycle hosts",
    tweak: (s) => {
      container(s, "containers", 1).startupProbe = { tcpSocket: { port: 22, host: "10.0.0.1" } };
      container(s, "initContainers").lifecycle = {
        postStart: { tcpSocket: { port: 1, host: "a" } },
        preStop: { httpGet: { port: 80, host: "metadata.internal" } },
      };
      container(s, "ephemeralContainers").livenessProbe = {
        httpGet: { port: 80, host: "169.254.169.254" },
      };
    },
    paths: [
      "spec.containers[1].startupProbe.tcpSocket.host",
      "spec.initContainers[0].lifecycle.postStart.tcpSocket.host",
      "spec.initContainers[0].lifecycle.preStop.httpGet.host",
      "spec.ephemeralContainers[0].livenessProbe.httpGet.host",
    ],
  },
  // windows-host-process
  {
    rule: "pod-security/windows-host-process",
    name: "hostProcess false",
    tweak: (s) => {
      psc(s).windowsOptions = { hostProcess: false };
      csc(s).windowsOptions = { hostProcess: false };
    },
    paths: [],
  },
  {
    rule: "pod-security/windows-host-process",
    name: "hostProcess on the pod and a container",
    tweak: (s) => {
      psc(s).windowsOptions = { hostProcess: true };
      csc(s, "initContainers").windowsOptions = { hostProcess: true };
    },
    paths: [
      "spec.securityContext.windowsOptions.hostProcess",
      "spec.initContainers[0].securityContext.windowsOptions.hostProcess",
    ],
  },
  // restricted-volumes
  {
    rule: "pod-security/restricted-volumes",
    name: "every allowed volume type, and one with no source (defaulted to emptyDir)",
    tweak: (s) =>
      (s.volumes = [
        { name: "a", configMap: { name: "c" } },
        { name: "b", csi: { driver: "d" } },
        { name: "c", downwardAPI: {} },
        { name: "d", emptyDir: {} },
        { name: "e", ephemeral: { volumeClaimTemplate: {} } },
        { name: "f", image: { reference: "example/data" } },
        { name: "g", persistentVolumeClaim: { claimName: "x" } },
        { name: "h", projected: { sources: [] } },
        { name: "i", secret: { secretName: "s" } },
        { name: "j" },
      ]),
    paths: [],
  },
  {
    rule: "pod-security/restricted-volumes",
    name: "nfs, hostPath and an unrecognised source",
    tweak: (s) =>
      (s.volumes = [
        { name: "ok", emptyDir: {} },
        { name: "share", nfs: { server: "nfs", path: "/" } },
        { name: "host", hostPath: { path: "/" } },
        { name: "odd", someFutureVolume: {} },
      ]),
    paths: ["spec.volumes[1].nfs", "spec.volumes[2].hostPath", "spec.volumes[3]"],
  },
  // allow-privilege-escalation
  {
    rule: "pod-security/allow-privilege-escalation",
    name: "false on every container",
    paths: [],
  },
  {
    rule: "pod-security/allow-privilege-escalation",
    name: "unset or true",
    tweak: (s) => {
      delete csc(s).allowPrivilegeEscalation;
      csc(s, "ephemeralContainers").allowPrivilegeEscalation = true;
      delete container(s, "initContainers").securityContext;
    },
    paths: [
      "spec.containers[0].securityContext.allowPrivilegeEscalation",
      "spec.initContainers[0].securityContext.allowPrivilegeEscalation",
      "spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation",
    ],
  },
  // run-as-non-root
  {
    rule: "pod-security/run-as-non-root",
    name: "true on every container instead of the pod",
    tweak: (s) => {
      delete psc(s).runAsNonRoot;
      for (const kind of ["containers", "initContainers", "ephemeralContainers"] as const) {
        for (const c of s[kind] ?? []) (c.securityContext ??= {}).runAsNonRoot = true;
      }
    },
    paths: [],
  },
  {
    rule: "pod-security/run-as-non-root",
    name: "false is allowed in a user namespace",
    tweak: (s) => {
      s.hostUsers = false;
      psc(s).runAsNonRoot = false;
    },
    paths: [],
  },
  {
    rule: "pod-security/run-as-non-root",
    name: "false on the pod is one finding",
    tweak: (s) => (psc(s).runAsNonRoot = false),
    paths: ["spec.securityContext.runAsNonRoot"],
  },
  {
    rule: "pod-security/run-as-non-root",
    name: "false on a container overrides the pod",
    tweak: (s) => (csc(s, "ephemeralContainers").runAsNonRoot = false),
    paths: ["spec.ephemeralContainers[0].securityContext.runAsNonRoot"],
  },
  {
    rule: "pod-security/run-as-non-root",
    name: "unset on the pod and on some containers",
    tweak: (s) => {
      delete psc(s).runAsNonRoot;
      csc(s).runAsNonRoot = true;
    },
    paths: [
      "spec.containers[1].securityContext.runAsNonRoot",
      "spec.initContainers[0].securityContext.runAsNonRoot",
      "spec.ephemeralContainers[0].securityContext.runAsNonRoot",
    ],
  },
  // run-as-user
  {
    rule: "pod-security/run-as-user",
    name: "non-zero user",
    tweak: (s) => {
      psc(s).runAsUser = 1000;
      csc(s).runAsUser = 65532;
    },
    paths: [],
  },
  {
    rule: "pod-security/run-as-user",
    name: "root is allowed in a user namespace",
    tweak: (s) => {
      s.hostUsers = false;
      psc(s).runAsUser = 0;
    },
    paths: [],
  },
  {
    rule: "pod-security/run-as-user",
    name: "root on the pod and an ephemeral container",
    tweak: (s) => {
      psc(s).runAsUser = 0;
      csc(s, "ephemeralContainers").runAsUser = 0;
    },
    paths: [
      "spec.securityContext.runAsUser",
      "spec.ephemeralContainers[0].securityContext.runAsUser",
    ],
  },
  // Windows pods: upstream's restricted checks for capabilities, seccomp and privilege escalation
  // skip them (and replace the baseline variants), the rest still apply.
  {
    rule: "pod-security/capabilities",
    name: "Windows pod without Linux capabilities",
    tweak: windows,
    paths: [],
  },
  {
    rule: "pod-security/capabilities",
    name: "Windows pod adding a capability (the baseline list is replaced upstream)",
    tweak: (s) => {
      windows(s);
      csc(s).capabilities = { add: ["SYS_ADMIN"] };
    },
    paths: [],
  },
  {
    rule: "pod-security/seccomp-profile",
    name: "Windows pod with Unconfined seccomp",
    tweak: (s) => {
      windows(s);
      psc(s).seccompProfile = { type: "Unconfined" };
    },
    paths: [],
  },
  {
    rule: "pod-security/allow-privilege-escalation",
    name: "Windows pod without allowPrivilegeEscalation",
    tweak: windows,
    paths: [],
  },
  {
    rule: "pod-security/run-as-non-root",
    name: "Windows pod still needs runAsNonRoot",
    tweak: (s) => {
      windows(s);
      delete psc(s).runAsNonRoot;
    },
    paths: [
      "spec.containers[0].securityContext.runAsNonRoot",
      "spec.containers[1].securityContext.runAsNonRoot",
      "spec.initContainers[0].securityContext.runAsNonRoot",
      "spec.ephemeralContainers[0].securityContext.runAsNonRoot",
    ],
  },
  {
    rule: "pod-security/windows-host-process",
    name: "Windows HostProcess pod",
    tweak: (s) => {
      windows(s);
      s.hostNetwork = true;
      psc(s).windowsOptions = { hostProcess: true };
    },
    paths: ["spec.securityContext.windowsOptions.hostProcess"],
  },
  {
    rule: "pod-security/host-path-volumes",
    name: "Windows pod with a hostPath volume",
    tweak: (s) => {
      windows(s);
      s.volumes = [{ name: "host", hostPath: { path: "C:\\" } }];
    },
    paths: ["spec.volumes[0].hostPath"],
  },
  {
    rule: "pod-security/allow-privilege-escalation",
    name: "os linux is not exempt",
    tweak: (s) => {
      s.os = { name: "linux" };
      delete csc(s, "containers", 1).allowPrivilegeEscalation;
    },
    paths: ["spec.containers[1].securityContext.allowPrivilegeEscalation"],
  },
];

/** Moves a Pod's `spec…`/`metadata…` path under the workload kind's pod template. */
function relocate(path: string, specPath: string): string {
  const metaPath = specPath.replace(/spec$/, "metadata");
  if (path.startsWith("spec")) return specPath + path.slice("spec".length);
  assert.ok(path.startsWith("metadata"), path);
  return metaPath + path.slice("metadata".length);
}

for (const c of cases) {
  const verdict = c.paths.length === 0 ? "passes" : "fails";
  void test(`${c.rule}: ${c.name} ${verdict} in every workload kind`, () => {
    const podMeta = c.annotations ? { annotations: c.annotations } : {};
    const kinds = inEveryKind(build(c.tweak), podMeta);
    assert.equal(kinds.length, 8);
    for (const { kind, object, specPath } of kinds) {
      const findings = run(object, c.rule);
      assert.ok(findings.length > 0 || c.paths.length === 0, `${kind}: no findings`);
      for (const f of findings) {
        assert.equal(f.rule, c.rule);
        assert.ok(f.message.length > 0);
        assert.ok(
          f.path.startsWith(specPath) || f.path.startsWith(specPath.replace(/spec$/, "metadata")),
          `${kind}: ${f.path} is not under the pod template`,
        );
      }
      assert.deepEqual(
        findings.map((f) => f.path).sort(),
        c.paths.map((p) => relocate(p, specPath)).sort(),
        kind,
      );
      // A passing case must not trip any other rule either.
      if (c.paths.length === 0) assert.deepEqual(run(object), [], kind);
    }
  });
}

void test("the catalogue has exactly the restricted profile's rules", () => {
  assert.deepEqual(
    podSecurityRules.map((r) => r.id),
    RULE_IDS,
  );
});

void test("every rule has a passing and a failing case", () => {
  for (const id of RULE_IDS) {
    assert.ok(
      cases.some((c) => c.rule === id && c.paths.length === 0),
      `${id} has no passing case`,
    );
    assert.ok(
      cases.some((c) => c.rule === id && c.paths.length > 0),
      `${id} has no failing case`,
    );
  }
});

void test("the compliant pod passes every rule", () => {
  assert.deepEqual(
    run({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: build() }),
    [],
  );
});

void test("paths through controller templates are exact", () => {
  const spec = build((s) => {
    delete psc(s).runAsNonRoot;
    csc(s).runAsNonRoot = true;
    csc(s, "initContainers").runAsNonRoot = true;
    csc(s, "ephemeralContainers").runAsNonRoot = true;
  });
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "d" },
    spec: { template: { metadata: {}, spec } },
  };
  assert.deepEqual(
    run(deployment).map((f) => [f.rule, f.path]),
    [
      [
        "pod-security/run-as-non-root",
        "spec.template.spec.containers[1].securityContext.runAsNonRoot",
      ],
    ],
  );

  const cron = inEveryKind(build((s) => (csc(s, "ephemeralContainers").runAsUser = 0))).find(
    (k) => k.kind === "CronJob",
  );
  assert.ok(cron);
  assert.deepEqual(
    run(cron.object).map((f) => [f.rule, f.path]),
    [
      [
        "pod-security/run-as-user",
        "spec.jobTemplate.spec.template.spec.ephemeralContainers[0].securityContext.runAsUser",
      ],
    ],
  );
});

void test("a container without a name is still reported at its path", () => {
  const object = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p" },
    spec: build((s) => {
      delete container(s, "containers", 1).name;
      csc(s, "containers", 1).privileged = true;
    }),
  };
  assert.deepEqual(
    run(object, "pod-security/privileged").map((f) => f.path),
    ["spec.containers[1].securityContext.privileged"],
  );
});
