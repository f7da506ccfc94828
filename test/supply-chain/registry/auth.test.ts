/**
 * The pure parts of the registry client: WWW-Authenticate parsing, token requests and responses,
 * size-bounded reads and manifest validation. The challenges are the ones public registries send.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  Authenticator,
  parseTokenResponse,
  parseWwwAuthenticate,
  pickChallenge,
  repositoryScope,
  tokenRequest,
} from "../../../supply-chain/registry/auth.ts";
import { RegistryError } from "../../../supply-chain/registry/errors.ts";
import { staticCredentials } from "../../../supply-chain/registry/credentials.ts";
import { Transport, readBounded } from "../../../supply-chain/registry/http.ts";
import type { CallContext } from "../../../supply-chain/registry/http.ts";
import {
  EMPTY_DESCRIPTOR,
  EMPTY_JSON,
  MEDIA_TYPES,
  artifactTypeOf,
  digestOf,
  parseDigest,
  parseManifest,
} from "../../../supply-chain/registry/types.ts";
import { assertRejectsWithCode } from "../../support/throws.ts";

test("parses Docker Hub, GHCR, Quay, ECR and distribution challenges", () => {
  assert.deepEqual(
    parseWwwAuthenticate(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
    ),
    [
      {
        scheme: "bearer",
        params: {
          realm: "https://auth.docker.io/token",
          service: "registry.docker.io",
          scope: "repository:library/nginx:pull",
        },
      },
    ],
  );
  assert.deepEqual(
    parseWwwAuthenticate(
      'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/crm:pull,push"',
    )[0]?.params.scope,
    "repository:acme/crm:pull,push",
  );
  assert.deepEqual(
    parseWwwAuthenticate('Bearer realm="https://quay.io/v2/auth",service="quay.io"'),
    [{ scheme: "bearer", params: { realm: "https://quay.io/v2/auth", service: "quay.io" } }],
  );
  assert.deepEqual(
    parseWwwAuthenticate(
      'Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"',
    ),
    [
      {
        scheme: "basic",
        params: {
          realm: "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",
          service: "ecr.amazonaws.com",
        },
      },
    ],
  );
  assert.deepEqual(parseWwwAuthenticate('Basic realm="mcp-warden-test"'), [
    { scheme: "basic", params: { realm: "mcp-warden-test" } },
  ]);
  const insufficient = parseWwwAuthenticate(
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nope:pull",error="insufficient_scope"',
  );
  assert.equal(insufficient[0]?.params.error, "insufficient_scope");
});

test("parses several challenges, spacing, case, token values, escapes and token68", () => {
  const challenges = parseWwwAuthenticate(
    'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple", BEARER  Realm = "https://a.example/t" , Scope="x:y:pull,push"',
  );
  assert.deepEqual(challenges, [
    { scheme: "newauth", params: { realm: "apps", type: "1", title: 'Login to "apps"' } },
    { scheme: "basic", params: { realm: "simple" } },
    { scheme: "bearer", params: { realm: "https://a.example/t", scope: "x:y:pull,push" } },
  ]);
  assert.equal(pickChallenge(challenges)?.scheme, "bearer");
  assert.deepEqual(parseWwwAuthenticate("Negotiate abc123==, Basic"), [
    { scheme: "negotiate", params: {}, token68: "abc123==" },
    { scheme: "basic", params: {} },
  ]);
  assert.deepEqual(parseWwwAuthenticate(""), []);
  assert.deepEqual(parseWwwAuthenticate('Bearer realm="unterminated'), [
    { scheme: "bearer", params: { realm: "unterminated" } },
  ]);
  // A Bearer challenge without a realm cannot be answered; Basic is the fallback.
  assert.equal(
    pickChallenge(parseWwwAuthenticate('Bearer service="x", Basic realm="r"'))?.scheme,
    "basic",
  );
  assert.equal(pickChallenge(parseWwwAuthenticate('Digest realm="r"')), undefined);
});

test("token requests: GET with service, merged scopes and Basic credentials", () => {
  const [challenge] = parseWwwAuthenticate(
    'Bearer realm="https://auth.docker.io/token?client=x",service="registry.docker.io",scope="repository:library/nginx:pull"',
  );
  assert.ok(challenge);
  const req = tokenRequest(challenge, [repositoryScope("library/nginx", true)], {
    username: "alice",
    password: "p:ss",
  });
  assert.equal(req.method, "GET");
  assert.equal(req.url.origin + req.url.pathname, "https://auth.docker.io/token");
  assert.equal(req.url.searchParams.get("client"), "x");
  assert.equal(req.url.searchParams.get("service"), "registry.docker.io");
  assert.deepEqual(req.url.searchParams.getAll("scope"), [
    "repository:library/nginx:pull",
    "repository:library/nginx:pull,push",
  ]);
  assert.equal(req.headers.authorization, `Basic ${Buffer.from("alice:p:ss").toString("base64")}`);

  const anonymous = tokenRequest(challenge, ["repository:library/nginx:pull"], undefined);
  assert.deepEqual(anonymous.headers, {});
  assert.deepEqual(anonymous.url.searchParams.getAll("scope"), ["repository:library/nginx:pull"]);
});

test("token requests: an identity token is an OAuth2 refresh-token grant", () => {
  const [challenge] = parseWwwAuthenticate(
    'Bearer realm="https://acme.azurecr.io/oauth2/token",service="acme.azurecr.io"',
  );
  assert.ok(challenge);
  const req = tokenRequest(challenge, ["repository:app:pull"], { identityToken: "refresh-me" });
  assert.equal(req.method, "POST");
  assert.equal(req.url.href, "https://acme.azurecr.io/oauth2/token");
  assert.equal(req.headers["content-type"], "application/x-www-form-urlencoded");
  assert.equal(req.headers.authorization, undefined);
  const form = new URLSearchParams(req.body);
  assert.equal(form.get("grant_type"), "refresh_token");
  assert.equal(form.get("refresh_token"), "refresh-me");
  assert.equal(form.get("service"), "acme.azurecr.io");
  assert.equal(form.get("scope"), "repository:app:pull");
});

test("token responses: token or access_token, expiry with the spec's 60 s minimum", () => {
  const now = 1_000_000;
  assert.deepEqual(parseTokenResponse({ token: "t", expires_in: 300 }, now), {
    token: "t",
    expiresAt: now + 295_000,
  });
  assert.equal(parseTokenResponse({ access_token: "a" }, now)?.token, "a");
  assert.equal(parseTokenResponse({ token: "", access_token: "a" }, now)?.token, "a");
  assert.equal(parseTokenResponse({ token: "t", expires_in: 1 }, now)?.expiresAt, now + 55_000);
  assert.equal(parseTokenResponse({ expires_in: 300 }, now), undefined);
  assert.equal(parseTokenResponse("token", now), undefined);
  assert.equal(parseTokenResponse(null, now), undefined);
});

function ctx(): CallContext {
  return {
    registry: "r.example",
    repository: "app",
    operation: "getBlob",
    signal: AbortSignal.timeout(5000),
    timeoutMs: 5000,
  };
}

test("readBounded stops an endless body at the limit, reading only a little past it", async () => {
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new Uint8Array(1024));
    },
  });
  await assertRejectsWithCode(
    readBounded(new Response(endless), 10 * 1024, ctx(), "blob"),
    "TOO_LARGE",
    RegistryError,
  );
  assert.ok(pulled <= 13, `pulled ${pulled} chunks`);

  // A declared Content-Length over the limit is refused before reading anything.
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      started = true;
      controller.close();
    },
  });
  const declared = new Response(body, { headers: { "content-length": "999999" } });
  await assertRejectsWithCode(
    readBounded(declared, 1024, ctx(), "manifest"),
    "TOO_LARGE",
    RegistryError,
  );
  assert.equal(started, false);

  const exact = await readBounded(new Response(new Uint8Array(1024)), 1024, ctx(), "blob");
  assert.equal(exact.byteLength, 1024);
});

test("digests: parsing and hashing", () => {
  assert.equal(digestOf(EMPTY_JSON), EMPTY_DESCRIPTOR.digest);
  assert.deepEqual(parseDigest(EMPTY_DESCRIPTOR.digest), {
    algorithm: "sha256",
    hex: EMPTY_DESCRIPTOR.digest.slice(7),
  });
  assert.equal(digestOf(EMPTY_JSON, "sha512").length, 7 + 128);
  assert.equal(parseDigest("sha256:ABC"), undefined);
  assert.equal(parseDigest(`sha256:${"A".repeat(64)}`), undefined);
  assert.equal(parseDigest(`md5:${"a".repeat(32)}`), undefined);
});

test("manifests: validated, every problem reported, artifact type derived", () => {
  const artifact = parseManifest({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: {
      mediaType: "application/vnd.acme.config+json",
      digest: EMPTY_DESCRIPTOR.digest,
      size: 2,
    },
    layers: [],
  });
  assert.ok(artifact.ok);
  assert.equal(artifactTypeOf(artifact.value), "application/vnd.acme.config+json");

  const index = parseManifest({ schemaVersion: 2, manifests: [] }, MEDIA_TYPES.ociIndex);
  assert.ok(index.ok && "manifests" in index.value);
  assert.equal(index.ok && artifactTypeOf(index.value), undefined);

  const bad = parseManifest({
    schemaVersion: 1,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: "", digest: "nope", size: -1 },
    layers: [{ mediaType: "x", digest: EMPTY_DESCRIPTOR.digest, size: 2, annotations: { a: 1 } }],
    subject: "sha256:abc",
  });
  assert.ok(!bad.ok);
  assert.deepEqual(
    bad.problems.map((p) => p.path),
    [
      "$.schemaVersion",
      "$.subject",
      "$.config.mediaType",
      "$.config.digest",
      "$.config.size",
      "$.layers[0].annotations.a",
    ],
  );
  const served = parseManifest(
    { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] },
    MEDIA_TYPES.ociManifest,
  );
  assert.ok(!served.ok);
  assert.equal(served.problems[0]?.path, "$.mediaType");
});

test("tokens are cached per registry and scope until they expire", async () => {
  // A loopback token endpoint that hands out numbered opaque tokens and records each request
  // (for a registry on loopback too: a public one may not send us to loopback).
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? "");
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ token: `t${requests.length}`, expires_in: 120 }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let now = 0;
  const auth = new Authenticator({
    credentials: staticCredentials({ "localhost:5000": { username: "u", password: "p" } }),
    transport: new Transport({ insecure: [], retries: 0 }),
    now: () => now,
  });
  const context = { ...ctx(), registry: "localhost:5000", operation: "resolve" };
  const pull = repositoryScope("app", false);
  const push = repositoryScope("app", true);
  try {
    assert.equal(
      await auth.authorization(pull, context),
      undefined,
      "anonymous before a challenge",
    );
    const challenge = `Bearer realm="http://127.0.0.1:${port}/token",service="localhost:5000"`;
    assert.equal(await auth.respond(challenge, pull, context), "Bearer t1");
    assert.equal(await auth.authorization(pull, context), "Bearer t1", "cached");
    assert.equal(
      await auth.authorization(push, context),
      "Bearer t2",
      "another scope, another token",
    );
    assert.equal(await auth.authorization(pull, context), "Bearer t1");
    now = 116_000; // past expires_in minus the safety margin
    assert.equal(await auth.authorization(pull, context), "Bearer t3", "expired, fetched again");
    // A fresh 401 for a cached token gets a new one.
    assert.equal(await auth.respond(challenge, pull, context), "Bearer t4");
    assert.equal(requests.length, 4);
    assert.deepEqual(new URL(requests[1] ?? "", "http://x").searchParams.getAll("scope"), [push]);
  } finally {
    server.close();
  }
});
