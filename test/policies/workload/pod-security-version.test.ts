// spec.podSecurity.version: the pod-security/* rules judge as the pinned Pod Security Admission
// policy version does (k8s.io/pod-security-admission's version table, policy/check_*.go).
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { readFileSync } from "node:fs";
import { compileGlob } from "../../../policies/glob.ts";
import { InputError } from "../../../policies/errors.ts";
import { createClusterState } from "../../../policies/workload/cluster-state.ts";
import { judgeWorkload } from "../../../policies/workload/engine.ts";
import type { PodSpec } from "../../../policies/workload/k8s-types.ts";
import { compilePolicy } from "../../../policies/workload/policy.ts";
import { podSecurityRules } from "../../../policies/workload/rules/pod-security.ts";
import {
  LATEST_POD_SECURITY_MINOR,
  podSecurityMinor,
} from "../../../policies/workload/rules/pod-security-version.ts";
import { toWorkload } from "../../../policies/workload/workload.ts";
import { contextFor } from "../../support/context.ts";
import { assertThrowsWithCode } from "../../support/throws.ts";

/** A pod the restricted profile admits at every version. */
function compliant(): PodSpec {
  return {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [
      {
        name: "app",
        image: "example/app",
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
      },
    ],
  };
}

/** The pod-security/* rule ids that fire on `spec`, judged as `minor` (undefined: latest). */
function firing(spec: PodSpec, minor: number | undefined): string[] {
  const ctx = contextFor(
    { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec },
    { settings: { podSecurityVersion: minor } },
  );
  return [...new Set(podSecurityRules.flatMap((r) => r.check(ctx)).map((f) => f.rule))].sort();
}

const sysctl = (name: string) => (s: PodSpec) => {
  s.securityContext = { ...s.securityContext, sysctls: [{ name, value: "1" }] };
};

interface Case {
  name: string;
  change: (spec: PodSpec) => void;
  /** What fires at each version; `latest` for the unpinned policy. */
  expect: [version: number | "latest", rules: string[]][];
}

const cases: Case[] = [
  {
    name: "hostUsers: false with runAsUser 0 and no runAsNonRoot",
    change: (s) => {
      s.hostUsers = false;
      s.securityContext = { seccompProfile: { type: "RuntimeDefault" }, runAsUser: 0 };
    },
    expect: [
      [25, ["pod-security/run-as-non-root", "pod-security/run-as-user"]],
      [34, ["pod-security/run-as-non-root", "pod-security/run-as-user"]],
      [35, []],
      [37, []],
      [40, []],
      ["latest", []],
    ],
  },
  {
    name: "runAsUser 0 without hostUsers: false",
    change: (s) => {
      s.securityContext = { ...s.securityContext, runAsUser: 0 };
    },
    expect: [
      [34, ["pod-security/run-as-user"]],
      [35, ["pod-security/run-as-user"]],
      ["latest", ["pod-security/run-as-user"]],
    ],
  },
  {
    name: "hostUsers: false with procMount Unmasked (restricted checks it at every version)",
    change: (s) => {
      s.hostUsers = false;
      s.containers![0]!.securityContext!.procMount = "Unmasked";
    },
    expect: [
      [34, ["pod-security/proc-mount"]],
      [35, ["pod-security/proc-mount"]],
      ["latest", ["pod-security/proc-mount"]],
    ],
  },
  {
    name: "SELinux type container_engine_t",
    change: (s) => {
      s.securityContext = { ...s.securityContext, seLinuxOptions: { type: "container_engine_t" } };
    },
    expect: [
      [30, ["pod-security/selinux-options"]],
      [31, []],
      ["latest", []],
    ],
  },
  {
    name: "sysctl net.ipv4.ip_local_reserved_ports",
    change: sysctl("net.ipv4.ip_local_reserved_ports"),
    expect: [
      [26, ["pod-security/sysctls"]],
      [27, []],
    ],
  },
  {
    name: "sysctl net.ipv4.tcp_keepalive_time",
    change: sysctl("net.ipv4.tcp_keepalive_time"),
    expect: [
      [28, ["pod-security/sysctls"]],
      [29, []],
    ],
  },
  {
    name: "sysctl net.ipv4.tcp_rmem",
    change: sysctl("net.ipv4.tcp_rmem"),
    expect: [
      [31, ["pod-security/sysctls"]],
      [32, []],
    ],
  },
  {
    name: "sysctl net.ipv4.tcp_notsent_lowat",
    change: sysctl("net.ipv4.tcp_notsent_lowat"),
    expect: [
      [34, ["pod-security/sysctls"]],
      [36, ["pod-security/sysctls"]],
      [37, []],
      ["latest", []],
    ],
  },
  {
    name: "sysctl kernel.shm_rmid_forced (safe since v1.0)",
    change: sysctl("kernel.shm_rmid_forced"),
    expect: [
      [25, []],
      ["latest", []],
    ],
  },
  {
    name: "sysctl kernel.msgmax (never safe)",
    change: sysctl("kernel.msgmax"),
    expect: [
      [25, ["pod-security/sysctls"]],
      ["latest", ["pod-security/sysctls"]],
    ],
  },
  {
    name: "a readiness probe naming a host",
    change: (s) => {
      s.containers![0]!.readinessProbe = { httpGet: { host: "10.0.0.1", port: 80 } };
    },
    expect: [
      [33, []],
      [34, ["pod-security/host-probes-and-lifecycle"]],
      ["latest", ["pod-security/host-probes-and-lifecycle"]],
    ],
  },
];

