// image/signed and image/evaluated at admission, end to end: a real kube-apiserver calls
// `mcp-warden serve` (as its ServiceAccount, with deploy/rbac.yaml and the pull-secrets component's RBAC), which looks the pod's image up
// in a real registry behind Basic auth, with the credentials of the pod's imagePullSecrets. The
// approved image is a runnable image of a published server that the Action evaluated at L3 (its
// inventory read, its entrypoint run) and signed: what the default policy's minTrustLevel asks.
import { readYaml, registerWebhook } from "./support/manifests.ts";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, KubernetesObjectApi, type KubernetesObject } from "@kubernetes/client-node";
import { parse } from "yaml";
import { chooseImageRuntime } from "../../supply-chain/mcp/image-runtime.ts";
import { RegistryClient } from "../../supply-chain/registry/client.ts";
import { staticCredentials } from "../../supply-chain/registry/credentials.ts";
import { compliantPodSpec, denyAll } from "../support/policies.ts";
import {
  SKIP_NO_REGISTRY,
  startRegistry,
  type RegistryServer,
} from "../support/registry-server.ts";
import { NPM_SERVERS } from "../support/mcp-servers.ts";
import { osvDatabase, releaseWithAction } from "../support/release.ts";
import { pushServerImage, serverImagesUnavailable } from "../support/server-images.ts";
import { pushImage } from "../support/supply-chain.ts";
import { issueServingCert, makeTestCA } from "./support/certs.ts";
import { statusMessage } from "./support/api-errors.ts";
import { k8sMatrix, startCluster, type TestCluster } from "./support/cluster.ts";
import { startWebhookProcess, type WebhookProcess } from "./support/webhook-process.ts";

const skipOthers =
  SKIP_NO_REGISTRY ||
  (await serverImagesUnavailable()) ||
  ((await chooseImageRuntime()).runtime === undefined && "no container runtime works here");
const root = new URL("../../", import.meta.url);

