// Records the AdmissionReview bodies a real kube-apiserver sends to the webhook, as fixtures for
// the webhook's unit tests (test/fixtures/admission/*.json). It starts the e2e cluster
// (scripts/build-k8s-binaries.sh builds the binaries), registers the shipped webhook
// configuration pointed at a recorder on loopback that answers "allowed", makes a few requests
// and writes each review it received as it came.
//
//   node scripts/record-admission-reviews.ts [--out DIR]
import { mkdir, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  type V1Deployment,
  type V1Pod,
  type V1PodSpec,
} from "@kubernetes/client-node";
import { issueServingCert, makeTestCA } from "../test/e2e/support/certs.ts";
import { k8sBinDir, SKIP_NO_BINARIES, startCluster } from "../test/e2e/support/cluster.ts";
import { registerWebhook } from "../test/e2e/support/manifests.ts";
import { format } from "prettier";
import { compliantPodSpec } from "../test/support/policies.ts";

const NAMESPACE = "team-a";

interface Recorder {
  url: string;
  /** Reviews received since the last call, oldest first. */
  take(): Record<string, unknown>[];
  close(): Promise<void>;
}

/** An HTTPS webhook that keeps every review body and allows every request. */
async function startRecorder(cert: string, key: string): Promise<Recorder> {
  let received: Record<string, unknown>[] = [];
  const server: Server = createServer({ cert, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const review = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        request?: { uid?: string };
      };
      received.push(review);
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          apiVersion: "admission.k8s.io/v1",
          kind: "AdmissionReview",
          response: { uid: review.request?.uid ?? "", allowed: true },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `https://127.0.0.1:${port}/validate`,
    take() {
      const taken = received;
      received = [];
      return taken;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The test suite's compliant pod spec, so the recorded objects pass the offline rules. */
const compliant = () => compliantPodSpec() as unknown as V1PodSpec;

function pod(name: string, spec: V1PodSpec): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NAMESPACE, labels: { app: name } },
    spec,
  };
}

function deployment(name: string, spec: V1PodSpec): V1Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: NAMESPACE },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec },
    },
  };
}

async function run(out: string): Promise<void> {
  const binDir = k8sBinDir();
  if (!binDir) throw new Error(SKIP_NO_BINARIES);
  const ca = await makeTestCA();
  const serving = await issueServingCert(ca, { ipAddresses: ["127.0.0.1"] });
  const recorder = await startRecorder(serving.cert, serving.key);
  const cluster = await startCluster({ binDir });
  try {
    const kc = cluster.kubeConfig();
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const batch = kc.makeApiClient(BatchV1Api);
    await core.createNamespace({
      body: { metadata: { name: NAMESPACE, labels: { "mcp-warden.dev/enforce": "true" } } },
    });
    await registerWebhook(objects, recorder.url, ca.cert);
    // The API server picks the configuration up through an informer: wait until reviews arrive.
    for (let i = 0; recorder.take().length === 0; i++) {
      if (i > 120) throw new Error("the API server never called the recorder");
      await core.createNamespacedPod({
        namespace: NAMESPACE,
        body: pod("probe", compliant()),
        dryRun: "All",
      });
      await sleep(250);
    }

    const written: string[] = [];
    const record = async (name: string, action: () => Promise<unknown>) => {
      recorder.take();
      await action();
      const reviews = recorder.take();
      if (reviews.length !== 1)
        throw new Error(`${name}: expected 1 review, got ${reviews.length}`);
      // Formatted as the repository's prettier check wants it; the content is as received.
      const text = await format(JSON.stringify(reviews[0]), { parser: "json" });
      await writeFile(join(out, `${name}.json`), text);
      written.push(name);
    };

    await record("pod-create", () =>
      core.createNamespacedPod({ namespace: NAMESPACE, body: pod("srv", compliant()) }),
    );
    await record("pod-create-dry-run", () =>
      core.createNamespacedPod({
        namespace: NAMESPACE,
        body: pod("dry", compliant()),
        dryRun: "All",
      }),
    );
    await record("pod-update-labels", async () => {
      const current = await core.readNamespacedPod({ name: "srv", namespace: NAMESPACE });
      current.metadata!.labels = { ...current.metadata!.labels, tier: "tools" };
      return core.replaceNamespacedPod({ name: "srv", namespace: NAMESPACE, body: current });
    });
    await record("pod-ephemeralcontainers", async () => {
      const current = await core.readNamespacedPod({ name: "srv", namespace: NAMESPACE });
      current.spec!.ephemeralContainers = [
        { name: "debug", image: "busybox", securityContext: { privileged: true } },
      ];
      return core.replaceNamespacedPodEphemeralcontainers({
        name: "srv",
        namespace: NAMESPACE,
        body: current,
      });
    });
    await record("deployment-create", () =>
      apps.createNamespacedDeployment({
        namespace: NAMESPACE,
        body: deployment("mcp-fetch", compliant()),
      }),
    );
    await record("deployment-create-dry-run", () =>
      apps.createNamespacedDeployment({
        namespace: NAMESPACE,
        body: deployment("dry", compliant()),
        dryRun: "All",
      }),
    );
    await record("deployment-update", async () => {
      const current = await apps.readNamespacedDeployment({
        name: "mcp-fetch",
        namespace: NAMESPACE,
      });
      current.spec!.template.spec!.hostNetwork = true;
      return apps.replaceNamespacedDeployment({
        name: "mcp-fetch",
        namespace: NAMESPACE,
        body: current,
      });
    });
    await record("cronjob-create", () =>
      batch.createNamespacedCronJob({
        namespace: NAMESPACE,
        body: {
          apiVersion: "batch/v1",
          kind: "CronJob",
          metadata: { name: "nightly", namespace: NAMESPACE },
          spec: {
            schedule: "0 3 * * *",
            jobTemplate: {
              spec: {
                template: {
                  metadata: { labels: { app: "nightly" } },
                  spec: { ...compliant(), restartPolicy: "OnFailure" },
                },
              },
            },
          },
        },
      }),
    );
    console.log(`wrote ${written.map((n) => `${n}.json`).join(", ")} to ${out}`);
  } catch (err) {
    console.error(cluster.logs());
    throw err;
  } finally {
    await cluster.stop();
    await recorder.close();
  }
}

const { values } = parseArgs({
  options: { out: { type: "string", default: "test/fixtures/admission" } },
});
await mkdir(values.out, { recursive: true });
await run(values.out);
