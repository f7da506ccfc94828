// The FQDN egress policies the engine reads are objects a real kube-apiserver admits with the
// published CRDs (Cilium's, the network-policy-api's), and those it refuses, it refuses too; and
// `generate --network cilium` writes a CiliumNetworkPolicy the API server admits.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { KubernetesObjectApi, type KubernetesObject } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { apiRequest } from "../../cluster/api.ts";
import { generateKubernetesManifests } from "../../policies/deployment/kubernetes-manifests.ts";
import {
  INVALID_FQDN_POLICIES,
  VALID_FQDN_POLICIES,
  networkCrdDir,
} from "../support/fqdn-policies.ts";
import { statusMessage } from "./support/api-errors.ts";
import { k8sBinDir, SKIP_NO_BINARIES, startCluster, type TestCluster } from "./support/cluster.ts";

const binDir = k8sBinDir();
const crdDir = binDir ? networkCrdDir() : undefined;
const skip = !binDir
  ? SKIP_NO_BINARIES
  : !crdDir
    ? "network CRDs not fetched; run scripts/fetch-network-crds.sh"
    : false;

const PATHS = [
  "/apis/cilium.io/v2/ciliumnetworkpolicies",
  "/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies",
  "/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies",
];

describe("FQDN egress policies on a real kube-apiserver", { skip, timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let objects: KubernetesObjectApi;

  before(async () => {
    cluster = await startCluster({ binDir });
    objects = KubernetesObjectApi.makeApiClient(cluster.kubeConfig());
    for (const file of [
      "cilium.io_ciliumnetworkpolicies.yaml",
      "cilium.io_ciliumclusterwidenetworkpolicies.yaml",
      "policy.networking.k8s.io_clusternetworkpolicies.yaml",
    ]) {
      const text = readFileSync(`${crdDir!}/${file}`, "utf8");
      for (const doc of parseAllDocuments(text)) {
        const crd = doc.toJS() as KubernetesObject | null;
        if (crd) await objects.create(crd);
      }
    }
    await objects.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a" } });
    // The API server serves a new CRD's resources a moment after it is created.
    const deadline = Date.now() + 30_000;
    for (const path of PATHS) {
      for (;;) {
        try {
          await apiRequest(cluster.kubeConfig(), path);
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
  });

  after(async () => {
    await cluster?.stop();
  });

  test("every shape the engine reads is admitted", async () => {
    for (const [what, object] of VALID_FQDN_POLICIES) {
      const created: KubernetesObject = await objects.create(object, undefined, "All");
      assert.equal(created.metadata?.name, (object.metadata as { name: string }).name, what);
    }
  });

  test("every object the engine refuses as bad input, the API server refuses", async () => {
    const admitted: string[] = [];
    for (const [what, object] of INVALID_FQDN_POLICIES) {
      const refused = await objects.create(object as KubernetesObject, undefined, "All").then(
        () => undefined,
        (err: unknown) => statusMessage(err),
      );
      if (refused === undefined) admitted.push(what);
      else assert.match(refused, /is invalid/, what);
    }
    assert.deepEqual(admitted, []);
  });

  test("what generate --network cilium writes is admitted", async () => {
    const { objects: generated } = generateKubernetesManifests({
      image: `ghcr.io/acme/fetch@sha256:${"c".repeat(64)}`,
      serverName: "io.github.acme/fetch",
      version: "1.0.0",
      namespace: "team-a",
      network: "cilium",
      permissions: {
        egress: [{ host: "api.github.com", ports: [443] }, { host: "*.googleapis.com" }],
        ingress: { agents: [] },
        filesystem: [],
        credentials: [],
      },
    });
    for (const object of generated) {
      const created: KubernetesObject = await objects.create(object, undefined, "All");
      assert.equal(created.kind, object.kind);
    }
  });
});
