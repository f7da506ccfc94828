// The admission webhook against a real kube-apiserver: `mcp-warden serve` runs as its own process,
// registered with the configuration shipped in deploy/webhook.yaml (pointed at 127.0.0.1).
import { deployment, readYaml, registerWebhook, withoutLimits } from "./support/manifests.ts";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { parse } from "yaml";
import { compliantPodSpec } from "../support/policies.ts";
import { issueServingCert, makeTestCA, type ServingCert, type TestCA } from "./support/certs.ts";
import { statusMessage } from "./support/api-errors.ts";
import { k8sMatrix, startCluster, type TestCluster } from "./support/cluster.ts";
import { startWebhookProcess, type WebhookProcess } from "./support/webhook-process.ts";

const root = new URL("../../", import.meta.url);

/** Retries `fn` until it stops throwing, for state that reaches the webhook through a watch. */
async function eventually<T>(fn: () => Promise<T>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return statusMessage(err);
  }
  assert.fail("expected the API server to refuse the request");
}

function pod(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  annotations?: Record<string, string>,
): KubernetesObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { app: name }, ...(annotations ? { annotations } : {}) },
    spec,
  } as KubernetesObject;
}

function isolation(namespace: string): KubernetesObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "isolate", namespace },
    spec: {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      egress: [{ to: [{ ipBlock: { cidr: "10.1.0.0/16" } }] }],
    },
  } as KubernetesObject;
}

