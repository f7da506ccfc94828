import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { parse } from "yaml";
import { podSecurityRules } from "../../policies/workload/rules/pod-security.ts";
import type { Finding } from "../../policies/workload/rule.ts";
import { contextFor } from "../support/context.ts";

// Upstream's restricted/v1.37 fixtures (kubernetes/pod-security-admission test/testdata), as-is.
const root = new URL("../fixtures/upstream/conformance/psa-restricted/", import.meta.url);

/** Fixture file-name family (upstream check id, lowercased) → the rule that must fire. */
const RULE_FOR_FAMILY: Record<string, string> = {
  allowprivilegeescalation: "pod-security/allow-privilege-escalation",
  apparmorprofile: "pod-security/apparmor-profile",
  capabilities_baseline: "pod-security/capabilities",
  capabilities_restricted: "pod-security/capabilities",
  hostnamespaces: "pod-security/host-namespaces",
  hostpathvolumes: "pod-security/host-path-volumes",
  hostports: "pod-security/host-ports",
  hostprobesandhostlifecycle: "pod-security/host-probes-and-lifecycle",
  privileged: "pod-security/privileged",
  procmount: "pod-security/proc-mount",
  procmount_restricted: "pod-security/proc-mount",
  restrictedvolumes: "pod-security/restricted-volumes",
  runasnonroot: "pod-security/run-as-non-root",
  runasuser: "pod-security/run-as-user",
  seccompprofile_baseline: "pod-security/seccomp-profile",
  seccompprofile_restricted: "pod-security/seccomp-profile",
  selinuxoptions: "pod-security/selinux-options",
  sysctls: "pod-security/sysctls",
  windowshostprocess: "pod-security/windows-host-process",
};

function fixtures(dir: "pass" | "fail"): string[] {
  return readdirSync(new URL(`${dir}/`, root))
    .filter((f) => f.endsWith(".yaml"))
    .sort();
}

function judge(dir: "pass" | "fail", file: string): Finding[] {
  const object: unknown = parse(readFileSync(new URL(`${dir}/${file}`, root), "utf8"));
  const ctx = contextFor(object);
  return podSecurityRules.flatMap((rule) => rule.check(ctx));
}

const passFiles = fixtures("pass");
const failFiles = fixtures("fail");
let checked = 0;

for (const file of passFiles) {
  void test(`pass/${file} is admitted`, () => {
    assert.deepEqual(judge("pass", file), []);
    checked++;
  });
}

for (const file of failFiles) {
  void test(`fail/${file} is denied by its rule`, () => {
    const family = file.replace(/\d*\.yaml$/, "");
    const rule = RULE_FOR_FAMILY[family];
    assert.ok(rule, `no rule mapped for fixture family ${family}`);
    const findings = judge("fail", file);
    assert.ok(
      findings.some((f) => f.rule === rule),
      `expected a ${rule} finding, got ${JSON.stringify(findings, null, 2)}`,
    );
    checked++;
  });
}

void test("every fixture was checked", () => {
  // restricted/v1.37 holds 99 files (76 fail, 23 pass); base.yaml, base_linux.yaml and
  // base_windows.yaml are pass fixtures like the others.
  assert.equal(passFiles.length, 23);
  assert.equal(failFiles.length, 76);
  assert.equal(checked, 99);
});
