/**
 * deploy/make-certs.sh, TLS without cert-manager, run as the README says (after the kustomize base
 * is applied) with the real kubectl against a real API server.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { CoreV1Api, KubernetesObjectApi } from "@kubernetes/client-node";
import { ROOT } from "../support/cli.ts";
import {
  k8sBinDir,
  SKIP_NO_BINARIES,
  startCluster,
  type TestCluster,
} from "../e2e/support/cluster.ts";
import { readYaml } from "../e2e/support/manifests.ts";

const run = promisify(execFile);
const binDir = k8sBinDir();
const KUBECTL = "/usr/bin/kubectl";
const skip = !binDir
  ? SKIP_NO_BINARIES
  : !existsSync(KUBECTL)
    ? `make-certs.sh test skipped: ${KUBECTL} is missing (apt-get install kubectl)`
    : false;

describe("deploy/make-certs.sh", { skip, timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let objects: KubernetesObjectApi;
  let core: CoreV1Api;
  before(async () => {
    cluster = await startCluster({ binDir });
    const kc = cluster.kubeConfig();
    objects = KubernetesObjectApi.makeApiClient(kc);
    core = kc.makeApiClient(CoreV1Api);
    for (const o of [...readYaml("deploy/namespace.yaml"), ...readYaml("deploy/webhook.yaml")])
      await objects.create(o);
  });
  after(async () => {
    await cluster?.stop();
  });

  test("stores a serving certificate for the Service and gives both webhooks the CA that signed it", async () => {
    const home = await mkdtemp(join(tmpdir(), "mcp-warden-make-certs-"));
    await run("bash", ["deploy/make-certs.sh"], {
      cwd: ROOT,
      timeout: 120_000,
      // kubectl keeps its discovery cache under HOME: a temporary one.
      env: { PATH: process.env.PATH ?? "", KUBECONFIG: cluster.kubeconfigPath, HOME: home },
    });
    const secret = await core.readNamespacedSecret({
      name: "mcp-warden-tls",
      namespace: "mcp-warden-system",
    });
    assert.equal(secret.type, "kubernetes.io/tls");
    const serving = new X509Certificate(Buffer.from(secret.data!["tls.crt"]!, "base64"));

    const vwc = (await objects.read({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "mcp-warden" },
    })) as unknown as { webhooks: { name: string; clientConfig: { caBundle?: string } }[] };
    assert.deepEqual(
      vwc.webhooks.map((w) => w.name),
      ["validate.mcp-warden.dev", "bindings.mcp-warden.dev"],
    );
    for (const w of vwc.webhooks) {
      assert.ok(w.clientConfig.caBundle, `${w.name} has a caBundle`);
      const ca = new X509Certificate(Buffer.from(w.clientConfig.caBundle, "base64"));
      assert.ok(serving.verify(ca.publicKey), `${w.name}: the CA signed the serving certificate`);
    }
    for (const host of [
      "mcp-warden.mcp-warden-system.svc",
      "mcp-warden.mcp-warden-system.svc.cluster.local",
    ])
      assert.equal(serving.checkHost(host), host);
  });
});