// Against every release of the matrix: what the API server sends the webhook and makes of its
// answers (AdmissionReview versions, status codes, warnings) is what changes between releases.
for (const k8s of k8sMatrix()) {
  describe(
    `admission webhook on a real kube-apiserver ${k8s.version}`,
    { skip: k8s.skip, timeout: 300_000 },
    () => {
      let cluster: TestCluster;
      let objects: KubernetesObjectApi;
      let core: CoreV1Api;
      let ca: TestCA;
      let serving: ServingCert;
      let webhook: WebhookProcess;
      let webhookKubeconfig: string;

      const start = () =>
        startWebhookProcess({
          kubeconfig: webhookKubeconfig,
          cert: serving.cert,
          key: serving.key,
          ca: ca.cert,
          port: webhook?.port,
          args: ["--policy-name=default"],
        });

      before(async () => {
        cluster = await startCluster({ binDir: k8s.binDir });
        const kc = cluster.kubeConfig();
        objects = KubernetesObjectApi.makeApiClient(kc);
        core = kc.makeApiClient(CoreV1Api);
        for (const crd of [
          ...readYaml("deploy/crds/mcpwardenpolicies.yaml"),
          ...readYaml("deploy/crds/mcpwardenexceptions.yaml"),
        ]) {
          await objects.create(crd);
        }
        for (const [name, enforce] of [
          ["team-a", true],
          ["team-b", true],
          ["free", false],
          ["mcp-warden-system", false],
        ] as const) {
          await core.createNamespace({
            body: {
              metadata: { name, labels: enforce ? { "mcp-warden.dev/enforce": "true" } : {} },
            },
          });
        }
        // The CRDs must be served before the policy can be created.
        const policy = parse(
          readFileSync(new URL("policies/default.yaml", root), "utf8"),
        ) as KubernetesObject & {
          spec: { rules: Record<string, string> };
        };
        // No image here is in a registry: the registry rules are judged in test/supply-chain/.
        policy.spec.rules["image/signed"] = "off";
        policy.spec.rules["image/evaluated"] = "off";
        policy.spec.rules["rbac/within-declared"] = "off";
        policy.spec.rules["network/within-declared"] = "off";
        await eventually(() => objects.create(policy), 30_000);
        await objects.create(isolation("team-a"));

        // The webhook runs as its ServiceAccount with exactly the RBAC deploy/ grants it.
        for (const object of readYaml("deploy/rbac.yaml")) await objects.create(object);
        webhookKubeconfig = await cluster.kubeconfigFileFor("webhook");
        ca = await makeTestCA();
        serving = await issueServingCert(ca, { ipAddresses: ["127.0.0.1"] });
        webhook = await start();

        await registerWebhook(objects, webhook.url, ca.cert);
        // The API server picks the configuration up through its own informer: wait until it bites.
        const spec = compliantPodSpec();
        (spec.securityContext as Record<string, unknown>).runAsNonRoot = false;
        await eventually(async () => {
          const text = await rejection(
            core.createNamespacedPod({
              namespace: "team-a",
              body: pod("team-a", "probe", spec),
              dryRun: "All",
            }),
          );
          assert.match(text, /mcp-warden denied/);
        }, 30_000);
      });

      after(async () => {
        await webhook?.stop();
        await cluster?.stop();
      });

      test("a compliant Deployment with its NetworkPolicy is admitted", async () => {
        const created = await objects.create(deployment("team-a", "mcp-fetch", compliantPodSpec()));
        assert.equal(created.metadata?.name, "mcp-fetch");
      });

      test("a Pod without runAsNonRoot is denied, with the rule id in the API server's error", async () => {
        const spec = compliantPodSpec();
        delete (spec.securityContext as Record<string, unknown>).runAsNonRoot;
        const text = await rejection(
          core.createNamespacedPod({ namespace: "team-a", body: pod("team-a", "rooty", spec) }),
        );
        assert.match(text, /admission webhook "validate\.mcp-warden\.dev" denied the request/);
        assert.match(
          text,
          /\[pod-security\/run-as-non-root\] spec\.containers\[0\]\.securityContext\.runAsNonRoot/,
        );
      });

      test("a CronJob whose template uses a tag-only image is denied", async () => {
        const spec: Record<string, unknown> = { ...compliantPodSpec(), restartPolicy: "OnFailure" };
        (spec.containers as Record<string, unknown>[])[0]!.image = "ghcr.io/acme/mcp-indexer:1.2";
        const cronJob = {
          apiVersion: "batch/v1",
          kind: "CronJob",
          metadata: { name: "indexer", namespace: "team-a" },
          spec: {
            schedule: "0 * * * *",
            jobTemplate: { spec: { template: { metadata: { labels: { app: "indexer" } }, spec } } },
          },
        } as KubernetesObject;
        const text = await rejection(objects.create(cronJob));
        assert.match(
          text,
          /\[image\/digest-pinned\] spec\.jobTemplate\.spec\.template\.spec\.containers\[0\]\.image/,
        );
      });

      test("a password in a ConfigMap the workload loads is denied once the webhook's watch has it", async () => {
        // Built here, so no secret-looking literal sits in the repository.
        const password = Buffer.from("team-a settings").toString("base64url");
        await core.createNamespacedConfigMap({
          namespace: "team-a",
          body: {
            metadata: { name: "crm-settings" },
            data: { LOG_LEVEL: "debug", DATABASE_URL: `postgres://crm:${password}@db:5432/crm` },
          },
        });
        const spec = compliantPodSpec() as { containers: Record<string, unknown>[] };
        spec.containers[0]!.envFrom = [{ configMapRef: { name: "crm-settings" } }];
        const body = deployment("team-a", "crm", spec);
        // The webhook sees the ConfigMap through its watch: poll until it has.
        const text = await eventually(async () => {
          const t = await rejection(objects.create(body, undefined, "All"));
          assert.match(t, /credentials\/no-literal-secrets/);
          return t;
        }, 30_000);
        assert.match(
          text,
          /\[credentials\/no-literal-secrets\] spec\.template\.spec\.containers\[0\]\.envFrom\[0\]\.configMapRef: .*key "DATABASE_URL" of ConfigMap "crm-settings"/,
        );
        assert.ok(!text.includes(password), "the password is not repeated");
        // The same ConfigMap without the password admits the workload.
        await core.replaceNamespacedConfigMap({
          name: "crm-settings",
          namespace: "team-a",
          body: { metadata: { name: "crm-settings" }, data: { LOG_LEVEL: "debug" } },
        });
        const created = await eventually(() => objects.create(body), 30_000);
        assert.equal(created.metadata?.name, "crm");
      });

      test("an ephemeral container added through the subresource is judged", async () => {
        await core.createNamespacedPod({
          namespace: "team-a",
          body: pod("team-a", "debuggable", compliantPodSpec()),
        });
        const current = await core.readNamespacedPod({ name: "debuggable", namespace: "team-a" });
        const privileged = {
          ...current,
          spec: {
            ...current.spec!,
            ephemeralContainers: [
              { name: "debug", image: "busybox:1.36", securityContext: { privileged: true } },
            ],
          },
        };
        const text = await rejection(
          core.replaceNamespacedPodEphemeralcontainers({
            name: "debuggable",
            namespace: "team-a",
            body: privileged,
          }),
        );
        assert.match(
          text,
          /\[pod-security\/privileged\] spec\.ephemeralContainers\[0\]\.securityContext\.privileged/,
        );
        const [c] = compliantPodSpec().containers as Record<string, unknown>[];
        const compliant = {
          ...current,
          spec: {
            ...current.spec!,
            ephemeralContainers: [
              {
                name: "debug",
                image: c!.image as string,
                securityContext: c!.securityContext as object,
              },
            ],
          },
        };
        const updated = await core.replaceNamespacedPodEphemeralcontainers({
          name: "debuggable",
          namespace: "team-a",
          body: compliant,
        });
        assert.equal(updated.spec?.ephemeralContainers?.[0]?.name, "debug");
      });

      test("an exception granted from mcp-warden-system is honoured; a self-granted one is refused", async () => {
        const exception = (namespace: string, covers: string) =>
          ({
            apiVersion: "mcp-warden.dev/v1alpha1",
            kind: "MCPWardenException",
            metadata: { name: "no-limits", namespace },
            spec: {
              rules: ["sandbox/resource-limits"],
              namespaces: [covers],
              reason: "batch sizing under review",
              expires: "2099-01-01T00:00:00Z",
            },
          }) as KubernetesObject;
        await objects.create(exception("mcp-warden-system", "team-a"));
        const annotations = { "mcp-warden.dev/exception": "no-limits" };
        const created = await eventually(() =>
          objects.create(deployment("team-a", "granted", withoutLimits(), annotations)),
        );
        assert.equal(created.metadata?.name, "granted");

        await objects.create(isolation("team-b"));
        const own = {
          ...exception("team-b", "team-b"),
          metadata: { name: "own", namespace: "team-b" },
        };
        await objects.create(own);
        await new Promise((r) => setTimeout(r, 1000));
        const text = await rejection(
          objects.create(
            deployment("team-b", "self-granted", withoutLimits(), {
              "mcp-warden.dev/exception": "own",
            }),
          ),
        );
        assert.match(
          text,
          /\[exception\/invalid\] spec\.template\.metadata\.annotations\["mcp-warden\.dev\/exception"\]: exception own does not exist: exceptions are honoured only from mcp-warden-system/,
        );
        assert.match(text, /\[sandbox\/resource-limits\]/);
      });

      describe("RBAC of the pod's ServiceAccount", () => {
        const GROUP = "rbac.authorization.k8s.io";
        const clusterRole = (name: string, rule: Record<string, unknown>) =>
          ({
            apiVersion: `${GROUP}/v1`,
            kind: "ClusterRole",
            metadata: { name },
            rules: [rule],
          }) as KubernetesObject;
        const binding = (
          kind: "RoleBinding" | "ClusterRoleBinding",
          name: string,
          role: string,
          subject: Record<string, unknown>,
          namespace = "team-c",
        ) =>
          ({
            apiVersion: `${GROUP}/v1`,
            kind,
            metadata: { name, ...(kind === "RoleBinding" ? { namespace } : {}) },
            roleRef: { apiGroup: GROUP, kind: "ClusterRole", name: role },
            subjects: [subject],
          }) as KubernetesObject;
        const mcp = { kind: "ServiceAccount", name: "mcp", namespace: "team-c" };

        before(async () => {
          await core.createNamespace({
            body: { metadata: { name: "team-c", labels: { "mcp-warden.dev/enforce": "true" } } },
          });
          await objects.create(isolation("team-c"));
          await core.createNamespacedServiceAccount({
            namespace: "team-c",
            body: { metadata: { name: "mcp" } },
          });
          await objects.create(
            clusterRole("secret-reader", {
              apiGroups: [""],
              resources: ["secrets"],
              verbs: ["list"],
            }),
          );
          await objects.create(
            clusterRole("pod-exec", {
              apiGroups: [""],
              resources: ["pods/exec"],
              verbs: ["create"],
            }),
          );
          await objects.create(
            clusterRole("config-reader", {
              apiGroups: [""],
              resources: ["configmaps"],
              verbs: ["get"],
            }),
          );
        });

        test("a binding that grants Secrets to the ServiceAccounts' groups is denied, naming the group and the namespaces it reaches", async () => {
          const teamGroup = {
            kind: "Group",
            apiGroup: GROUP,
            name: "system:serviceaccounts:team-c",
          };
          const one = await rejection(
            objects.create(
              binding("ClusterRoleBinding", "team-c-secrets", "secret-reader", teamGroup),
            ),
          );
          assert.match(one, /admission webhook "bindings\.mcp-warden\.dev" denied the request/);
          assert.match(
            one,
            /\[rbac\/no-secret-read\] subjects\[0\]: Group system:serviceaccounts:team-c \(every ServiceAccount of namespace team-c\) may list secrets cluster-wide through ClusterRoleBinding team-c-secrets/,
          );
          const all = await rejection(
            objects.create(
              binding("RoleBinding", "all-secrets", "secret-reader", {
                kind: "Group",
                apiGroup: GROUP,
                name: "system:serviceaccounts",
              }),
            ),
          );
          // every judged namespace, and none that is not judged
          const reached =
            /Group system:serviceaccounts \(every ServiceAccount of namespaces ([^)]*)\) may list secrets in namespace team-c/.exec(
              all,
            );
          assert.ok(reached?.[1], all);
          const namespaces = reached[1].split(", ");
          for (const ns of ["team-a", "team-b", "team-c"]) assert.ok(namespaces.includes(ns), all);
          for (const ns of ["free", "kube-system", "mcp-warden-system"])
            assert.ok(!namespaces.includes(ns), all);
          // the group of a namespace that is not judged is not mcp-warden's to refuse
          const free = await objects.create(
            binding("ClusterRoleBinding", "free-secrets", "secret-reader", {
              ...teamGroup,
              name: "system:serviceaccounts:free",
            }),
          );
          assert.equal(free.metadata?.name, "free-secrets");
        });

        test("a pod whose ServiceAccount reads Secrets through its namespace's group is denied, naming the binding", async () => {
          // A RoleBinding in a namespace that did not opt in never reaches the webhook (the
          // configuration's namespaceSelector); the grant it makes is judged when pods are admitted.
          await objects.create(
            binding(
              "RoleBinding",
              "team-c-secrets",
              "secret-reader",
              { kind: "Group", apiGroup: GROUP, name: "system:serviceaccounts:team-c" },
              "free",
            ),
          );
          const spec = { ...compliantPodSpec(), serviceAccountName: "mcp" };
          const text = await eventually(() =>
            rejection(
              core.createNamespacedPod({
                namespace: "team-c",
                body: pod("team-c", "reader", spec),
                dryRun: "All",
              }),
            ).then((t) => {
              assert.match(t, /rbac\/no-secret-read/);
              return t;
            }),
          );
          assert.match(
            text,
            /\[rbac\/no-secret-read\] spec\.serviceAccountName: ServiceAccount team-c\/mcp may list secrets in namespace free through RoleBinding free\/team-c-secrets \(subject Group system:serviceaccounts:team-c\) → ClusterRole secret-reader rules\[0\]/,
          );
          // a pod of another namespace is not granted anything by it
          const other = await objects.create(
            deployment("team-a", "not-granted", {
              ...compliantPodSpec(),
              serviceAccountName: "mcp",
            }),
          );
          assert.equal(other.metadata?.name, "not-granted");
        });

        test("creating a binding that grants a judged ServiceAccount exec or cluster-admin is denied", async () => {
          const exec = await rejection(
            objects.create(binding("RoleBinding", "exec", "pod-exec", mcp)),
          );
          assert.match(exec, /admission webhook "bindings\.mcp-warden\.dev" denied the request/);
          assert.match(
            exec,
            /mcp-warden denied RoleBinding team-c\/exec: \[rbac\/no-pod-exec\] subjects\[0\]/,
          );
          const admin = await rejection(
            objects.create(binding("ClusterRoleBinding", "mcp-admin", "cluster-admin", mcp)),
          );
          assert.match(
            admin,
            /\[rbac\/no-broad-roles\] subjects\[0\]: ServiceAccount team-c\/mcp is bound to ClusterRole cluster-admin cluster-wide/,
          );
          // a harmless binding, and one for a ServiceAccount of a namespace not judged, are admitted
          const harmless = await objects.create(
            binding("RoleBinding", "config", "config-reader", mcp),
          );
          assert.equal(harmless.metadata?.name, "config");
          const free = await objects.create(
            binding("ClusterRoleBinding", "free-exec", "pod-exec", { ...mcp, namespace: "free" }),
          );
          assert.equal(free.metadata?.name, "free-exec");
        });
      });

      test("a namespace without the opt-in label is not judged", async () => {
        const spec = compliantPodSpec();
        (spec.securityContext as Record<string, unknown>).runAsNonRoot = false;
        const created = await core.createNamespacedPod({
          namespace: "free",
          body: pod("free", "anything", spec),
        });
        assert.equal(created.metadata?.name, "anything");
      });

      test("fail closed: with the webhook stopped creation fails, after restart it succeeds", async () => {
        await webhook.stop();
        const body = pod("team-a", "while-down", compliantPodSpec());
        const text = await rejection(core.createNamespacedPod({ namespace: "team-a", body }));
        assert.match(text, /failed calling webhook "validate\.mcp-warden\.dev"/);
        webhook = await start();
        const created = await eventually(() =>
          core.createNamespacedPod({ namespace: "team-a", body }),
        );
        assert.equal(created.metadata?.name, "while-down");
      });

      test("the whole of deploy/ applies to the API server (server-side dry run)", async () => {
        const files = [
          "namespace.yaml",
          "crds/mcpwardenpolicies.yaml",
          "crds/mcpwardenexceptions.yaml",
          "crds/mcpwardenaccess.yaml",
          "rbac.yaml",
          "policy.yaml",
          "deployment.yaml",
          "webhook.yaml",
        ];
        const kustomization = parse(
          readFileSync(new URL("deploy/kustomization.yaml", root), "utf8"),
        ) as { resources: string[] };
        assert.deepEqual(kustomization.resources, files);
        for (const file of files) {
          for (const shipped of readYaml(`deploy/${file}`)) {
            // The test's own configuration (url, not service) already holds the shipped name.
            const object =
              shipped.kind === "ValidatingWebhookConfiguration"
                ? { ...shipped, metadata: { ...shipped.metadata, name: "mcp-warden-shipped" } }
                : shipped;
            const applied = await objects
              .patch(
                object,
                undefined,
                "All",
                "mcp-warden-e2e",
                true,
                PatchStrategy.ServerSideApply,
              )
              .catch((err: unknown) =>
                assert.fail(`${file} ${object.kind}: ${statusMessage(err)}`),
              );
            assert.equal(applied.kind, object.kind, `${file}: ${object.kind}`);
          }
        }
      });

      test("the webhook logged one decision line per request, with the fields operators need", async () => {
        // The log is written in batches: wait for an allowed pod's line.
        const logs = await webhook.waitForLog(/"kind":"Pod"[^\n]*"decision":"allowed"/);
        const lines = logs
          .split("\n")
          .filter((l) => l.includes('"admission decision"'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        assert.ok(lines.length > 0);
        const allowed = lines.find((l) => l.decision === "allowed" && l.kind === "Pod");
        assert.ok(allowed, "an allowed pod was logged");
        for (const key of [
          "uid",
          "user",
          "namespace",
          "kind",
          "name",
          "images",
          "rules",
          "exceptionsUsed",
          "latencyMs",
        ]) {
          assert.ok(key in allowed, key);
        }
        assert.equal(allowed.user, "admin");
      });
    },
  );
}
