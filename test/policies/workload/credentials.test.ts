import { test } from "node:test";
import assert from "node:assert/strict";
import type { Finding, Rule } from "../../../policies/workload/rule.ts";
import {
  credentialRules,
  detectCredential,
  shannonEntropy,
} from "../../../policies/workload/rules/credentials.ts";
import { contextFor, inEveryKind } from "../../support/context.ts";

function rule(id: string): Rule {
  const found = credentialRules.find((r) => r.id === id);
  assert.ok(found, `rule ${id} exists`);
  return found;
}

function run(id: string, object: unknown): Finding[] {
  return rule(id).check(contextFor(object));
}

// Fake credentials are generated here, in the shape of the real formats, so no secret-looking
// literal sits in the repository. A fixed seed keeps every run the same.
let seed = 0x2f6b_1d3c;
function random(length: number, alphabet: string): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    out += alphabet[(seed >>> 8) % alphabet.length];
  }
  return out;
}
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const ALNUM = UPPER + LOWER + DIGITS;
const B64URL = ALNUM + "-_";
const B64 = ALNUM + "+/";
const HEXCHARS = "0123456789abcdef";
const b64url = (json: unknown): string => Buffer.from(JSON.stringify(json)).toString("base64url");
const pem = (label: string): string =>
  `-----BEGIN ${label}-----\n${random(64, B64)}\n${random(64, B64)}\n-----END ${label}-----\n`;
const jwt = (header: Record<string, unknown>): string =>
  `${b64url(header)}.${b64url({ sub: "svc", iat: 1_700_000_000 })}.${random(43, B64URL)}`;

const detected: [name: string, value: string, kind: string][] = [
  ["GITHUB_TOKEN", `ghp_${random(36, ALNUM)}`, "GitHub token"],
  ["GH_OAUTH", `gho_${random(36, ALNUM)}`, "GitHub token"],
  ["APP_TOKEN", `ghs_${random(36, ALNUM)}`, "GitHub token"],
  ["USER_TO_SERVER", `ghu_${random(36, ALNUM)}`, "GitHub token"],
  ["REFRESH", `ghr_${random(36, ALNUM)}`, "GitHub token"],
  ["GH_PAT", `github_pat_${random(22, ALNUM)}_${random(59, ALNUM)}`, "GitHub fine-grained token"],
  ["AWS_ACCESS_KEY_ID", `AKIA${random(16, UPPER + DIGITS)}`, "AWS access key ID"],
  ["AWS_ID", `ASIA${random(16, UPPER + DIGITS)}`, "AWS access key ID"],
  [
    "SLACK_BOT",
    `xoxb-${random(12, DIGITS)}-${random(13, DIGITS)}-${random(24, ALNUM)}`,
    "Slack token",
  ],
  [
    "SLACK_USER",
    `xoxp-${random(12, DIGITS)}-${random(12, DIGITS)}-${random(32, HEXCHARS)}`,
    "Slack token",
  ],
  ["SLACK_A", `xoxa-2-${random(30, ALNUM)}`, "Slack token"],
  ["SLACK_R", `xoxr-${random(30, ALNUM)}`, "Slack token"],
  ["SLACK_S", `xoxs-${random(30, ALNUM)}`, "Slack token"],
  [
    "ALERTS_HOOK",
    `https://hooks.slack.com/services/T${random(8, UPPER + DIGITS)}/B${random(10, UPPER + DIGITS)}/${random(24, ALNUM)}`,
    "Slack webhook URL",
  ],
  ["OPENAI", `sk-${random(48, ALNUM)}`, "OpenAI API key"],
  ["OPENAI_PROJECT", `sk-proj-${random(120, B64URL)}`, "OpenAI API key"],
  ["CLAUDE", `sk-ant-api03-${random(93, B64URL)}AA`, "Anthropic API key"],
  ["MAPS", `AIza${random(35, B64URL)}`, "Google API key"],
  ["STRIPE", `sk_live_${random(24, ALNUM)}`, "Stripe secret key"],
  ["STRIPE_RESTRICTED", `rk_live_${random(24, ALNUM)}`, "Stripe secret key"],
  ["NPM", `npm_${random(36, ALNUM)}`, "npm token"],
  ["TLS", pem("RSA PRIVATE KEY"), "private key"],
  ["PKCS8", pem("PRIVATE KEY"), "private key"],
  ["SSH", pem("OPENSSH PRIVATE KEY"), "private key"],
  ["EC", pem("EC PRIVATE KEY"), "private key"],
  ["PKCS8_ENC", pem("ENCRYPTED PRIVATE KEY"), "private key"],
  ["SESSION", jwt({ alg: "HS256", typ: "JWT" }), "JWT"],
  ["UNSIGNED", `${b64url({ alg: "none" })}.${b64url({ sub: "x" })}.`, "JWT"],
  ["AUTH_HEADER", `Bearer ghp_${random(36, ALNUM)}`, "GitHub token"],
  ["DATABASE_URL", `postgres://app:${random(16, ALNUM)}@db:5432/app`, "password embedded in a URL"],
  ["REDIS_URL", `redis://:${random(12, ALNUM)}@redis:6379/0`, "password embedded in a URL"],
  ["BROKER", `amqp://guest:guest@rabbitmq:5672/`, "password embedded in a URL"],
  ["AWS_SECRET_ACCESS_KEY", random(40, B64), "high-entropy secret"],
  ["SIGNING_KEY", random(64, HEXCHARS), "high-entropy secret"],
  [
    "VENDOR_API_KEY",
    [8, 4, 4, 4, 12].map((n) => random(n, HEXCHARS)).join("-"),
    "high-entropy secret",
  ],
  ["WEBHOOK_SECRET", random(32, ALNUM), "high-entropy secret"],
  ["MCP_SERVER_TOKEN", random(24, B64URL), "high-entropy secret"],
  ["clientSecret", random(32, ALNUM), "high-entropy secret"],
  ["X_APIKEY_VALUE", random(20, ALNUM), "high-entropy secret"],
  ["SERVICE_CREDENTIALS", random(28, ALNUM), "high-entropy secret"],
  ["DB_PASSWORD", "changeme", "password"],
  ["ADMIN_PASSWD", random(10, ALNUM), "password"],
];

