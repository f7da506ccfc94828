import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import type { Finding, Rule } from "../../../policies/workload/rule.ts";
import {
  credentialRules,
  detectCredential,
  shannonEntropy,
} from "../../../policies/workload/rules/credentials.ts";
import { contextFor, inEveryKind } from "../../support/context.ts";
import {
  ALNUM,
  B64,
  B64URL,
  DIGITS,
  HEXCHARS,
  LOWER,
  seededRandom,
  UPPER,
} from "../../support/fake-credentials.ts";

function rule(id: string): Rule {
  const found = credentialRules.find((r) => r.id === id);
  assert.ok(found, `rule ${id} exists`);
  return found;
}

function run(id: string, object: unknown): Finding[] {
  return rule(id).check(contextFor(object));
}

const random = seededRandom(0x2f6b_1d3c);
const b64url = (json: unknown): string => Buffer.from(JSON.stringify(json)).toString("base64url");
const pem = (label: string): string =>
  `-----BEGIN ${label}-----\n${random(64, B64)}\n${random(64, B64)}\n-----END ${label}-----\n`;
const ecKey = generateKeyPairSync("ec", { namedCurve: "P-256" });
const der = (type: "spki" | "pkcs8") =>
  (type === "spki"
    ? ecKey.publicKey.export({ type, format: "der" })
    : ecKey.privateKey.export({ type, format: "der" })
  ).toString("base64");
const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
// An OpenSSH ed25519 public key blob: the length-prefixed type name, then the key.
const sshBlob = () =>
  Buffer.concat([
    u32(11),
    Buffer.from("ssh-ed25519"),
    u32(32),
    Buffer.from(random(32, ALNUM)),
  ]).toString("base64");
