/**
 * The e2e harness itself: a real kube-apiserver answers through @kubernetes/client-node, RBAC
 * is enforced, and certificates from certs.ts are accepted by Node and by the API server (as a
 * webhook serving certificate pinned by caBundle).
 */
import assert from "node:assert/strict";
import { createServer } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server } from "node:https";
import { connect } from "node:tls";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AdmissionregistrationV1Api, ApiException, CoreV1Api } from "@kubernetes/client-node";
import { issueServingCert, makeTestCA } from "./support/certs.ts";
import type { ServingCert } from "./support/certs.ts";
import { SKIP_NO_BINARIES, k8sBinDir, startCluster } from "./support/cluster.ts";
import type { TestCluster } from "./support/cluster.ts";
import { assertRejectsWithCode } from "../support/throws.ts";

const binDir = k8sBinDir();

// Bounds for a hung API server; a normal run takes a few seconds. after() still stops the cluster.
const SUITE_TIMEOUT_MS = 120_000;

describe(
  "e2e cluster harness",
  { skip: binDir === undefined ? SKIP_NO_BINARIES : false, timeout: SUITE_TIMEOUT_MS },
  () => {
    let cluster: TestCluster | undefined;

    before(async () => {
      cluster = await startCluster({ binDir });
    });

    after(async () => {
      await cluster?.stop();
    });

    function current(): TestCluster {
      assert.ok(cluster, "cluster did not start");
      return cluster;
    }

    test("creates a namespace and a pod and reads the pod back", async () => {
      const core = current().kubeConfig().makeApiClient(CoreV1Api);
      await core.createNamespace({ body: { metadata: { name: "harness" } } });
      await core.createNamespacedPod({
        namespace: "harness",
        body: {
          metadata: { name: "web" },
          spec: {
            automountServiceAccountToken: false,
            containers: [{ name: "web", image: "registry.example/web:1" }],
          },
        },
      });

      const pod = await core.readNamespacedPod({ namespace: "harness", name: "web" });
      assert.equal(pod.metadata?.namespace, "harness");
      assert.equal(pod.spec?.containers[0]?.image, "registry.example/web:1");
    });

    test("RBAC denies a user without bindings", async () => {
      const core = current().kubeConfig("dev").makeApiClient(CoreV1Api);
      await assertRejectsWithCode(
        core.listNamespacedSecret({ namespace: "default" }),
        403,
        ApiException,
      );
    });

    test("kube-apiserver calls a webhook whose certificate comes from certs.ts", async (t) => {
      const ca = await makeTestCA();
      const cert = await issueServingCert(ca, { ipAddresses: ["127.0.0.1"] });
      const webhook = await listen(cert, denyAll);
      t.after(() => close(webhook));

      const kc = current().kubeConfig();
      const admission = kc.makeApiClient(AdmissionregistrationV1Api);
      await admission.createValidatingWebhookConfiguration({
        body: probeWebhookConfiguration(`https://127.0.0.1:${port(webhook)}/validate`, ca.cert),
      });
      t.after(() => admission.deleteValidatingWebhookConfiguration({ name: PROBE_WEBHOOK }));

      const denial = await denialOfProbeConfigMap(kc.makeApiClient(CoreV1Api));
      // A TLS failure would also deny (failurePolicy Fail), but with 500 and an x509 error.
      assert.equal(denial.code, 403, denial.body);
      assert.ok(denial.body.includes(PROBE_MESSAGE), denial.body);
    });
  },
);

describe("certs", () => {
  test("a serving certificate verifies against its CA, for its IP and its DNS name", async () => {
    const ca = await makeTestCA();
    const cert = await issueServingCert(ca, {
      ipAddresses: ["127.0.0.1"],
      dnsNames: ["localhost"],
    });
    const server = await listen(cert, (_req, res) => res.end("ok"));
    try {
      assert.equal(await tlsHandshake(port(server), ca.cert), "authorized");
      assert.equal(await tlsHandshake(port(server), ca.cert, "localhost"), "authorized");
      const other = await makeTestCA("another CA");
      assert.equal(await tlsHandshake(port(server), other.cert), "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
      assert.equal(
        await tlsHandshake(port(server), ca.cert, "example.com"),
        "ERR_TLS_CERT_ALTNAME_INVALID",
      );
    } finally {
      await close(server);
    }
  });
});

// --- helpers ---------------------------------------------------------------------------------

const PROBE_WEBHOOK = "harness-probe";
const PROBE_LABEL = "mcp-warden.dev/harness-probe";
const PROBE_MESSAGE = "denied by the harness probe webhook";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function listen(cert: ServingCert, handler: Handler): Promise<Server> {
  const server = createServer({ cert: cert.cert, key: cert.key }, handler);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function port(server: Server): number {
  const addr = server.address();
  assert.ok(addr !== null && typeof addr !== "string", "server is not listening on TCP");
  return addr.port;
}

/** Connects to 127.0.0.1 and reports "authorized" or the verification error's code. */
function tlsHandshake(port: number, ca: string, servername?: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, ca, servername, timeout: 5_000 }, () => {
      socket.end();
      resolve("authorized");
    });
    socket.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    socket.on("timeout", () => socket.destroy(new Error("TLS handshake timed out")));
  });
}

/** Answers every AdmissionReview with a denial carrying PROBE_MESSAGE. */
function denyAll(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const review: unknown = JSON.parse(Buffer.concat(chunks).toString());
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        response: {
          uid: reviewUid(review),
          allowed: false,
          status: { code: 403, message: PROBE_MESSAGE },
        },
      }),
    );
  });
}

function reviewUid(review: unknown): string {
  if (typeof review !== "object" || review === null || !("request" in review)) return "";
  const request = review.request;
  if (typeof request !== "object" || request === null || !("uid" in request)) return "";
  return typeof request.uid === "string" ? request.uid : "";
}

/** Scoped by label to ConfigMaps that only this test creates. */
function probeWebhookConfiguration(url: string, caPem: string) {
  return {
    metadata: { name: PROBE_WEBHOOK },
    webhooks: [
      {
        name: "probe.harness.mcp-warden.dev",
        clientConfig: { url, caBundle: Buffer.from(caPem).toString("base64") },
        rules: [
          {
            apiGroups: [""],
            apiVersions: ["v1"],
            resources: ["configmaps"],
            operations: ["CREATE"],
          },
        ],
        objectSelector: { matchLabels: { [PROBE_LABEL]: "true" } },
        admissionReviewVersions: ["v1"],
        sideEffects: "None",
        failurePolicy: "Fail",
        timeoutSeconds: 5,
      },
    ],
  };
}

/**
 * The API server learns of webhook configurations through an informer, so a create right after
 * registering may still be admitted: retry (bounded) until one is denied and return the message.
 */
async function denialOfProbeConfigMap(core: CoreV1Api): Promise<{ code: number; body: string }> {
  const deadline = Date.now() + 20_000;
  for (let i = 0; Date.now() < deadline; i++) {
    const body = { metadata: { name: `probe-${i}`, labels: { [PROBE_LABEL]: "true" } } };
    try {
      await core.createNamespacedConfigMap({ namespace: "default", body });
    } catch (err) {
      if (err instanceof ApiException) return { code: err.code, body: String(err.body) };
      throw err;
    }
    await sleep(200);
  }
  throw new Error("the probe webhook never denied a ConfigMap");
}