const benign: [name: string, value: string][] = [
  ["LOG_LEVEL", "debug"],
  ["API_URL", "https://api.example.com"],
  ["TOKEN_FILE", "/var/run/secrets/token"],
  ["MAX_KEYS", "100"],
  ["NODE_ENV", "production"],
  ["AWS_REGION", "eu-west-1"],
  ["HOME", "/home/app"],
  ["GIT_SHA", random(40, HEXCHARS)],
  ["IMAGE_DIGEST", `sha256:${random(64, HEXCHARS)}`],
  ["REQUEST_ID_HEADER", random(32, ALNUM)],
  ["CACHE_KEY", "user-profile-cache-v2"],
  ["SECRET_NAME", "mcp-server-credentials"],
  ["OPENAI_API_KEY", "your-api-key-goes-here"],
  ["OPENAI_API_KEY", "$(OPENAI_API_KEY_FROM_SECRET)"],
  ["GITHUB_TOKEN", "${GITHUB_TOKEN}"],
  ["SESSION_SECRET_FILE", "/run/secrets/session"],
  ["SIGNING_KEY", "./keys/signing.pem"],
  ["GOOGLE_APPLICATION_CREDENTIALS", "/var/run/secrets/gcp/key.json"],
  ["DATABASE_URL", "postgres://db.example.com:5432/app"],
  ["DATABASE_URL", "postgres://app:$(DB_PASSWORD)@db:5432/app"],
  ["DATABASE_URL", "postgres://app@db:5432/app"],
  ["MONGO_URL", "mongodb://mongo:27017/app?replicaSet=rs0"],
  ["REQUIRE_PASSWORD", "true"],
  ["PASSWORD_MIN_LENGTH", "12"],
  ["DB_PASSWORD", "/run/secrets/db-password"],
  ["AUTH_TOKEN_TTL", "3600"],
  ["TOKEN_REFRESH_INTERVAL", "30s"],
  ["API_KEY_HEADER", "X-Api-Key"],
  ["TOKEN_AUDIENCE", "https://mcp.example.com"],
  ["KMS_KEY", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
  ["ENCRYPTION_KEY", "projects/acme/locations/global/keyRings/ring/cryptoKeys/key1"],
  ["PUBLIC_KEY", `ssh-ed25519 ${random(68, B64)} deploy@example.com`],
  ["TASK", `task-${random(30, LOWER + DIGITS)}`],
  ["RISK", `risk-${random(30, ALNUM)}`],
  ["SKU", "sk-small"],
  ["FEATURE_FLAGS", "a.b.c"],
  ["JWT_ISSUER", "https://issuer.example.com"],
  ["ALGORITHM", "eyJ-is-how-json-starts.in.base64"],
  ["ENABLE_SECRET_SCANNING", "enabled"],
  ["API_TOKEN", "none"],
];

function pod(env: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { containers: [{ name: "app", image: "x", env, ...extra }] };
}

for (const [name, value, kind] of detected) {
  test(`detects ${name} as a ${kind}`, () => {
    assert.equal(detectCredential(name, value), kind);
  });
}

for (const [name, value] of benign) {
  test(`does not flag ${name}=${value.length > 40 ? value.slice(0, 40) + "…" : value}`, () => {
    assert.equal(detectCredential(name, value), undefined);
  });
}

test("shannonEntropy is zero for one symbol and log2(n) for n equally likely ones", () => {
  assert.equal(shannonEntropy("aaaa"), 0);
  assert.equal(shannonEntropy("abcd"), 2);
  assert.equal(shannonEntropy(HEXCHARS), 4);
});

test("credentials/no-literal-secrets flags every detected value, never echoing it", () => {
  const env = detected.map(([name, value]) => ({ name, value }));
  for (const { kind: workloadKind, object, specPath } of inEveryKind(pod(env))) {
    const findings = run("credentials/no-literal-secrets", object);
    assert.deepEqual(
      findings.map((f) => f.path),
      detected.map((_, j) => `${specPath}.containers[0].env[${j}].value`),
      workloadKind,
    );
    findings.forEach((f, j) => {
      const [name, value, kind] = detected[j]!;
      assert.equal(f.rule, "credentials/no-literal-secrets");
      assert.ok(f.message.includes(`env ${name} holds a literal ${kind}`), f.message);
      assert.ok(!f.message.includes(value), `message for ${name} echoes the value`);
      // Nor any recognisable piece of it.
      for (let i = 0; i + 10 <= value.length; i++) {
        const piece = value.slice(i, i + 10);
        assert.ok(!f.message.includes(piece), `message for ${name} echoes part of it`);
      }
    });
  }
});

test("credentials/no-literal-secrets passes benign values and values from references", () => {
  const env = [
    ...benign.map(([name, value]) => ({ name, value })),
    { name: "FROM_SECRET", valueFrom: { secretKeyRef: { name: "s", key: "k" } } },
    { name: "EMPTY", value: "" },
  ];
  for (const { kind, object } of inEveryKind(pod(env))) {
    assert.deepEqual(run("credentials/no-literal-secrets", object), [], kind);
  }
});

test("credentials/no-literal-secrets reads containers, init and ephemeral containers in every kind", () => {
  const token = `ghp_${random(36, ALNUM)}`;
  const spec = {
    containers: [
      { name: "app", image: "x", env: [{ name: "LOG_LEVEL", value: "info" }] },
      {
        name: "sidecar",
        image: "x",
        env: [
          { name: "A", value: "1" },
          { name: "GH", value: token },
        ],
      },
    ],
    initContainers: [
      { name: "init", image: "x", env: [{ name: "DB_PASSWORD", value: "hunter22" }] },
    ],
    ephemeralContainers: [
      { name: "debug", image: "x", env: [{ value: `AKIA${random(16, UPPER)}` }] },
    ],
  };
  for (const { kind, object, specPath } of inEveryKind(spec)) {
    const findings = run("credentials/no-literal-secrets", object);
    assert.deepEqual(
      findings.map((f) => [f.rule, f.path]),
      [
        ["credentials/no-literal-secrets", `${specPath}.containers[1].env[1].value`],
        ["credentials/no-literal-secrets", `${specPath}.initContainers[0].env[0].value`],
        ["credentials/no-literal-secrets", `${specPath}.ephemeralContainers[0].env[0].value`],
      ],
      kind,
    );
    assert.match(findings[0]!.message, /^container "sidecar" env GH holds a literal GitHub token/);
    assert.match(
      findings[1]!.message,
      /^init container "init" env DB_PASSWORD holds a literal password/,
    );
    assert.match(
      findings[2]!.message,
      /^ephemeral container "debug" env #0 holds a literal AWS access key ID/,
    );
    assert.ok(findings.every((f) => /Secret volume|workload identity/.test(f.message)));
  }
});

test("credentials/no-secret-env passes env from literals, ConfigMaps and the downward API", () => {
  const spec = pod(
    [
      { name: "A", value: "1" },
      { name: "B", valueFrom: { configMapKeyRef: { name: "cm", key: "b" } } },
      { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ],
    { envFrom: [{ configMapRef: { name: "cm" } }] },
  );
  for (const { kind, object } of inEveryKind(spec)) {
    assert.deepEqual(run("credentials/no-secret-env", object), [], kind);
  }
});

test("credentials/no-secret-env flags secretKeyRef and envFrom secretRef at their paths", () => {
  const spec = {
    containers: [
      {
        name: "app",
        image: "x",
        env: [
          { name: "A", value: "1" },
          { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
        ],
        envFrom: [{ configMapRef: { name: "cm" } }, { prefix: "X_", secretRef: { name: "api" } }],
      },
    ],
    initContainers: [{ name: "init", image: "x", envFrom: [{ secretRef: { name: "bootstrap" } }] }],
    ephemeralContainers: [
      {
        name: "debug",
        image: "x",
        env: [{ name: "T", valueFrom: { secretKeyRef: { name: "t", key: "token" } } }],
      },
    ],
  };
  for (const { kind, object, specPath } of inEveryKind(spec)) {
    const findings = run("credentials/no-secret-env", object);
    assert.deepEqual(
      findings.map((f) => [f.rule, f.path]),
      [
        ["credentials/no-secret-env", `${specPath}.containers[0].env[1].valueFrom.secretKeyRef`],
        ["credentials/no-secret-env", `${specPath}.containers[0].envFrom[1].secretRef`],
        ["credentials/no-secret-env", `${specPath}.initContainers[0].envFrom[0].secretRef`],
        [
          "credentials/no-secret-env",
          `${specPath}.ephemeralContainers[0].env[0].valueFrom.secretKeyRef`,
        ],
      ],
      kind,
    );
    assert.match(findings[0]!.message, /env DB_PASSWORD reads key "password" of Secret "db"/);
    assert.match(findings[1]!.message, /envFrom\[1\] loads every key of Secret "api"/);
    for (const f of findings) {
      assert.match(f.message, /projected or secret volume/);
      assert.match(f.message, /workload identity/);
    }
  }
});
