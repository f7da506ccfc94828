// Cluster state from real watches: when the API server goes away, the webhook keeps its cache
// for a bounded time, retries with backoff, and then denies network and exception rules, and
// containers that read ConfigMaps (saying why), instead of judging with stale data.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { test } from "node:test";
import { KubernetesObjectApi, type KubernetesObject } from "@kubernetes/client-node";
import { pino } from "pino";
import { parse } from "yaml";
import { judgeAdmission } from "../../webhook/admission.ts";
import { ClusterWatch } from "../../webhook/cluster-watch.ts";
import { compliantPodSpec, denyAll, offlinePolicy } from "../support/policies.ts";
import { k8sBinDir, SKIP_NO_BINARIES, startCluster } from "./support/cluster.ts";

const binDir = k8sBinDir();

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test(
  "watches sync, then go stale when the API server stops",
  { skip: binDir ? false : SKIP_NO_BINARIES, timeout: 120_000 },
  async () => {
    const cluster = await startCluster({ binDir });
    const logs: string[] = [];
    const logger = pino(
      { level: "info" },
      new Writable({ write: (c: Buffer, _e, done) => (logs.push(c.toString()), done()) }),
    );
    const watch = new ClusterWatch({
      kubeConfig: cluster.kubeConfig(),
      policy: offlinePolicy(),
      staleAfterMs: 1500,
      logger,
    });
    try {
      const objects = KubernetesObjectApi.makeApiClient(cluster.kubeConfig());
      for (const file of ["mcpwardenpolicies.yaml", "mcpwardenexceptions.yaml"]) {
        const text = readFileSync(new URL(`../../deploy/crds/${file}`, import.meta.url), "utf8");
        await objects.create(parse(text) as KubernetesObject);
      }
      await objects.create({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "team-a" },
      });
      await objects.create(denyAll("team-a"));
      watch.start();
      await until(() => watch.snapshot(new Date()).ready, 20_000);
      await until(
        () => watch.snapshot(new Date()).cluster.networkPoliciesIn("team-a").length === 1,
        10_000,
      );

      const request = {
        uid: "u",
        kind: { group: "", version: "v1", kind: "Pod" },
        operation: "CREATE",
        namespace: "team-a",
        object: {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "p", labels: { app: "p" } },
          spec: compliantPodSpec(),
        },
      };
      const judge = () => {
        const s = watch.snapshot(new Date());
        return judgeAdmission(request, { policy: s.policy, cluster: s.cluster, now: new Date() });
      };
      assert.equal(judge().allowed, true, "fresh state: the isolating NetworkPolicy is seen");

      await cluster.stop();
      await until(
        () => watch.snapshot(new Date()).cluster.unavailable?.networkPolicies !== undefined,
        30_000,
      );
      const outcome = judge();
      assert.equal(outcome.allowed, false);
      assert.match(
        outcome.message ?? "",
        /\[network\/egress-restricted\] metadata\.labels: cannot verify egress isolation: the networkpolicies watch has been failing for \d+s/,
      );
      // A container that reads a ConfigMap cannot be judged for credentials with stale ConfigMaps.
      const spec = compliantPodSpec() as { containers: Record<string, unknown>[] };
      spec.containers[0]!.envFrom = [{ configMapRef: { name: "settings" } }];
      const s = watch.snapshot(new Date());
      const withConfigMap = judgeAdmission(
        { ...request, object: { ...request.object, spec } },
        { policy: s.policy, cluster: s.cluster, now: new Date() },
      );
      assert.match(
        withConfigMap.message ?? "",
        /\[credentials\/no-literal-secrets\] spec\.containers\[0\]\.envFrom\[0\]\.configMapRef: .*cannot be judged for credentials now: the configmaps watch has been failing for \d+s/,
      );
      const snapshot = watch.snapshot(new Date());
      assert.ok(snapshot.watches.every((w) => w.synced && w.failingForMs > 1500));
      // Restarted with backoff, not once and not in a tight loop.
      const retries = logs.filter((l) => l.includes("watch failed; retrying with backoff")).length;
      assert.ok(retries >= 2, `retries: ${retries}`);
      assert.ok(retries < 60, `retries: ${retries}`);
    } finally {
      await watch.close();
      await cluster.stop();
    }
  },
);