// Against every release of the matrix: the API server calls the webhook, which reads the pod's
// pull secrets through it.
for (const k8s of k8sMatrix()) {
  const skip = k8s.skip || skipOthers;
  describe(`image verification at admission on ${k8s.version}`, { skip, timeout: 300_000 }, () => {
    let cluster: TestCluster;
    let registry: RegistryServer;
    let dir: string | undefined;
    let webhook: WebhookProcess;
    let core: CoreV1Api;
    let signed: string;
    let unsigned: string;

    before(async () => {
      [cluster, registry] = await Promise.all([
        startCluster({ binDir: k8s.binDir }),
        startRegistry({ users: { ci: "s3cret" } }),
      ]);
      const client = new RegistryClient({
        credentials: staticCredentials({ [registry.host]: { username: "ci", password: "s3cret" } }),
      });
      const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const repo = `${registry.host}/private/mcp`;
      const built = await pushServerImage(client, repo, "approved", {
        npm: NPM_SERVERS.filesystem,
        args: ["/tmp"],
      });
      const b = await pushImage(client, repo, "unsigned", `unsigned-${Date.now()}`);
      signed = built.pinned;
      unsigned = `${repo}@${b.manifest.digest}`;
      // The release workflow: the Action evaluates the image (with the registry's credentials),
      // signs it and attaches the evaluation.
      dir = await mkdtemp(join(tmpdir(), "mcp-warden-e2e-image-"));
      const dockerConfigPath = join(dir, "config.json");
      await writeFile(
        dockerConfigPath,
        JSON.stringify({
          auths: { [registry.host]: { auth: Buffer.from("ci:s3cret").toString("base64") } },
        }),
      );
      const released = await releaseWithAction({
        dir,
        image: built.ref,
        key: key.privateKey,
        osv: await osvDatabase(dir),
        dockerConfigPath,
      });
      assert.equal(released.outputs.digest, built.digest);
      assert.equal(released.predicate.verdict, "pass");
      assert.equal(
        released.predicate.trustLevel,
        "L3",
        JSON.stringify(released.predicate.trustLevelCappedBy),
      );

      const kc = cluster.kubeConfig();
      const objects = KubernetesObjectApi.makeApiClient(kc);
      core = kc.makeApiClient(CoreV1Api);
      for (const crd of [
        ...readYaml("deploy/crds/mcpwardenpolicies.yaml"),
        ...readYaml("deploy/crds/mcpwardenexceptions.yaml"),
      ])
        await objects.create(crd);
      for (const [name, labels] of [
        ["team-a", { "mcp-warden.dev/enforce": "true" }],
        ["mcp-warden-system", {}],
      ] as const) {
        await core.createNamespace({ body: { metadata: { name, labels } } });
      }
      // Pull secrets are read with the opt-in component's RBAC, as an install that enables it has.
      for (const object of [
        ...readYaml("deploy/rbac.yaml"),
        ...readYaml("deploy/components/pull-secrets/rbac.yaml"),
      ])
        await objects.create(object);
      await objects.create(denyAll("team-a"));
      const auth = Buffer.from("ci:s3cret").toString("base64");
      await core.createNamespacedSecret({
        namespace: "team-a",
        body: {
          metadata: { name: "regcred" },
          type: "kubernetes.io/dockerconfigjson",
          data: {
            ".dockerconfigjson": Buffer.from(
              JSON.stringify({ auths: { [registry.host]: { auth } } }),
            ).toString("base64"),
          },
        },
      });
      const policy = parse(
        readFileSync(new URL("policies/default.yaml", root), "utf8"),
      ) as KubernetesObject & {
        spec: { images: { trustedSigners: unknown[] } };
      };
      policy.spec.images.trustedSigners = [
        { key: { publicKey: key.publicKey.export({ type: "spki", format: "pem" }).toString() } },
      ];
      for (let i = 0; ; i++) {
        try {
          await objects.create(policy);
          break;
        } catch (err) {
          if (i > 100) throw err;
          await new Promise((r) => setTimeout(r, 250)); // the CRD is not served yet
        }
      }

      const ca = await makeTestCA();
      const serving = await issueServingCert(ca, { ipAddresses: ["127.0.0.1"] });
      webhook = await startWebhookProcess({
        kubeconfig: await cluster.kubeconfigFileFor("webhook"),
        cert: serving.cert,
        key: serving.key,
        ca: ca.cert,
        args: ["--policy-name=default"],
      });
      await registerWebhook(objects, webhook.url, ca.cert);
    });

    after(async () => {
      await webhook?.stop();
      await cluster?.stop();
      await registry?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const pod = (name: string, image: string, pullSecrets: boolean) => {
      const spec = compliantPodSpec();
      (spec.containers as Record<string, unknown>[])[0]!.image = image;
      if (pullSecrets) spec.imagePullSecrets = [{ name: "regcred" }];
      return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: "team-a", labels: { app: name } },
        spec,
      };
    };
    async function create(body: object): Promise<string> {
      // Until the API server's informer has the webhook configuration, creations are not judged.
      try {
        await core.createNamespacedPod({ namespace: "team-a", body, dryRun: "All" });
        return "admitted";
      } catch (err) {
        return statusMessage(err);
      }
    }
    async function eventually(check: () => Promise<boolean>): Promise<void> {
      const deadline = Date.now() + 30_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error("condition not met within 30 s");
        await new Promise((r) => setTimeout(r, 250));
      }
    }

    test("an unsigned image is denied", async () => {
      let text = "";
      await eventually(async () =>
        /mcp-warden denied/.test((text = await create(pod("unsigned", unsigned, true)))),
      );
      assert.match(text, /\[image\/signed\] spec\.containers\[0\]\.image: .* is not signed/);
      assert.match(
        text,
        /\[image\/evaluated\] spec\.containers\[0\]\.image: .* has no evaluation attestation/,
      );
    });

    // The image rules pass; run bare, without the gateway in front of it, the default policy's
    // runtime/gateway-required (every pod whose image carries a verified evaluation) alone denies it.
    test("an image the Action evaluated at L3 and signed passes the image rules under the default policy, with the pod's pull secret", async () => {
      const text = await create(pod("approved", signed, true));
      assert.match(text, /\[runtime\/gateway-required\]/);
      assert.doesNotMatch(text, /\[image\//);
    });

    test("without the pull secret the private registry refuses the lookup, and the pod is denied", async () => {
      const text = await create(pod("no-secret", signed, false));
      assert.match(
        text,
        /\[image\/signed\] spec\.containers\[0\]\.image: .* could not be verified: .*the registry requires credentials and none are configured/,
      );
    });
  });
}