const uuid = () => [8, 4, 4, 4, 12].map((n) => random(n, HEXCHARS)).join("-");
const base64 = (text: string) => Buffer.from(text).toString("base64");
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
  // Passphrases and password names in every spelling.
  ["DB_PASSWORD", "correct horse battery staple", "password"],
  ["SIGNING_PASSPHRASE", "four words in a row", "password"],
  ["db_password", random(10, ALNUM), "password"],
  ["dbPassword", random(10, ALNUM), "password"],
  ["PGPASSWORD", random(10, ALNUM), "password"],
  ["REDIS_PASS", random(10, ALNUM), "password"],
  ["smtp-pwd", random(10, ALNUM), "password"],
  ["JWT_SECRET", "the quick brown fox signs tokens", "passphrase"],
  ["sessionSecret", "two words", "passphrase"],
  ["api_key", random(32, ALNUM), "high-entropy secret"],
  ["apiKey", random(32, ALNUM), "high-entropy secret"],
  ["authToken", random(32, B64URL), "high-entropy secret"],
  ["SECRET", random(32, ALNUM), "high-entropy secret"],
  ["SIGNING_KEY", der("pkcs8"), "high-entropy secret"],
  // Connection strings and DSNs.
  [
    "AZURE_STORAGE_CONNECTION_STRING",
    `DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${random(86, B64)}==;EndpointSuffix=core.windows.net`,
    "Azure storage account key",
  ],
  [
    "SERVICE_BUS",
    `Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${random(43, B64)}=`,
    "Azure shared access key",
  ],
  [
    "BLOB_SAS_URL",
    `https://acme.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=o&sp=r&se=2027-01-01T00:00:00Z&sig=${random(43, B64)}%3D`,
    "Azure shared access signature",
  ],
  [
    "SQL_CONNECTION",
    `Server=tcp:acme.database.windows.net,1433;Database=app;User ID=app;Password=${random(14, ALNUM)};Encrypt=True`,
    "password in a connection string",
  ],
  [
    "LEGACY_DB",
    `Data Source=db;Initial Catalog=app;Uid=sa;Pwd=${random(12, ALNUM)};`,
    "password in a connection string",
  ],
  [
    "PG_DSN",
    `host=db port=5432 dbname=app user=app password=${random(12, ALNUM)}`,
    "password in a connection string",
  ],
  [
    "JDBC_URL",
    `jdbc:mysql://db:3306/app?user=app&password=${random(12, ALNUM)}`,
    "password in a connection string",
  ],
  [
    "MONGO_URL",
    `mongodb+srv://app:${random(16, ALNUM)}@cluster0.example.mongodb.net/app`,
    "password embedded in a URL",
  ],
  ["MYSQL_URL", `mysql://root:${random(12, ALNUM)}@mysql:3306/app`, "password embedded in a URL"],
  [
    "SQLALCHEMY_DATABASE_URI",
    `postgresql+psycopg2://app:${random(12, ALNUM)}@db/app`,
    "password embedded in a URL",
  ],
  ["AMQP", `amqps://svc:${random(12, ALNUM)}@mq.example.com/vhost`, "password embedded in a URL"],
  // Authorization values, whatever the variable is called.
  ["UPSTREAM", `Bearer ${random(40, B64URL)}`, "bearer token"],
  ["HEADERS", `Authorization: bearer ${random(32, ALNUM)}.${random(20, ALNUM)}`, "bearer token"],
  ["UPSTREAM", `Basic ${base64(`svc:${random(14, ALNUM)}`)}`, "HTTP Basic credentials"],
  // Encoded configuration is judged by what it holds.
  [
    "CONFIG_SECRET",
    base64(JSON.stringify({ db: `postgres://app:${random(12, ALNUM)}@db/app` })),
    "password embedded in a URL (base64-encoded)",
  ],
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
  // Public values that look random.
  ["STRIPE_PUBLISHABLE_KEY", `pk_live_${random(24, ALNUM)}`],
  ["STRIPE_KEY", `pk_live_${random(24, ALNUM)}`],
  ["SSH_KEY", `ssh-ed25519 ${sshBlob()} deploy@example.com`],
  ["SSH_HOST_KEY", sshBlob()],
  ["JWT_VERIFY_KEY", ecKey.publicKey.export({ type: "spki", format: "pem" }).toString()],
  ["VERIFY_KEY", der("spki")],
  ["CACHE_KEY", `sha256:${random(64, HEXCHARS)}`],
  ["ARTIFACT_KEY", `sha512:${random(128, HEXCHARS)}`],
  ["TENANT_ID", uuid()],
  ["CLIENT_ID", uuid()],
  ["SIGNING_KEY_ID", uuid()],
  ["CORRELATION_ID", uuid()],
  ["BUILD_COMMIT", random(40, HEXCHARS)],
  ["CONFIG_TOKEN", base64(JSON.stringify({ logLevel: "debug", region: "eu-west-1" }))],
  // References and placeholders where a credential would go.
  ["AUTH_HEADER", "Bearer $(API_TOKEN)"],
  ["AUTH_HEADER", "Bearer ${API_TOKEN}"],
  ["AUTH_HEADER", "Bearer YOUR_TOKEN_HERE"],
  ["AUTH_HEADER", "Bearer <token>"],
  ["AUTH_SCHEME", "Bearer token"],
  ["SQL_CONNECTION", "Server=db;Database=app;User ID=app;Password=$(DB_PASSWORD)"],
  ["SQL_CONNECTION", "Server=db;Database=app;Integrated Security=true"],
  ["PG_DSN", "host=db dbname=app user=app password="],
  ["REDIS_URL", "redis://:$(REDIS_PASSWORD)@redis:6379/0"],
  ["DB_PASSWORD", "$(DB_PASSWORD_FROM_SECRET)"],
  ["DB_PASSWORD", "${DB_PASSWORD}"],
  ["DB_PASSWORD", "$DB_PASSWORD"],
  ["TLS_SECRET", "mcp-server-tls"],
  ["ENABLE_SECRET", "true"],
  ["API_KEY", "your api key here"],
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
  // One container each: a container's variables expand into each other's `$(VAR)`.
  const spec = {
    containers: benign.map(([name, value], i) => ({
      name: `c${i}`,
      image: "x",
      env: [
        { name: "FROM_SECRET", valueFrom: { secretKeyRef: { name: "s", key: "k" } } },
        { name: "EMPTY", value: "" },
        { name, value },
      ],
    })),
  };
  for (const { kind, object } of inEveryKind(spec)) {
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
