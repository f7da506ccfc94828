/**
 * The gateway Deployment `mcp-warden generate --gateway-image` writes runs a command line that
 * `mcp-warden gateway`'s own option parser accepts, and what it resolves to agrees with the rest of
 * the generated set: the server's Service and path, the grant's server, the audience agents use.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseGatewayOptions, type GatewayEnv } from "../../cli/gateway.ts";
import { BRIDGE_PORT, gatewayAudience } from "../../policies/deployment/gateway-manifests.ts";
import { generateKubernetesManifests } from "../../policies/deployment/kubernetes-manifests.ts";
import type { DeclaredPermissions, ServerRun } from "../../policies/evaluation/predicate.ts";

const IMAGE = `ghcr.io/acme/mcp-weather@sha256:${"3f0c1e6b0a7d2c4e".repeat(4)}`;
const GATEWAY = `ghcr.io/mcp-warden/mcp-warden:0.1.0@sha256:${"b".repeat(64)}`;
const RUN: ServerRun = { transport: "stdio", entrypoint: ["node"], cmd: ["/app/index.js"] };
const PERMISSIONS: DeclaredPermissions = {
  egress: [],
  ingress: { agents: [{ name: "planner", namespace: "agents", labels: { app: "planner" } }] },
  filesystem: [],
  credentials: [],
};

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
interface Generated {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
}

/** The pod's environment as the kubelet would give it to a pod with this name and namespace. */
function downward(env: EnvVar[], pod: { name: string; namespace: string }): GatewayEnv {
  const out: Record<string, string> = {};
  for (const e of env) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    const value =
      e.value ??
      (field === "metadata.name"
        ? pod.name
        : field === "metadata.namespace"
          ? pod.namespace
          : assert.fail(`the gateway's env ${e.name} reads ${String(field)}`));
    out[e.name] = value;
  }
  return out;
}

const cases: { name: string; run?: ServerRun; ports?: number[]; port: number }[] = [
  { name: "a stdio server behind the bridge", run: RUN, port: BRIDGE_PORT },
  { name: "an HTTP server on its declared port", ports: [3000, 3001], port: 3000 },
];

for (const c of cases)
  test(`the generated gateway's arguments parse and agree with the set: ${c.name}`, () => {
    const { objects } = generateKubernetesManifests({
      image: IMAGE,
      serverName: "io.github.acme/weather",
      version: "1.4.2",
      permissions: {
        ...PERMISSIONS,
        ingress: { ...PERMISSIONS.ingress, ...(c.ports ? { ports: c.ports } : {}) },
      },
      namespace: "mcp-servers",
      gateway: { image: GATEWAY, ...(c.run ? { run: c.run } : {}) },
    });
    const set = objects as unknown as Generated[];
    const find = (kind: string, name: string) => {
      const o = set.find((x) => x.kind === kind && x.metadata.name === name);
      assert.ok(o, `${kind} ${name} is generated`);
      return o;
    };
    const deployment = find("Deployment", "weather-gateway") as unknown as {
      spec: { template: { spec: { containers: { args: string[]; env?: EnvVar[] }[] } } };
    };
    const container = deployment.spec.template.spec.containers[0]!;
    assert.equal(container.args[0], "gateway");
    const env = downward(container.env ?? [], {
      name: "weather-gateway-7d9f8-abcde",
      namespace: "mcp-servers",
    });
    const parsed = parseGatewayOptions(container.args.slice(1), env);

    // The upstream is the server's Service, on its port, at the bridge's (and SDK's) /mcp.
    const service = find("Service", "weather") as unknown as {
      spec: { ports: { port: number }[] };
    };
    assert.equal(parsed.upstream.protocol, "http:");
    assert.equal(parsed.upstream.hostname, "weather.mcp-servers.svc");
    assert.equal(Number(parsed.upstream.port), c.port);
    assert.deepEqual(
      service.spec.ports.map((p) => p.port),
      [c.port],
    );
    assert.equal(parsed.upstream.pathname, "/mcp");

    // The server as grants name it, and the pod for the audit records, from the Downward API.
    const access = find("MCPWardenAccess", "mcp-servers-weather") as unknown as {
      spec: { server: { namespace: string; name: string } };
    };
    assert.deepEqual(
      { namespace: parsed.server.namespace, name: parsed.server.deployment },
      access.spec.server,
    );
    assert.equal(parsed.server.pod, "weather-gateway-7d9f8-abcde");

    // Agents are told the gateway's Service URL; their tokens carry it as audience.
    const audience = gatewayAudience("weather", "mcp-servers");
    assert.equal(audience, "https://weather-gateway.mcp-servers.svc");
    assert.equal(parsed.audience, audience);
    assert.equal(parsed.resource, `${audience}/mcp`);
    find("Service", "weather-gateway");

    assert.equal(parsed.serverImage, IMAGE);
    assert.deepEqual(parsed.serviceAccounts, { kind: "token-review" });
    assert.equal(parsed.port, 8443);
    assert.equal(parsed.values["policy-name"], "default");
    assert.deepEqual(parsed.access, { cluster: true });
  });
