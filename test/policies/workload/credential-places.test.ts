/**
 * credentials/no-literal-secrets in every place a container takes a string: env values with
 * `$(VAR)` expanded as the kubelet does, command and args (flags, assignments, shell scripts), and
 * the keys of ConfigMaps read through env and envFrom when the ConfigMap is known.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfigMap, type ConfigMapObject } from "../../../policies/workload/config-map.ts";
import { createClusterState } from "../../../policies/workload/cluster-state.ts";
import { expandEnvReferences } from "../../../policies/workload/env-expansion.ts";
import { InputError } from "../../../policies/errors.ts";
import type { Finding } from "../../../policies/workload/rule.ts";
import { credentialRules } from "../../../policies/workload/rules/credentials.ts";
import { contextFor, inEveryKind } from "../../support/context.ts";
import { ALNUM, B64URL, seededRandom } from "../../support/fake-credentials.ts";

const random = seededRandom(0x5eed_c0de);
const rule = credentialRules.find((r) => r.id === "credentials/no-literal-secrets")!;

const GITHUB = `ghp_${random(36, ALNUM)}`;
const PASSWORD = random(14, ALNUM);
const BEARER = random(40, B64URL);

function configMap(name: string, data: Record<string, string>, namespace = "team-a") {
  return parseConfigMap({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace },
    data,
  });
}

function findings(container: Record<string, unknown>, configMaps: ConfigMapObject[] = []) {
  const object = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "x", namespace: "team-a" },
    spec: { containers: [{ name: "app", image: "x", ...container }] },
  };
  const ctx = contextFor(object);
  return rule.check({ ...ctx, cluster: createClusterState({ configMaps }) });
}

/** Paths and kinds, and that no message repeats a secret. */
function summary(found: Finding[], secrets: readonly string[]): [string, string][] {
  for (const f of found)
    for (const secret of secrets)
      assert.ok(!f.message.includes(secret), `${f.path}: the message repeats the secret`);
  return found.map((f) => [f.path, /holds a literal (.+?) \(/.exec(f.message)?.[1] ?? f.message]);
}

const C = "spec.containers[0]";

const places: {
  name: string;
  container: Record<string, unknown>;
  configMaps?: ConfigMapObject[];
  want: [path: string, kind: string][];
}[] = [
  {
    name: "a token in args and in command",
    container: { command: ["/bin/server", GITHUB], args: ["--verbose", `--upstream=${GITHUB}`] },
    want: [
      [`${C}.command[1]`, "GitHub token"],
      [`${C}.args[1]`, "GitHub token"],
    ],
  },
  {
    name: "a password after a flag, joined or as the next item",
    container: { args: ["--db-password", PASSWORD, "--port", "8080", `-admin-pass=${PASSWORD}`] },
    want: [
      [`${C}.args[1]`, "password"],
      [`${C}.args[4]`, "password"],
    ],
  },
  {
    name: "a NAME=value assignment and a Bearer header in a shell script",
    container: {
      command: ["sh", "-c"],
      args: [
        `export PGPASSWORD='${PASSWORD}' && psql -h db app`,
        `curl -H "Authorization: Bearer ${BEARER}" https://api.example.com`,
      ],
    },
    want: [
      [`${C}.args[0]`, "password"],
      [`${C}.args[1]`, "bearer token"],
    ],
  },
  {
    name: "values a shell computes are not literals",
    container: {
      command: ["sh", "-c"],
      args: [
        'export PGPASSWORD="$(cat /run/secrets/db/password)"; DB_PASS=${DB_PASS:-} exec server --api-key=$API_KEY',
      ],
    },
    want: [],
  },
  {
    name: "a DSN in an argument",
    container: { args: [`--dsn=postgres://app:${PASSWORD}@db:5432/app`] },
    want: [[`${C}.args[0]`, "password embedded in a URL"]],
  },
  {
    name: "a password assembled from an innocently named variable",
    container: {
      env: [
        { name: "P", value: PASSWORD },
        { name: "DATABASE_URL", value: "postgres://app:$(P)@db:5432/app" },
      ],
    },
    want: [[`${C}.env[1].value`, "password embedded in a URL"]],
  },
  {
    name: "a reference expanded into args and command",
    container: {
      env: [{ name: "UPSTREAM", value: BEARER }],
      command: ["/bin/server", "--header", "Authorization: Bearer $(UPSTREAM)"],
    },
    want: [[`${C}.command[2]`, "bearer token"]],
  },
  {
    name: "a token reported where it is written, not again where it is referenced",
    container: {
      env: [
        { name: "GITHUB_TOKEN", value: GITHUB },
        { name: "GH_COPY", value: "$(GITHUB_TOKEN)" },
      ],
      args: ["--token", "$(GITHUB_TOKEN)"],
    },
    want: [[`${C}.env[0].value`, "GitHub token"]],
  },
  {
    name: "references to a Secret, escaped references and later variables stay references",
    container: {
      env: [
        { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
        { name: "DATABASE_URL", value: "postgres://app:$(DB_PASSWORD)@db/app" },
        // Kubernetes expands only variables defined before: LATER is not known yet here.
        { name: "EARLY_URL", value: "postgres://app:$(LATER)@db/app" },
        { name: "LATER", value: PASSWORD },
        { name: "ESCAPED_URL", value: "postgres://app:$$(LATER)@db/app" },
      ],
      args: ["--password", "$(DB_PASSWORD)", "--db-password=$$(LATER)"],
    },
    want: [],
  },
  {
    name: "a ConfigMap key read through configMapKeyRef, by the variable's or the key's name",
    container: {
      env: [
        { name: "DATABASE_URL", valueFrom: { configMapKeyRef: { name: "db", key: "url" } } },
        { name: "DB_SETTING", valueFrom: { configMapKeyRef: { name: "db", key: "password" } } },
        { name: "DB_HOST", valueFrom: { configMapKeyRef: { name: "db", key: "host" } } },
      ],
    },
    configMaps: [
      configMap("db", {
        url: `mysql://root:${PASSWORD}@mysql:3306/app`,
        password: PASSWORD,
        host: "mysql",
      }),
    ],
    want: [
      [`${C}.env[0].valueFrom.configMapKeyRef`, "password embedded in a URL"],
      [`${C}.env[1].valueFrom.configMapKeyRef`, "password"],
    ],
  },
  {
    name: "a ConfigMap loaded with envFrom, its prefix naming the variables",
    container: { envFrom: [{ configMapRef: { name: "app" }, prefix: "APP_" }] },
    configMaps: [
      configMap("app", { LOG_LEVEL: "debug", SMTP_PASSWORD: PASSWORD, REGION: "eu-west-1" }),
    ],
    want: [[`${C}.envFrom[0].configMapRef`, "password"]],
  },
  {
    name: "a ConfigMap's value expanded into a later variable",
    container: {
      envFrom: [{ configMapRef: { name: "parts" } }],
      env: [{ name: "REDIS_URL", value: "redis://:$(R)@redis:6379/0" }],
    },
    configMaps: [configMap("parts", { R: PASSWORD })],
    want: [[`${C}.env[0].value`, "password embedded in a URL"]],
  },
  {
    name: "a ConfigMap that is not known, or in another namespace, is not judged",
    container: {
      env: [{ name: "DB_PASSWORD", valueFrom: { configMapKeyRef: { name: "db", key: "pw" } } }],
      envFrom: [{ configMapRef: { name: "elsewhere" } }],
    },
    configMaps: [configMap("elsewhere", { DB_PASSWORD: PASSWORD }, "team-b")],
    want: [],
  },
  {
    name: "public values in args: a public key, a digest, a UUID, a publishable key, a commit",
    container: {
      args: [
        "--tenant-id",
        "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b",
        `--image=ghcr.io/acme/mcp@sha256:${"ab12".repeat(16)}`,
        "--stripe-publishable-key",
        `pk_live_${random(24, ALNUM)}`,
        "--revision",
        "8f3c2a1b9d4e5f60718293a4b5c6d7e8f9012345",
        "--authorized-key",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops",
      ],
    },
    want: [],
  },
];

for (const p of places)
  test(`credentials/no-literal-secrets: ${p.name}`, () => {
    const found = findings(p.container, p.configMaps);
    assert.deepEqual(summary(found, [GITHUB, PASSWORD, BEARER]), p.want);
  });

test("each place is found through every workload kind's template path", () => {
  const container = {
    name: "app",
    image: "x",
    env: [{ name: "A", valueFrom: { configMapKeyRef: { name: "cfg", key: "token" } } }],
    args: [`--api-key=${GITHUB}`],
  };
  const configMaps = [configMap("cfg", { token: GITHUB })];
  for (const { kind, object, specPath } of inEveryKind({ initContainers: [container] })) {
    const ctx = contextFor(object);
    const found = rule.check({ ...ctx, cluster: createClusterState({ configMaps }) });
    assert.deepEqual(
      found.map((f) => f.path),
      [
        `${specPath}.initContainers[0].env[0].valueFrom.configMapKeyRef`,
        `${specPath}.initContainers[0].args[0]`,
      ],
      kind,
    );
  }
});

test("the finding names the ConfigMap key, or the variable a value was expanded from, as a related location", () => {
  const [fromConfigMap] = findings({ envFrom: [{ configMapRef: { name: "app" } }] }, [
    configMap("app", { API_TOKEN: GITHUB }),
  ]);
  assert.deepEqual(fromConfigMap?.related, [
    { kind: "ConfigMap", namespace: "team-a", name: "app", path: "data.API_TOKEN" },
  ]);
  assert.match(
    fromConfigMap?.message ?? "",
    /^container "app" envFrom\[0\] loads key "API_TOKEN" of ConfigMap "app" as API_TOKEN, which holds a literal GitHub token \(ghp_\*\*\*\*\)/,
  );
  const [expanded] = findings({
    env: [
      { name: "P", value: PASSWORD },
      { name: "DATABASE_URL", value: "postgres://app:$(P)@db/app" },
    ],
  });
  assert.deepEqual(expanded?.related, [
    { kind: "Pod", namespace: "team-a", name: "x", path: `${C}.env[0].value` },
  ]);
  assert.match(expanded?.message ?? "", /\(\*\*\*\*\) once \$\(P\) is expanded/);
  const [flag] = findings({ args: ["--db-password", PASSWORD] });
  assert.match(
    flag?.message ?? "",
    /^container "app" args\[1\] \(the value of --db-password\) holds a literal password \(\*\*\*\*\)/,
  );
});

test("$(VAR) expands as the kubelet expands it", () => {
  const vars: Record<string, string> = { A: "1", B: "two", EMPTY: "" };
  const lookup = (n: string) => vars[n];
  const cases: [input: string, value: string, used: string[]][] = [
    ["$(A)-$(B)", "1-two", ["A", "B"]],
    ["$(A)$(A)", "11", ["A"]],
    ["$$(A)", "$(A)", []],
    ["$$$(A)", "$1", ["A"]],
    ["$(MISSING)", "$(MISSING)", []],
    ["x$(EMPTY)y", "xy", ["EMPTY"]],
    ["$(A", "$(A", []],
    ["$()", "$()", []],
    ["$A ${A} $", "$A ${A} $", []],
    ["no references", "no references", []],
  ];
  for (const [input, value, used] of cases)
    assert.deepEqual(expandEnvReferences(input, lookup), { value, used }, input);
});

test("a ConfigMap is read as the API server admits it", () => {
  assert.deepEqual(
    parseConfigMap({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: null }),
    { kind: "ConfigMap", metadata: { name: "c", namespace: "default" } },
  );
  const bad: [object: Record<string, unknown>, path: string][] = [
    // YAML 1.1 reads an unquoted `yes` as a boolean; kubectl sends it so and the server refuses.
    [{ metadata: { name: "c" }, data: { ENABLED: true } }, "data.ENABLED"],
    [{ metadata: { name: "c" }, data: { "bad key": "x" } }, "data"],
    [{ metadata: { name: "c" }, data: { k: "x" }, binaryData: { k: "eA==" } }, "data.k"],
    [{ metadata: {} }, "metadata.name"],
  ];
  for (const [object, path] of bad)
    assert.throws(
      () => parseConfigMap({ apiVersion: "v1", kind: "ConfigMap", ...object }),
      (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.equal(e.code, "DOCUMENT_INVALID");
        assert.ok(
          e.problems.some((p) => p.path.startsWith(path)),
          JSON.stringify(e.problems),
        );
        return true;
      },
    );
});

test("while the ConfigMaps cannot be trusted, a container that reads one is denied and told why", () => {
  const object = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "x", namespace: "team-a" },
    spec: {
      containers: [
        {
          name: "app",
          image: "x",
          envFrom: [{ configMapRef: { name: "settings" } }],
          env: [
            { name: "A", valueFrom: { configMapKeyRef: { name: "settings", key: "a" } } },
            { name: "B", value: "plain" },
          ],
        },
      ],
    },
  };
  const why = "the configmaps watch has been failing for 90s";
  const cluster = createClusterState({
    configMaps: [configMap("settings", { a: "1" })],
    unavailable: { configMaps: why },
  });
  const found = rule.check({ ...contextFor(object), cluster });
  assert.deepEqual(
    found.map((f) => f.path),
    [`${C}.envFrom[0].configMapRef`, `${C}.env[0].valueFrom.configMapKeyRef`],
  );
  for (const f of found)
    assert.ok(f.message.endsWith(`cannot be judged for credentials now: ${why}`));
  // A container that reads no ConfigMap is judged as always.
  const plain = { ...object, spec: { containers: [{ name: "app", image: "x" }] } };
  assert.deepEqual(rule.check({ ...contextFor(plain), cluster }), []);
});
