/**
 * Every reader of cluster objects and policy documents, fed mutated real objects: it returns a
 * value or throws the project's typed error (a WardenError with a code), never a TypeError or a
 * blown stack, and no input hangs it. What it accepts, the code that uses it can use.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { parse } from "yaml";
import { WardenError } from "../../../policies/errors.ts";
import { parseAccess } from "../../../policies/runtime/access.ts";
import { parseCidr } from "../../../policies/workload/cidr.ts";
import { parseConfigMap } from "../../../policies/workload/config-map.ts";
import { parseException } from "../../../policies/workload/exception-schema.ts";
import { parseEgressPolicy } from "../../../policies/workload/fqdn-policy.ts";
import { parseImageReference } from "../../../policies/workload/image-reference.ts";
import { selectorIsUnbounded, selectorMatches } from "../../../policies/workload/label-selector.ts";
import { parseNetworkPolicy } from "../../../policies/workload/network-policy.ts";
import { compilePolicy } from "../../../policies/workload/policy.ts";
import { parseRbacObject } from "../../../policies/workload/rbac.ts";
import { toWorkload } from "../../../policies/workload/workload.ts";
import { judgeWorkload } from "../../../policies/workload/engine.ts";
import { createClusterState, parseNamespace } from "../../../policies/workload/cluster-state.ts";
import { defaultPolicy as defaultPolicyCompiled } from "../../support/policies.ts";
import { parseRfc3339 } from "../../../policies/rfc3339.ts";
import { fuzz, returnsOrThrowsTyped } from "../../support/fuzz.ts";
import {
  hostileString,
  mutate,
  mutation,
  mutateText,
  textMutation,
} from "../../support/fuzz-json.ts";
import { workload } from "../../support/fuzz-k8s.ts";
import { VALID_FQDN_POLICIES } from "../../support/fqdn-policies.ts";

const TYPED = [WardenError];
const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

const labels = fc.dictionary(
  fc.oneof(fc.constantFrom("app", "tier", "kubernetes.io/metadata.name"), hostileString),
  fc.oneof(fc.constantFrom("web", "db", ""), hostileString),
  { maxKeys: 4 },
);

const NETWORK_POLICY = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "mcp", namespace: "team-a" },
  spec: {
    podSelector: {
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["web", "api"] },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    },
    policyTypes: ["Ingress", "Egress"],
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a" } } }] }],
    egress: [
      {
        to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } }],
        ports: [{ protocol: "TCP", port: 443, endPort: 8443 }],
      },
    ],
  },
};

test("NetworkPolicies: mutated ones are read or DOCUMENT_INVALID; read selectors can be matched", async (t) => {
  await fuzz(
    t,
    fc.property(mutations, labels, (m, podLabels) => {
      const damaged = mutate(NETWORK_POLICY, m);
      returnsOrThrowsTyped(() => {
        const policy = parseNetworkPolicy(damaged, "team-a");
        const selectors = [
          policy.spec.podSelector,
          ...(policy.spec.ingress ?? []).flatMap((r) =>
            (r.from ?? []).flatMap((p) => [p.podSelector, p.namespaceSelector]),
          ),
        ];
        for (const s of selectors) {
          assert.equal(typeof selectorMatches(s, podLabels), "boolean");
          assert.equal(typeof selectorIsUnbounded(s), "boolean");
        }
      }, TYPED);
    }),
    150,
  );
});

test("egress policies (Cilium, ClusterNetworkPolicy): mutated ones are read or DOCUMENT_INVALID", async (t) => {
  const policies = VALID_FQDN_POLICIES.map(([, object]) => object);
  await fuzz(
    t,
    fc.property(fc.constantFrom(...policies), mutations, (object, m) => {
      const damaged = mutate(object, m);
      returnsOrThrowsTyped(() => parseEgressPolicy(damaged, "team-a"), TYPED);
    }),
    100,
  );
});

const defaultPolicy = parse(
  readFileSync(new URL("../../../policies/default.yaml", import.meta.url), "utf8"),
) as unknown;
const exception = parse(
  readFileSync(new URL("../../../examples/exceptions/crm-egress.yaml", import.meta.url), "utf8"),
) as unknown;
const access = {
  apiVersion: "mcp-warden.dev/v1alpha1",
  kind: "MCPWardenAccess",
  metadata: { name: "triage", namespace: "mcp-warden-system" },
  spec: {
    server: { namespace: "mcp", name: "everything" },
    agents: ["triage"],
    tools: ["echo", "get-*"],
    reason: "test",
    expires: "2030-01-31T00:00:00Z",
  },
};

test("policy, exception and MCPWardenAccess documents: mutated ones compile or list problems", async (t) => {
  await fuzz(
    t,
    fc.property(fc.integer({ min: 0, max: 2 }), mutations, (which, m) => {
      const run = [
        () => compilePolicy(mutate(defaultPolicy, m)),
        () => parseException(mutate(exception, m)),
        () => parseAccess(mutate(access, m)),
      ][which]!;
      returnsOrThrowsTyped(run, TYPED);
    }),
    150,
  );
});

test("policy YAML text, damaged: parsed with yaml, then compiled or refused", async (t) => {
  const text = readFileSync(new URL("../../../policies/default.yaml", import.meta.url), "utf8");
  await fuzz(
    t,
    fc.property(fc.array(textMutation, { minLength: 1, maxLength: 3 }), (m) => {
      let doc: unknown;
      try {
        doc = parse(mutateText(text, m));
      } catch {
        return; // the yaml library's own error, raised before our code
      }
      returnsOrThrowsTyped(() => compilePolicy(doc), TYPED);
    }),
    60,
  );
});

const ROLE_BINDING = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "RoleBinding",
  metadata: { name: "b", namespace: "team-a" },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
  subjects: [{ kind: "ServiceAccount", name: "srv", namespace: "team-a" }],
};
const ROLE = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "Role",
  metadata: { name: "r", namespace: "team-a" },
  rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] }],
};
const CONFIG_MAP = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "c", namespace: "team-a" },
  data: { TOKEN: "ghp_abc", "config.json": '{"a":1}' },
};
const NAMESPACE = {
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name: "team-a", labels: { "mcp-warden.dev/enforce": "true" } },
};

test("RBAC objects, ConfigMaps and Namespaces: mutated ones are read or refused with a code", async (t) => {
  await fuzz(
    t,
    fc.property(fc.integer({ min: 0, max: 3 }), mutations, (which, m) => {
      const run = [
        () => parseRbacObject(mutate(ROLE_BINDING, m), "team-a"),
        () => parseRbacObject(mutate(ROLE, m), "team-a"),
        () => parseConfigMap(mutate(CONFIG_MAP, m), "team-a"),
        () => parseNamespace(mutate(NAMESPACE, m)),
      ][which]!;
      returnsOrThrowsTyped(run, TYPED);
    }),
    150,
  );
});

const engine = {
  policy: defaultPolicyCompiled(),
  cluster: createClusterState({
    networkPolicies: [parseNetworkPolicy(NETWORK_POLICY, "team-a")],
    namespaces: [parseNamespace(NAMESPACE)],
  }),
  now: new Date("2026-12-05T00:00:00Z"),
  evidence: { forImage: () => undefined },
};

test("workloads of every kind, mutated: built or WORKLOAD_INVALID, and every one built is judged", async (t) => {
  await fuzz(
    t,
    fc.property(workload, fc.array(mutation, { maxLength: 4 }), (object, m) => {
      returnsOrThrowsTyped(() => {
        const built = toWorkload(mutate(object, m), "team-a");
        const decision = judgeWorkload(built, engine);
        assert.equal(typeof decision.allowed, "boolean");
      }, TYPED);
    }),
    150,
  );
});

const validImage = fc
  .tuple(
    fc.constantFrom("", "ghcr.io/", "localhost:5000/", "[::1]:5000/", "registry.example.com/"),
    fc.stringMatching(/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*){0,3}$/),
    fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { nil: undefined }),
    fc.option(fc.stringMatching(/^[0-9a-f]{64}$/), { nil: undefined }),
  )
  .map(
    ([host, path, tag, digest]) =>
      `${host}${path}${tag ? `:${tag}` : ""}${digest ? `@sha256:${digest}` : ""}`,
  );

test("image references, CIDRs and RFC 3339 times: any string is an answer, never a throw", async (t) => {
  await fuzz(
    t,
    fc.property(
      fc.oneof(
        hostileString,
        fc
          .tuple(validImage, fc.array(textMutation, { maxLength: 2 }))
          .map(([s, m]) => mutateText(s, m)),
      ),
      (text) => {
        returnsOrThrowsTyped(() => {
          const ref = parseImageReference(text);
          assert.equal(typeof ref.ok, "boolean");
          if (ref.ok) assert.ok(!/\s/.test(text), `${JSON.stringify(text)} has whitespace`);
        }, []);
        returnsOrThrowsTyped(() => parseCidr(text), []);
        returnsOrThrowsTyped(() => parseRfc3339(text), []);
      },
    ),
    300,
  );
});
