/**
 * The Helm chart deploy/helm/mcp-warden, through the real helm: it lints, renders the kustomize
 * base's objects for each of its options, the real API server accepts every rendered object
 * (server-side dry-run), and the webhook it deploys passes mcp-warden's own policy.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { runCli } from "../support/cli.ts";
import {
  helm,
  helmBinDir,
  parseObjects,
  renderChart,
  RELEASE_NAMESPACE,
  SKIP_NO_HELM,
  type RenderedObject,
} from "../support/helm.ts";
import {
  k8sBinDir,
  SKIP_NO_BINARIES,
  startCluster,
  type TestCluster,
} from "../e2e/support/cluster.ts";
import { makeTestCA } from "../e2e/support/certs.ts";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const readObjects = (path: string) => parseObjects(read(path));

/** What `kubectl apply -k deploy/` applies, CRDs included. */
function kustomizeBase(): RenderedObject[] {
  const { resources } = parseAllDocuments(read("deploy/kustomization.yaml"))[0]!.toJS() as {
    resources: string[];
  };
  return resources.flatMap((r) => readObjects(`deploy/${r}`));
}

const key = (o: { kind: string; metadata: { name: string; namespace?: string } }) =>
  `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/**
 * An object as compared with the kustomize base: without the labels Helm charts put on every
 * object (`app.kubernetes.io/*`, `helm.sh/chart`), which say who manages it and change nothing it
 * does; selectors and pod labels are compared in full.
 */
function comparable(o: RenderedObject): RenderedObject {
  const copy = structuredClone(o);
  const labels = Object.fromEntries(
    Object.entries(copy.metadata.labels ?? {}).filter(
      ([k]) => !k.startsWith("app.kubernetes.io/") && !k.startsWith("helm.sh/"),
    ),
  );
  if (Object.keys(labels).length > 0) copy.metadata.labels = labels;
  else delete copy.metadata.labels;
  return copy;
}

function byKey(objects: readonly RenderedObject[]): Map<string, RenderedObject> {
  const map = new Map<string, RenderedObject>();
  for (const o of objects) {
    assert.ok(!map.has(key(o)), `${key(o)} twice`);
    map.set(key(o), comparable(o));
  }
  return map;
}

/** The rendered objects equal `expected`, object for object. */
function assertSameObjects(rendered: RenderedObject[], expected: RenderedObject[]): void {
  const got = byKey(rendered);
  const want = byKey(expected);
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [k, o] of want) assert.deepEqual(got.get(k), o, k);
}