for (const c of cases) {
  for (const [version, rules] of c.expect) {
    void test(`${c.name}: ${version === "latest" ? "latest" : `v1.${version}`} → ${rules.join(", ") || "admitted"}`, () => {
      const spec = compliant();
      c.change(spec);
      assert.deepEqual(firing(spec, version === "latest" ? undefined : version), rules);
    });
  }
}

void test("the compliant pod is admitted at every version from v1.25", () => {
  for (let minor = 25; minor <= LATEST_POD_SECURITY_MINOR + 2; minor++) {
    assert.deepEqual(firing(compliant(), minor), [], `v1.${minor}`);
  }
});

const defaultPolicy = () =>
  parse(readFileSync(new URL("../../../policies/default.yaml", import.meta.url), "utf8")) as {
    spec: Record<string, unknown>;
  };

function policyPinned(version: unknown) {
  const doc = defaultPolicy();
  doc.spec.podSecurity = { version };
  return doc;
}

void test("spec.podSecurity.version compiles to the minor version; latest to none", () => {
  assert.equal(compilePolicy(policyPinned("v1.34")).settings.podSecurityVersion, 34);
  assert.equal(compilePolicy(policyPinned("latest")).settings.podSecurityVersion, undefined);
  assert.equal(compilePolicy(defaultPolicy()).settings.podSecurityVersion, undefined);
  assert.equal(podSecurityMinor("v1.40"), 40);
});

void test("a version that is not latest or v1.NN is refused, naming the field", () => {
  for (const bad of ["1.34", "v1.034", "v2.0", "v1.34.1", "", 34]) {
    const err = assertThrowsWithCode(
      () => compilePolicy(policyPinned(bad)),
      "POLICY_INVALID",
      InputError,
    );
    assert.ok(
      err.problems.some((p) => p.path === "spec.podSecurity.version"),
      `${JSON.stringify(bad)}: ${JSON.stringify(err)}`,
    );
  }
});

void test("a version older than v1.25 is refused with the reason", () => {
  const err = assertThrowsWithCode(
    () => compilePolicy(policyPinned("v1.24")),
    "POLICY_INVALID",
    InputError,
  );
  const problems = err.problems;
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.path, "spec.podSecurity.version");
  assert.match(problems[0]!.message, /older than v1\.25/);
});

void test("the engine judges with the policy's pin: a user-namespace root pod is denied at v1.34, admitted at latest", () => {
  const spec = compliant();
  spec.hostUsers = false;
  spec.securityContext = { seccompProfile: { type: "RuntimeDefault" }, runAsUser: 0 };
  const workload = toWorkload({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec });
  const judge = (doc: unknown) => {
    const policy = compilePolicy(doc);
    const decision = judgeWorkload(workload, {
      policy,
      cluster: createClusterState({}),
      now: new Date("2026-06-01T00:00:00Z"),
      only: [compileGlob("pod-security/*")],
    });
    return decision.findings.map((f) => f.rule).sort();
  };
  assert.deepEqual(judge(policyPinned("v1.34")), [
    "pod-security/run-as-non-root",
    "pod-security/run-as-user",
  ]);
  assert.deepEqual(judge(policyPinned("latest")), []);
});
