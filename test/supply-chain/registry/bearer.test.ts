/**
 * The registry client's Bearer flow end to end: Debian's docker-registry (distribution 2.8) in
 * `auth: token` mode, verifying tokens itself, and a test token issuer (test/support/
 * token-issuer.ts) whose signing certificate chains to the registry's `rootcertbundle`.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { RegistryClient } from "../../../supply-chain/registry/client.ts";
import { staticCredentials } from "../../../supply-chain/registry/credentials.ts";
import { RegistryError } from "../../../supply-chain/registry/errors.ts";
import {
  EMPTY_DESCRIPTOR,
  EMPTY_JSON,
  MEDIA_TYPES,
  digestOf,
} from "../../../supply-chain/registry/types.ts";
import { SKIP_NO_REGISTRY, startRegistry } from "../../support/registry-server.ts";
import type { RegistryServer } from "../../support/registry-server.ts";
import { startTokenIssuer } from "../../support/token-issuer.ts";
import type { TokenIssuer, TokenIssuerOptions } from "../../support/token-issuer.ts";
import { assertRejectsWithCode } from "../../support/throws.ts";

const skip = SKIP_NO_REGISTRY;
const REPO = "team/app";
const OTHER = "other/repo";
const PULL = `repository:${REPO}:pull`;
const PUSH = `repository:${REPO}:pull,push`;
const USERS: TokenIssuerOptions["users"] = {
  alice: { password: "alice-pw", repositories: { [REPO]: ["pull", "push"] } },
  bob: { password: "bob-pw", repositories: { [OTHER]: ["pull", "push"] } },
};

async function startPair(
  opts: Partial<TokenIssuerOptions> = {},
): Promise<{ issuer: TokenIssuer; registry: RegistryServer; stop: () => Promise<void> }> {
  const issuer = await startTokenIssuer({ users: USERS, ...opts });
  try {
    const registry = await startRegistry({
      token: {
        realm: issuer.realm,
        service: issuer.service,
        issuer: issuer.issuer,
        rootCertBundlePem: issuer.rootCertBundlePem,
      },
    });
    return {
      issuer,
      registry,
      stop: async () => {
        await registry.stop();
        await issuer.stop();
      },
    };
  } catch (err) {
    await issuer.stop();
    throw err;
  }
}

function clientFor(registry: RegistryServer, username: string, password: string): RegistryClient {
  return new RegistryClient({
    credentials: staticCredentials({ [registry.host]: { username, password } }),
    timeoutMs: 5000,
    retries: 0,
  });
}

function manifestFor(layer: { digest: string; size: number }): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      artifactType: "application/vnd.mcp-warden.test",
      config: EMPTY_DESCRIPTOR,
      layers: [{ mediaType: "text/plain", digest: layer.digest, size: layer.size }],
    }),
  );
}

describe("Bearer tokens against distribution 2.8 in token mode", { skip, timeout: 30_000 }, () => {
  let pair: Awaited<ReturnType<typeof startPair>>;
  before(async () => {
    pair = await startPair();
  });
  after(async () => {
    await pair?.stop();
  });

  test("pushes and reads back with tokens, asking only for the scopes it needs, reusing them", async () => {
    const { issuer, registry } = pair;
    const client = clientFor(registry, "alice", "alice-pw");
    const repo = `${registry.host}/${REPO}`;
    const start = issuer.requests().length;

    await client.pushBlob(repo, EMPTY_JSON, MEDIA_TYPES.ociEmpty);
    const payload = new TextEncoder().encode("hello from the token flow\n");
    const layer = await client.pushBlob(repo, payload, "text/plain");
    const manifest = manifestFor(layer);
    const pushed = await client.pushManifest(repo, "v1", manifest, MEDIA_TYPES.ociManifest);
    assert.equal(pushed.descriptor.digest, digestOf(manifest));
    const afterPush = issuer.requests().slice(start);

    const fetched = await client.getManifest(repo, "v1");
    assert.equal(fetched.digest, digestOf(manifest));
    assert.deepEqual(fetched.bytes, manifest);
    assert.deepEqual(await client.getBlob(repo, layer.digest), payload);
    const resolved = await client.resolve(`${repo}:v1`);
    assert.equal(resolved.digest, digestOf(manifest));
    assert.deepEqual(await client.getBlob(repo, layer.digest), payload);
    const all = issuer.requests().slice(start);

    // Push: one token for pull,push (the registry's challenge scope merged in), for both blobs and
    // the manifest; pull: one more token for pull, reused by every read after it.
    assert.equal(afterPush.length, 1, JSON.stringify(afterPush));
    assert.equal(all.length, 2, JSON.stringify(all));
    for (const r of all) {
      assert.equal(r.user, "alice");
      assert.equal(r.issued, true);
      assert.equal(r.service, issuer.service);
    }
    assert.ok(all[0]?.scopes.includes(PUSH), JSON.stringify(all[0]));
    assert.deepEqual(
      new Set(all[0]?.scopes),
      new Set(all[0]?.scopes.filter((s) => s === PUSH || s === PULL)),
    );
    assert.deepEqual(all[1]?.scopes, [PULL]);
    // Granted exactly what was asked, scope by scope.
    assert.deepEqual(
      all[0]?.access,
      all[0]?.scopes.map((s) => ({
        type: "repository",
        name: REPO,
        actions: s === PUSH ? ["pull", "push"] : ["pull"],
      })),
    );
    assert.deepEqual(all[1]?.access, [{ type: "repository", name: REPO, actions: ["pull"] }]);

    // A second client starts without a challenge: one token, then reused.
    const reader = clientFor(registry, "alice", "alice-pw");
    const before2 = issuer.requests().length;
    await reader.getManifest(repo, "v1");
    await reader.getBlob(repo, layer.digest);
    await reader.getManifest(repo, pushed.descriptor.digest);
    const readerRequests = issuer.requests().slice(before2);
    assert.equal(readerRequests.length, 1, JSON.stringify(readerRequests));
    assert.deepEqual(readerRequests[0]?.scopes, [PULL]);
  });

  test("a wrong password ends in UNAUTHORIZED after one token request", async () => {
    const { issuer, registry } = pair;
    const client = clientFor(registry, "alice", "wrong");
    const start = issuer.requests().length;
    await assertRejectsWithCode(
      client.getManifest(`${registry.host}/${REPO}`, "v1"),
      "UNAUTHORIZED",
      RegistryError,
    );
    const seen = issuer.requests().slice(start);
    assert.equal(seen.length, 1, JSON.stringify(seen));
    assert.equal(seen[0]?.issued, false);
    assert.equal(seen[0]?.user, "alice");
  });

  test("an unknown user is refused by the token service", async () => {
    const { issuer, registry } = pair;
    const client = clientFor(registry, "mallory", "mallory-pw");
    const start = issuer.requests().length;
    await assertRejectsWithCode(
      client.getBlob(`${registry.host}/${REPO}`, digestOf(EMPTY_JSON)),
      "UNAUTHORIZED",
      RegistryError,
    );
    assert.equal(issuer.requests().length - start, 1);
  });

  test("a user whose token grants nothing here is refused by the registry, not looped", async () => {
    const { issuer, registry } = pair;
    // bob may use OTHER only: his token for REPO has an empty access list.
    const client = clientFor(registry, "bob", "bob-pw");
    const start = issuer.requests().length;
    await assertRejectsWithCode(
      client.getManifest(`${registry.host}/${REPO}`, "v1"),
      "UNAUTHORIZED",
      RegistryError,
    );
    const seen = issuer.requests().slice(start);
    assert.equal(seen.length, 1, JSON.stringify(seen));
    assert.equal(seen[0]?.issued, true);
    assert.deepEqual(seen[0]?.access, []);
  });
});

describe("a token naming another repository", { skip, timeout: 30_000 }, () => {
  test("does not let the client read this one: the registry refuses, the client errors", async () => {
    // The issuer authenticates alice but names OTHER in every token it issues.
    const pair = await startPair({ misissue: OTHER });
    try {
      const { issuer, registry } = pair;
      const client = clientFor(registry, "alice", "alice-pw");
      const started = Date.now();
      await assertRejectsWithCode(
        client.getManifest(`${registry.host}/${REPO}`, "v1"),
        "UNAUTHORIZED",
        RegistryError,
      );
      await assertRejectsWithCode(
        client.pushBlob(`${registry.host}/${REPO}`, EMPTY_JSON, MEDIA_TYPES.ociEmpty),
        "UNAUTHORIZED",
        RegistryError,
      );
      assert.ok(Date.now() - started < 5000, "refused promptly");
      const seen = issuer.requests();
      // Bounded, no loop: getManifest fetches one token after the first challenge. pushBlob,
      // with the challenge remembered, fetches one up front and, when the registry refuses it,
      // exactly one fresh token before giving up.
      assert.equal(seen.length, 3, JSON.stringify(seen));
      for (const r of seen) {
        assert.equal(r.issued, true);
        assert.ok(r.access.every((a) => a.name === OTHER));
      }
      assert.match(registry.logs(), /insufficient|scope|authorization/i);
    } finally {
      await pair.stop();
    }
  });
});