function find(objects: RenderedObject[], kind: string, name = "mcp-warden"): RenderedObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind} ${name} is rendered`);
  return o;
}

interface WebhookConfig {
  webhooks: { clientConfig: { caBundle?: string } }[];
}
interface DeploymentShape {
  spec: {
    replicas: number;
    template: {
      spec: {
        containers: { image: string; args: string[]; resources: unknown }[];
        volumes: { name: string; secret?: { secretName: string } }[];
      };
    };
  };
}
const deploymentOf = (objects: RenderedObject[]) =>
  find(objects, "Deployment") as unknown as DeploymentShape;

/** The base's ValidatingWebhookConfiguration without its cert-manager annotation. */
function withoutCaInjection(objects: RenderedObject[]): RenderedObject[] {
  return objects.map((o) => {
    if (o.kind !== "ValidatingWebhookConfiguration") return o;
    const copy = structuredClone(o);
    delete copy.metadata.annotations;
    return copy;
  });
}

/** The base with components/pull-secrets: its RBAC, and its patch removing --no-pull-secrets. */
function withPullSecrets(objects: RenderedObject[]): RenderedObject[] {
  const patched = objects.map((o) => {
    if (o.kind !== "Deployment") return o;
    const copy = structuredClone(o) as unknown as DeploymentShape;
    const args = copy.spec.template.spec.containers[0]!.args;
    assert.equal(args[6], "--no-pull-secrets", "the component's `test` op");
    args.splice(6, 1);
    return copy as unknown as RenderedObject;
  });
  return [...patched, ...readObjects("deploy/components/pull-secrets/rbac.yaml")];
}

describe("the Helm chart", { skip: SKIP_NO_HELM, timeout: 300_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mcp-warden-helm-"));
  });

  const OPTION_SETS: Record<string, string[]> = {
    defaults: [],
    "cert-manager": ["tls.certManager.enabled=true"],
    "existing Secret": ["tls.secretName=webhook-serving", "tls.caBundle=Y2E="],
    "pull secrets": ["pullSecrets.enabled=true"],
    "exception namespaces": ["exceptionNamespaces={security-exceptions,platform}"],
    "replicas and resources": [
      "replicas=3",
      "resources.limits.memory=384Mi",
      "resources.requests.cpu=250m",
    ],
    policy: ["policy.network.internetEgress=allow", "policy.rules.image/signed=warn"],
    "namespace rendered": ["namespace.create=true"],
  };

  test("helm lint --strict passes with the default values and with each option set", async () => {
    for (const [name, set] of Object.entries(OPTION_SETS)) {
      const r = await helm(["lint", ".", "--strict", ...set.flatMap((s) => ["--set", s])]);
      assert.equal(r.code, 0, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  test("the default values render the kustomize base's objects, CRDs included (and the Namespace when asked)", async () => {
    // helm install needs the namespace before the release; `helm template` users may render it.
    assert.ok(!(await renderChart()).objects.some((o) => o.kind === "Namespace"));
    const { objects } = await renderChart(["namespace.create=true"], ["--include-crds"]);
    // The one difference: without cert-manager nothing would inject a CA, so there is no
    // cert-manager annotation (the base carries it for deploy/cert-manager).
    assertSameObjects(objects, withoutCaInjection(kustomizeBase()));
    const crds = objects.filter((o) => o.kind === "CustomResourceDefinition");
    assert.deepEqual(crds.map((o) => o.metadata.name).sort(), [
      "mcpwardenaccesses.mcp-warden.dev",
      "mcpwardenexceptions.mcp-warden.dev",
      "mcpwardenpolicies.mcp-warden.dev",
    ]);
    assert.equal(
      find(objects, "Deployment").metadata.labels?.["app.kubernetes.io/name"],
      "mcp-warden",
    );
  });

  test("tls.certManager.enabled renders deploy/cert-manager: Issuer, Certificate, CA injection", async () => {
    const { objects } = await renderChart([
      "tls.certManager.enabled=true",
      "namespace.create=true",
    ]);
    assertSameObjects(objects, [
      ...kustomizeBase().filter((o) => o.kind !== "CustomResourceDefinition"),
      ...readObjects("deploy/cert-manager/certificate.yaml"),
    ]);
  });

  test("pullSecrets.enabled renders components/pull-secrets: its RBAC, and pull secrets read", async () => {
    const { objects } = await renderChart(["pullSecrets.enabled=true", "namespace.create=true"]);
    assertSameObjects(
      objects,
      withPullSecrets(withoutCaInjection(kustomizeBase())).filter(
        (o) => o.kind !== "CustomResourceDefinition",
      ),
    );
  });

  test("tls.secretName and tls.caBundle: the webhook serves the existing Secret, the API server trusts the CA", async () => {
    const { objects } = await renderChart(OPTION_SETS["existing Secret"]);
    const volumes = deploymentOf(objects).spec.template.spec.volumes;
    assert.deepEqual(volumes.find((v) => v.name === "tls")?.secret, {
      secretName: "webhook-serving",
    });
    const vwc = find(objects, "ValidatingWebhookConfiguration") as unknown as WebhookConfig;
    assert.deepEqual(
      vwc.webhooks.map((w) => w.clientConfig.caBundle),
      ["Y2E=", "Y2E="],
    );
    assert.equal(find(objects, "ValidatingWebhookConfiguration").metadata.annotations, undefined);
    assert.ok(!objects.some((o) => o.kind === "Certificate"));

    const managed = await renderChart([
      "tls.certManager.enabled=true",
      "tls.secretName=webhook-serving",
    ]);
    const cert = find(managed.objects, "Certificate") as unknown as {
      spec: { secretName: string };
    };
    assert.equal(cert.spec.secretName, "webhook-serving");
  });

  test("exceptionNamespaces: the policy honours exceptions there, and the webhook reads them only there", async () => {
    const { objects } = await renderChart(OPTION_SETS["exception namespaces"]);
    const policy = find(objects, "MCPWardenPolicy", "default") as unknown as {
      spec: { exceptions: { namespaces: string[]; exemptible: string[] } };
    };
    assert.deepEqual(policy.spec.exceptions.namespaces, ["security-exceptions", "platform"]);
    assert.deepEqual(policy.spec.exceptions.exemptible, [
      "pod-security/*",
      "sandbox/*",
      "network/*",
      "credentials/*",
    ]);
    assert.deepEqual(
      objects
        .filter((o) => o.kind === "Role" || o.kind === "RoleBinding")
        .map(key)
        .sort(),
      [
        "Role platform/mcp-warden-exceptions",
        "Role security-exceptions/mcp-warden-exceptions",
        "RoleBinding platform/mcp-warden-exceptions",
        "RoleBinding security-exceptions/mcp-warden-exceptions",
      ],
    );
  });

  test("replicas, resources, image, policy and namespace.create are what the values say", async () => {
    const sized = deploymentOf((await renderChart(OPTION_SETS["replicas and resources"])).objects);
    assert.equal(sized.spec.replicas, 3);
    assert.deepEqual(sized.spec.template.spec.containers[0]!.resources, {
      requests: { cpu: "250m", memory: "128Mi" },
      limits: { cpu: "1", memory: "384Mi" },
    });

    const digest = `sha256:${"ab".repeat(32)}`;
    const imaged = deploymentOf(
      (
        await renderChart([
          "image.repository=registry.example/mcp-warden",
          "image.tag=",
          `image.digest=${digest}`,
        ])
      ).objects,
    );
    assert.equal(
      imaged.spec.template.spec.containers[0]!.image,
      `registry.example/mcp-warden@${digest}`,
    );

    const policy = find(
      (await renderChart(OPTION_SETS.policy)).objects,
      "MCPWardenPolicy",
      "default",
    ) as unknown as {
      spec: { network: unknown; rules: Record<string, string> };
    };
    assert.deepEqual(policy.spec.network, { internetEgress: "allow" });
    assert.equal(policy.spec.rules["image/signed"], "warn");
    assert.equal(policy.spec.rules["*"], "enforce");

    const namespace = find(
      (await renderChart(["namespace.create=true"])).objects,
      "Namespace",
      RELEASE_NAMESPACE,
    );
    assert.equal(namespace.metadata.labels?.["pod-security.kubernetes.io/enforce"], "restricted");
  });

  test("an image not pinned by digest is refused when rendering", async () => {
    for (const digest of ["", "sha256:abc", "latest", `sha256:${"AB".repeat(32)}`]) {
      const r = await helm(["template", "mcp-warden", ".", "--set", `image.digest=${digest}`]);
      assert.notEqual(r.code, 0, digest);
      assert.match(r.stderr, /image[./]digest/, digest);
    }
  });

  test("values.schema.json refuses misspelt options and wrong types, naming them", async () => {
    const refused: [string, RegExp][] = [
      ["tls.certmanager.enabled=true", /'\/tls': additional properties 'certmanager' not allowed/],
      ["pullSecret.enabled=true", /additional properties 'pullSecret' not allowed/],
      ["replicas=two", /'\/replicas': got string, want integer/],
      ["replicas=0", /'\/replicas'/],
      ["resources.limits.memory=null", /'\/resources\/limits'/],
      ["exceptionNamespaces={Team_A}", /'\/exceptionNamespaces\/0'/],
      ["pullSecrets.enabled=yes", /'\/pullSecrets\/enabled': got string, want boolean/],
    ];
    for (const [set, message] of refused) {
      const r = await helm(["lint", ".", "--strict", "--set", set]);
      assert.notEqual(r.code, 0, set);
      assert.match(`${r.stdout}${r.stderr}`, message, set);
    }
  });

  test("the chart's webhook passes mcp-warden's own policy, and reading pull secrets is reported", async () => {
    const { yaml, objects } = await renderChart();
    const rendered = join(dir, "rendered.yaml");
    await writeFile(rendered, yaml);
    // The chart's own MCPWardenPolicy as the policy, and the project's default policy.
    const chartPolicy = join(dir, "chart-policy.yaml");
    await writeFile(chartPolicy, JSON.stringify(find(objects, "MCPWardenPolicy", "default")));
    for (const policy of ["policies/default.yaml", chartPolicy]) {
      const r = await runCli(["check", rendered, "--policy", policy, "--format", "json"]);
      assert.equal(r.code, 0, `${policy}: ${r.stdout}${r.stderr}`);
      const { results } = JSON.parse(r.stdout) as {
        results: { kind: string; name: string; allowed: boolean; findings: unknown[] }[];
      };
      assert.deepEqual(
        results.map((x) => [x.kind, x.name, x.allowed, x.findings.length]),
        [["Deployment", "mcp-warden", true, 0]],
      );
    }

    const withSecrets = join(dir, "pull-secrets.yaml");
    await writeFile(withSecrets, (await renderChart(["pullSecrets.enabled=true"])).yaml);
    const r = await runCli(["check", withSecrets, "--format", "json"]);
    assert.equal(r.code, 1, r.stdout);
    const { results } = JSON.parse(r.stdout) as {
      results: { findings: { rule: string; related: { kind: string; name: string }[] }[] }[];
    };
    assert.deepEqual(
      results[0]!.findings.map((f) => [f.rule, f.related[0]!.kind, f.related[0]!.name]),
      [["rbac/no-secret-read", "ClusterRoleBinding", "mcp-warden-pull-secrets"]],
    );
  });

  const binDir = k8sBinDir();
  describe("against the real API server", { skip: binDir ? false : SKIP_NO_BINARIES }, () => {
    let cluster: TestCluster;
    let objects: KubernetesObjectApi;
    before(async () => {
      cluster = await startCluster({ binDir });
      const kc = cluster.kubeConfig();
      objects = KubernetesObjectApi.makeApiClient(kc);
      // cert-manager's CRDs, for the chart's Certificate and Issuer; mcp-warden's come from the
      // chart's crds/, installed by `helm install` in the first test.
      const certManager = join(helmBinDir()!, "cert-manager-crds");
      for (const file of ["cert-manager.io_certificates.yaml", "cert-manager.io_issuers.yaml"])
        for (const crd of parseObjects(readFileSync(join(certManager, file), "utf8")))
          await objects.create(crd);
      // Namespaced objects are only dry-run into namespaces that exist.
      const core = kc.makeApiClient(CoreV1Api);
      for (const name of [RELEASE_NAMESPACE, "security-exceptions", "platform"])
        await core.createNamespace({ body: { metadata: { name } } });
    });
    after(async () => {
      await cluster?.stop();
    });

    /** Server-side apply with dryRun=All: the API server validates and admits, and keeps nothing. */
    async function dryRun(o: RenderedObject): Promise<KubernetesObject> {
      return objects.patch(
        o,
        undefined,
        "All",
        "mcp-warden-chart-test",
        true,
        PatchStrategy.ServerSideApply,
      );
    }

    /** Retries while a CRD just created is not served yet. */
    async function served(o: RenderedObject): Promise<KubernetesObject> {
      for (let attempt = 0; ; attempt++) {
        try {
          return await dryRun(o);
        } catch (e) {
          if (attempt >= 100 || !/404|not found|no matches/i.test(String(e))) throw e;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }

    test("helm install puts the CRDs from crds/ and every object into the cluster; uninstall removes the webhook", async () => {
      const namespace = "mcp-warden-helm";
      const args = ["--namespace", namespace, "--kubeconfig", cluster.kubeconfigPath];
      // As the README says: the namespace first, labelled for the restricted profile.
      await cluster
        .kubeConfig()
        .makeApiClient(CoreV1Api)
        .createNamespace({
          body: {
            metadata: {
              name: namespace,
              labels: { "pod-security.kubernetes.io/enforce": "restricted" },
            },
          },
        });
      const install = await helm(["install", "mcp-warden", ".", ...args]);
      assert.equal(install.code, 0, `${install.stdout}${install.stderr}`);
      try {
        assert.match(install.stdout, /STATUS: deployed/);
        const rendered = (
          await helm(["template", "mcp-warden", ".", "--namespace", namespace, "--include-crds"])
        ).stdout;
        const expected = parseObjects(rendered);
        assert.equal(expected.filter((o) => o.kind === "CustomResourceDefinition").length, 3);
        for (const o of expected) {
          const live = await objects.read(o);
          assert.equal(live.metadata?.name, o.metadata.name, key(o));
        }
        const policy = await objects.read({
          apiVersion: "mcp-warden.dev/v1alpha1",
          kind: "MCPWardenPolicy",
          metadata: { name: "default" },
        });
        assert.deepEqual(
          (policy as unknown as { spec: unknown }).spec,
          find(expected, "MCPWardenPolicy", "default").spec,
        );
      } finally {
        // The webhook has no pod to answer here: left in place it would deny, fail-closed, the
        // ClusterRoleBindings the next test dry-runs.
        const uninstall = await helm(["uninstall", "mcp-warden", ...args]);
        assert.equal(uninstall.code, 0, uninstall.stderr);
      }
      await assert.rejects(
        objects.read({
          apiVersion: "admissionregistration.k8s.io/v1",
          kind: "ValidatingWebhookConfiguration",
          metadata: { name: "mcp-warden" },
        }),
        /HTTP-Code: 404/,
      );
    });

    test("every object of every option set is accepted by server-side dry-run", async () => {
      const ca = await makeTestCA();
      const sets = {
        ...OPTION_SETS,
        "existing Secret": [
          "tls.secretName=webhook-serving",
          `tls.caBundle=${Buffer.from(ca.cert).toString("base64")}`,
        ],
        "every option": [
          "tls.certManager.enabled=true",
          "pullSecrets.enabled=true",
          "exceptionNamespaces={security-exceptions,platform}",
          "replicas=3",
          "policy.network.internetEgress=allow",
        ],
      };
      for (const [name, set] of Object.entries(sets)) {
        const rendered = (await renderChart(set)).objects;
        assert.ok(rendered.length >= 11, `${name}: ${rendered.length} objects`);
        for (const o of rendered) {
          const answer = await served(o).catch((e: unknown) => {
            assert.fail(`${name}: ${key(o)} rejected: ${String(e)}\n${cluster.logs()}`);
          });
          assert.equal(answer.kind, o.kind, `${name}: ${key(o)}`);
          assert.equal(answer.metadata?.name, o.metadata.name, `${name}: ${key(o)}`);
        }
      }
    });

    test("the API server refuses what the CRD schema forbids: a policy with an unknown action", async () => {
      const { objects: rendered } = await renderChart(["policy.rules.image/signed=block"]);
      await assert.rejects(served(find(rendered, "MCPWardenPolicy", "default")), (e) => {
        // A 422 naming the field and the values the CRD's enum allows.
        assert.match(String(e), /HTTP-Code: 422/);
        assert.match(String(e), /FieldValueNotSupported/);
        assert.match(String(e), /spec\.rules\.image\/signed/);
        return true;
      });
    });
  });
});
