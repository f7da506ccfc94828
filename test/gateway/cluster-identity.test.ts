/**
 * ServiceAccount identities and grants on the real kube-apiserver: tokens issued by TokenRequest,
 * checked by TokenReview and offline against the issuer's keys; MCPWardenAccess listed and
 * watched from the admin namespaces only.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { createLocalJWKSet, type JSONWebKeySet } from "jose";
import { parse } from "yaml";
import { apiRequest } from "../../cluster/api.ts";
import { AccessWatch } from "../../cluster/access-watch.ts";
import { reviewToken } from "../../cluster/token-review.ts";
import { GatewayError } from "../../gateway/errors.ts";
import { createAuthenticator } from "../../gateway/identity.ts";
import { declaredAgentFor } from "../../policies/runtime/identity.ts";
import { fetchTrusting } from "./support.ts";
import {
  SKIP_NO_BINARIES,
  k8sBinDir,
  startCluster,
  type TestCluster,
} from "../e2e/support/cluster.ts";

const AUDIENCE = "mcp-warden-gateway.mcp.svc";

describe(
  "gateway identities and grants on a real API server",
  { skip: k8sBinDir() ? false : SKIP_NO_BINARIES, timeout: 180_000 },
  () => {
    let cluster: TestCluster;

    const create = (path: string, body: unknown) =>
      apiRequest(cluster.kubeConfig(), path, { method: "POST", body });

    async function tokenFor(
      namespace: string,
      sa: string,
      audiences: string[],
      seconds = 600,
    ): Promise<string> {
      const answer = (await create(`/api/v1/namespaces/${namespace}/serviceaccounts/${sa}/token`, {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { audiences, expirationSeconds: seconds },
      })) as { status: { token: string } };
      return answer.status.token;
    }

    before(async () => {
      cluster = await startCluster();
      for (const ns of ["agents", "mcp", "mcp-warden-system"])
        await create("/api/v1/namespaces", {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: ns },
        });
      await create("/api/v1/namespaces/agents/serviceaccounts", {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "triage" },
      });
      const crd = parse(
        await readFile(new URL("../../deploy/crds/mcpwardenaccess.yaml", import.meta.url), "utf8"),
      ) as unknown;
      await create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
      for (let i = 0; i < 100; i++) {
        const got = (await apiRequest(
          cluster.kubeConfig(),
          "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/mcpwardenaccesses.mcp-warden.dev",
        )) as { status?: { conditions?: { type: string; status: string }[] } };
        if (got.status?.conditions?.some((c) => c.type === "Established" && c.status === "True"))
          break;
        await new Promise((r) => setTimeout(r, 100));
      }
    });

    after(async () => {
      await cluster?.stop();
    });

    test("TokenReview: a projected token for the gateway's audience is its ServiceAccount; others are refused", async () => {
      const kc = cluster.kubeConfig();
      const authenticate = createAuthenticator({
        audience: AUDIENCE,
        serviceAccounts: { kind: "token-review", review: (t, a) => reviewToken(kc, t, a) },
        oidc: [],
        clockSkewSeconds: 0,
        now: () => Date.now(),
      });
      const identity = await authenticate(await tokenFor("agents", "triage", [AUDIENCE]));
      assert.deepEqual(identity, {
        kind: "serviceAccount",
        issuer: "kubernetes",
        namespace: "agents",
        serviceAccount: "triage",
      });
      assert.equal(
        declaredAgentFor(
          identity,
          [{ name: "triage-bot", namespace: "agents", serviceAccount: "triage" }],
          "mcp",
        ),
        "triage-bot",
      );
      for (const token of [
        await tokenFor("agents", "triage", ["another-service"]),
        "not-a-token",
        cluster.users.dev.token,
      ]) {
        await assert.rejects(
          authenticate(token),
          (e: unknown) => e instanceof GatewayError && e.code === "UNAUTHENTICATED",
        );
      }
    });

    test("offline: the same tokens checked against the issuer's published keys", async () => {
      const kc = cluster.kubeConfig();
      const discovery = (await apiRequest(kc, "/.well-known/openid-configuration")) as {
        issuer: string;
      };
      // The keys as the API server publishes them (only as application/jwk-set+json).
      const res = await fetchTrusting(cluster.caData)(`${cluster.server}/openid/v1/jwks`, {
        headers: { authorization: `Bearer ${cluster.token}`, accept: "application/jwk-set+json" },
      });
      const jwks = (await res.json()) as JSONWebKeySet;
      const authenticate = createAuthenticator({
        audience: AUDIENCE,
        serviceAccounts: { kind: "jwks", keys: createLocalJWKSet(jwks) },
        oidc: [],
        clockSkewSeconds: 0,
        now: () => Date.now(),
      });
      assert.deepEqual(await authenticate(await tokenFor("agents", "triage", [AUDIENCE])), {
        kind: "serviceAccount",
        issuer: discovery.issuer,
        namespace: "agents",
        serviceAccount: "triage",
      });
      await assert.rejects(
        authenticate(await tokenFor("agents", "triage", ["another-service"])),
        (e: unknown) => e instanceof GatewayError && e.code === "UNAUTHENTICATED",
      );
      // Expired beyond the skew: issued for the minimum 10 minutes, judged 11 minutes later.
      const later = createAuthenticator({
        audience: AUDIENCE,
        serviceAccounts: { kind: "jwks", keys: createLocalJWKSet(jwks) },
        oidc: [],
        clockSkewSeconds: 0,
        now: () => Date.now() + 11 * 60_000,
      });
      await assert.rejects(later(await tokenFor("agents", "triage", [AUDIENCE])), /expired/);
    });

    test("MCPWardenAccess is listed and watched from the admin namespaces only", async () => {
      const grant = (namespace: string, name: string, tools: string[]) =>
        create(`/apis/mcp-warden.dev/v1alpha1/namespaces/${namespace}/mcpwardenaccesses`, {
          apiVersion: "mcp-warden.dev/v1alpha1",
          kind: "MCPWardenAccess",
          metadata: { name },
          spec: {
            server: { namespace: "mcp", name: "crm" },
            agents: ["triage-bot"],
            tools,
            reason: "test",
          },
        });
      await grant("mcp-warden-system", "first", ["read_*"]);
      await grant("mcp", "self-granted", ["*"]);
      const invalid: string[] = [];
      const watch = new AccessWatch(cluster.kubeConfig(), ["mcp-warden-system"], {
        onInvalid: (name) => invalid.push(name),
        onError: () => undefined,
      });
      await watch.start();
      try {
        assert.ok(watch.ready);
        assert.deepEqual(
          watch.grants().map((g) => g.metadata.name),
          ["first"],
        );
        await grant("mcp-warden-system", "second", ["write"]);
        for (let i = 0; i < 100 && watch.grants().length < 2; i++)
          await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(
          watch
            .grants()
            .map((g) => g.metadata.name)
            .sort(),
          ["first", "second"],
        );
        await apiRequest(
          cluster.kubeConfig(),
          "/apis/mcp-warden.dev/v1alpha1/namespaces/mcp-warden-system/mcpwardenaccesses/first",
          {
            method: "DELETE",
          },
        );
        for (let i = 0; i < 100 && watch.grants().length > 1; i++)
          await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(
          watch.grants().map((g) => g.metadata.name),
          ["second"],
        );
        assert.deepEqual(invalid, []);
      } finally {
        await watch.stop();
      }
    });
  },
);
