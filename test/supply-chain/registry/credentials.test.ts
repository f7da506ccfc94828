/** Registry credentials from Docker config files and Kubernetes image pull secrets. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  chainCredentials,
  fromDockerConfig,
  fromPullSecrets,
  normalizeRegistryHost,
  staticCredentials,
} from "../../../supply-chain/registry/credentials.ts";
import { RegistryError } from "../../../supply-chain/registry/errors.ts";
import { assertThrowsWithCode } from "../../support/throws.ts";

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

function problemsOf(fn: () => unknown): string[] {
  const err = assertThrowsWithCode(fn, "CREDENTIALS_INVALID", RegistryError);
  return err.problems.map((p) => `${p.path}: ${p.message}`);
}

test("docker config: auth, username/password and identitytoken entries", () => {
  const creds = fromDockerConfig({
    auths: {
      "https://index.docker.io/v1/": { auth: b64("hubuser:hub:pass") },
      "ghcr.io": { username: "octo", password: "ghp_x" },
      "acme.azurecr.io": { username: "00000000-0000-0000-0000-000000000000", identitytoken: "rt" },
      "http://127.0.0.1:5000/v2/": { auth: b64("local:pw") },
    },
    credsStore: "desktop",
  });
  assert.deepEqual(creds.forRegistry("docker.io"), { username: "hubuser", password: "hub:pass" });
  assert.deepEqual(creds.forRegistry("ghcr.io"), { username: "octo", password: "ghp_x" });
  assert.deepEqual(creds.forRegistry("acme.azurecr.io"), { identityToken: "rt" });
  assert.deepEqual(creds.forRegistry("127.0.0.1:5000"), { username: "local", password: "pw" });
  assert.equal(creds.forRegistry("127.0.0.1:5001"), undefined);
  assert.equal(creds.forRegistry("quay.io"), undefined);
});

test("docker config: the JSON text works too; Docker Hub keys all mean docker.io", () => {
  for (const key of [
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "https://index.docker.io/v1/",
  ]) {
    const creds = fromDockerConfig(JSON.stringify({ auths: { [key]: { auth: b64("u:p") } } }));
    for (const host of ["docker.io", "index.docker.io", "registry-1.docker.io"])
      assert.deepEqual(
        creds.forRegistry(host),
        { username: "u", password: "p" },
        `${key} → ${host}`,
      );
  }
  assert.equal(
    normalizeRegistryHost("HTTPS://Registry.Example.com:443/v2/"),
    "registry.example.com:443",
  );
});

test("docker config: kubelet-style repository prefixes and wildcard hosts, most specific first", () => {
  const creds = fromDockerConfig({
    auths: {
      "registry.example.com": { auth: b64("everyone:1") },
      "registry.example.com/team-a": { auth: b64("team-a:2") },
      "*.azurecr.io": { auth: b64("wild:3") },
      "acme.azurecr.io": { auth: b64("acme:4") },
    },
  });
  assert.equal(userOf(creds.forRegistry("registry.example.com", "team-a/crm")), "team-a");
  assert.equal(userOf(creds.forRegistry("registry.example.com", "team-a")), "team-a");
  assert.equal(userOf(creds.forRegistry("registry.example.com", "team-ab/crm")), "everyone");
  assert.equal(userOf(creds.forRegistry("registry.example.com")), "everyone");
  assert.equal(userOf(creds.forRegistry("other.azurecr.io")), "wild");
  assert.equal(userOf(creds.forRegistry("acme.azurecr.io")), "acme");
  assert.equal(creds.forRegistry("a.b.azurecr.io"), undefined, "* is one DNS label");
  assert.equal(creds.forRegistry("azurecr.io"), undefined);
});

function userOf(
  c: ReturnType<ReturnType<typeof fromDockerConfig>["forRegistry"]>,
): string | undefined {
  return c !== undefined && "username" in c ? c.username : undefined;
}

test("docker config: empty entries (left by credsStore) and configs without auths give no credentials", () => {
  assert.equal(fromDockerConfig({ auths: { "ghcr.io": {} } }).forRegistry("ghcr.io"), undefined);
  assert.equal(
    fromDockerConfig({ credHelpers: { "ghcr.io": "gh" } }).forRegistry("ghcr.io"),
    undefined,
  );
});

test("docker config: every bad field is reported", () => {
  assert.deepEqual(
    problemsOf(() =>
      fromDockerConfig({
        auths: {
          "a.example": { auth: "not base64!" },
          "b.example": { auth: b64("no-colon") },
          "c.example": { username: "only-user" },
          "d.example": { password: 42 },
          "e.example": "nope",
        },
      }),
    ),
    [
      "$.auths.a.example.auth: must be base64 of username:password",
      "$.auths.b.example.auth: must decode to username:password (no ':' or an empty username)",
      "$.auths.c.example: has a username or a password but not both",
      "$.auths.d.example.password: must be a string",
      "$.auths.e.example: must be an object",
    ],
  );
  assert.deepEqual(problemsOf(() => fromDockerConfig("{")).length, 1);
  assert.deepEqual(
    problemsOf(() => fromDockerConfig([])),
    ["$: must be a JSON object"],
  );
  assert.deepEqual(
    problemsOf(() => fromDockerConfig({ auths: [] })),
    ["$.auths: must be an object mapping registry hosts to credentials"],
  );
});

// Secrets as the Kubernetes API returns them (`kubectl create secret docker-registry` makes the first).
const dockerconfigjson = (name: string, auths: Record<string, unknown>): unknown => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace: "team-a" },
  type: "kubernetes.io/dockerconfigjson",
  data: { ".dockerconfigjson": b64(JSON.stringify({ auths })) },
});

test("pull secrets: dockerconfigjson and legacy dockercfg, earlier secrets first", () => {
  const creds = fromPullSecrets([
    dockerconfigjson("regcred", {
      "ghcr.io": {
        username: "octo",
        password: "first",
        email: "o@example.com",
        auth: b64("octo:first"),
      },
    }),
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "legacy", namespace: "team-a" },
      type: "kubernetes.io/dockercfg",
      data: {
        ".dockercfg": b64(
          JSON.stringify({
            "ghcr.io": { auth: b64("octo:second") },
            "https://quay.io": { auth: b64("robot:q"), email: "" },
          }),
        ),
      },
    },
  ]);
  assert.deepEqual(creds.forRegistry("ghcr.io"), { username: "octo", password: "first" });
  assert.deepEqual(creds.forRegistry("quay.io"), { username: "robot", password: "q" });
  assert.equal(creds.forRegistry("docker.io"), undefined);
  assert.equal(fromPullSecrets([]).forRegistry("ghcr.io"), undefined);
});

test("pull secrets: every bad secret and field is reported, named by namespace/name", () => {
  assert.deepEqual(
    problemsOf(() =>
      fromPullSecrets([
        { metadata: { name: "opaque", namespace: "team-a" }, type: "Opaque", data: {} },
        {
          metadata: { name: "empty", namespace: "team-a" },
          type: "kubernetes.io/dockerconfigjson",
          data: {},
        },
        {
          metadata: { name: "garbled", namespace: "team-a" },
          type: "kubernetes.io/dockerconfigjson",
          data: { ".dockerconfigjson": "%%%" },
        },
        {
          metadata: { name: "notjson", namespace: "team-a" },
          type: "kubernetes.io/dockerconfigjson",
          data: { ".dockerconfigjson": b64("{nope") },
        },
        dockerconfigjson("badauth", { "ghcr.io": { auth: b64("nocolon") } }),
        "not a secret",
      ]),
    ).map((p) => p.replace(/is not JSON: .*/, "is not JSON")),
    [
      'team-a/opaque.type: must be kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg, not "Opaque"',
      "team-a/empty.data[.dockerconfigjson]: is missing (must be base64 JSON)",
      "team-a/garbled.data[.dockerconfigjson]: must be base64",
      "team-a/notjson.data[.dockerconfigjson]: is not JSON",
      "team-a/badauth.data[.dockerconfigjson].auths.ghcr.io.auth: must decode to username:password (no ':' or an empty username)",
      "secrets[5]: must be a Secret object",
    ],
  );
});

test("sources combine in order", () => {
  const first = staticCredentials({ "ghcr.io": { username: "a", password: "1" } });
  const second = staticCredentials({
    "ghcr.io": { username: "b", password: "2" },
    "quay.io": { identityToken: "t" },
  });
  const chained = chainCredentials(first, second);
  assert.deepEqual(chained.forRegistry("ghcr.io"), { username: "a", password: "1" });
  assert.deepEqual(chained.forRegistry("quay.io"), { identityToken: "t" });
  assert.equal(chained.forRegistry("docker.io"), undefined);
});
