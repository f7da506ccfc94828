/**
 * Every reader of supply-chain input, fed damaged real files: it returns a value or throws the
 * project's typed error (a WardenError with a code), never a TypeError or a blown stack, and no
 * input hangs it.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { WardenError } from "../../../policies/errors.ts";
import { parseLockfile } from "../../../supply-chain/scan/lockfiles/index.ts";
import { parseOsvRecord } from "../../../supply-chain/scan/osv/record.ts";
import { packagesOfCycloneDx } from "../../../supply-chain/scan/cyclonedx.ts";
import { parseManifest } from "../../../supply-chain/registry/types.ts";
import { parseTokenResponse, parseWwwAuthenticate } from "../../../supply-chain/registry/auth.ts";
import { checkBundle } from "../../../supply-chain/verify/bundle-check.ts";
import { keyId } from "../../../supply-chain/verify/trusted-keys.ts";
import { keySigner } from "../../../supply-chain/sign/key-signer.ts";
import { signStatement } from "../../../supply-chain/sign/statement-bundle.ts";
import { readGoBuildInfo } from "../../../supply-chain/image/go-buildinfo.ts";
import { fromDockerConfig, fromPullSecrets } from "../../../supply-chain/registry/credentials.ts";
import { fuzz, returnsOrThrowsTyped } from "../../support/fuzz.ts";
import {
  hostileString,
  mutate,
  mutateText,
  mutation,
  textMutation,
  wrongValue,
} from "../../support/fuzz-json.ts";

const TYPED = [WardenError];
const fixtures = new URL("../../fixtures/", import.meta.url);

const LOCKFILES = [
  "go-module/go.mod",
  "go-module/go.sum",
  "npm-odd/package-lock.json",
  "npm-mcp-remote-0.1.15/package-lock.json",
  "pnpm-sdk/pnpm-lock.yaml",
  "poetry-mcp/poetry.lock",
  "requirements-hashed/requirements.txt",
  "requirements-unpinned/requirements.txt",
  "uv-mcp-1.23.0/uv.lock",
  "yarn-berry-sdk/yarn.lock",
  "yarn-classic-sdk/yarn.lock",
].map((path) => ({
  name: path.split("/").at(-1)!,
  text: readFileSync(new URL(`lockfiles/${path}`, fixtures), "utf8"),
}));

test("every lockfile parser: damaged real lockfiles parse or throw LOCKFILE_INVALID", async (t) => {
  await fuzz(
    t,
    fc.property(
      fc.constantFrom(...LOCKFILES),
      fc.array(textMutation, { minLength: 1, maxLength: 4 }),
      ({ name, text }, mutations) => {
        const damaged = mutateText(text, mutations);
        returnsOrThrowsTyped(() => parseLockfile(name, damaged), TYPED);
      },
    ),
    40,
  );
});

test("JSON and YAML lockfiles: values of the wrong type anywhere", async (t) => {
  const npm = JSON.parse(LOCKFILES.find((l) => l.name === "package-lock.json")!.text) as unknown;
  await fuzz(
    t,
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
      const text = JSON.stringify(mutate(npm, mutations)) ?? "null";
      returnsOrThrowsTyped(() => parseLockfile("package-lock.json", text), TYPED);
    }),
    60,
  );
});

test("lockfiles from nothing: arbitrary text under every lockfile name", async (t) => {
  await fuzz(
    t,
    fc.property(
      fc.constantFrom(...new Set(LOCKFILES.map((l) => l.name))),
      fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), hostileString),
      (name, text) => returnsOrThrowsTyped(() => parseLockfile(name, text), TYPED),
    ),
    60,
  );
});

function jsonFilesUnder(dir: URL): unknown[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".json"))
    .map(
      (f) => JSON.parse(readFileSync(new URL(join(dir.pathname, f), "file:"), "utf8")) as unknown,
    );
}

test("OSV records: mutated real records are valid or OSV_RECORD_INVALID", async (t) => {
  const records = jsonFilesUnder(new URL("osv/", fixtures));
  assert.ok(records.length > 5);
  await fuzz(
    t,
    fc.property(
      fc.constantFrom(...records),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      (record, mutations) => {
        const damaged = mutate(record, mutations);
        returnsOrThrowsTyped(() => parseOsvRecord(damaged, "fuzz.json"), TYPED);
      },
    ),
    100,
  );
});

test("CycloneDX SBOMs: mutated real documents", async (t) => {
  const boms = [
    {
      bomFormat: "CycloneDX",
      specVersion: "1.5",
      components: [
        { type: "library", name: "zod", version: "3.25.0", purl: "pkg:npm/zod@3.25.0" },
        { type: "library", name: "mcp", version: "1.23.0", purl: "pkg:pypi/mcp@1.23.0" },
        {
          type: "library",
          name: "x",
          purl: "pkg:golang/github.com/a/b@v1.2.3?type=module#sub",
          components: [{ type: "library", name: "y", purl: "pkg:deb/debian/y@1.0-1?arch=amd64" }],
        },
      ],
    },
  ];
  await fuzz(
    t,
    fc.property(
      fc.constantFrom(...boms),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      (bom, mutations) => {
        const damaged = mutate(bom, mutations);
        returnsOrThrowsTyped(() => packagesOfCycloneDx(damaged, "bom.json"), TYPED);
      },
    ),
    60,
  );
});

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const descriptor = (mediaType: string, c: string) => ({ mediaType, digest: digest(c), size: 7 });
const MANIFESTS = [
  {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: descriptor("application/vnd.oci.image.config.v1+json", "a"),
    layers: [descriptor("application/vnd.oci.image.layer.v1.tar+gzip", "b")],
    annotations: { "org.opencontainers.image.created": "2026-01-01T00:00:00Z" },
  },
  {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        ...descriptor("application/vnd.oci.image.manifest.v1+json", "c"),
        platform: { os: "linux", architecture: "amd64" },
      },
    ],
  },
  {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
    config: descriptor("application/vnd.oci.empty.v1+json", "d"),
    layers: [descriptor("application/vnd.dev.sigstore.bundle.v0.3+json", "e")],
    subject: descriptor("application/vnd.oci.image.manifest.v1+json", "f"),
  },
  {
    schemaVersion: 2,
    mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    config: descriptor("application/vnd.docker.container.image.v1+json", "1"),
    layers: [descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip", "2")],
  },
];

test("OCI manifests and indexes: mutated ones parse or list their problems", async (t) => {
  await fuzz(
    t,
    fc.property(
      fc.constantFrom(...MANIFESTS),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      fc.option(
        fc.constantFrom(
          "application/vnd.oci.image.index.v1+json",
          "application/vnd.oci.image.manifest.v1+json",
          "text/plain",
        ),
        { nil: undefined },
      ),
      (manifest, mutations, mediaType) => {
        const damaged = mutate(manifest, mutations);
        returnsOrThrowsTyped(() => {
          const parsed = parseManifest(damaged, mediaType);
          if (!parsed.ok) assert.ok(parsed.problems.length > 0, "a refusal says why");
        }, TYPED);
      },
    ),
    100,
  );
});

test("registry auth: WWW-Authenticate headers and token responses", async (t) => {
  await fuzz(
    t,
    fc.property(
      fc.oneof(
        hostileString,
        fc
          .tuple(fc.array(textMutation, { maxLength: 3 }))
          .map(([m]) =>
            mutateText(
              'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"',
              m,
            ),
          ),
      ),
      wrongValue,
      (header, token) => {
        returnsOrThrowsTyped(() => parseWwwAuthenticate(header), TYPED);
        returnsOrThrowsTyped(() => parseTokenResponse(token, 0), TYPED);
      },
    ),
    100,
  );
});

test("sigstore bundles: mutated signed bundles never pass and never throw", async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const imageDigest = digest("a");
  const bundle = await signStatement(
    {
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: "img", digest: { sha256: "a".repeat(64) } }],
      predicateType: "https://mcp-warden.dev/evaluation/v1",
      predicate: { ok: true },
    },
    keySigner(privateKey),
  );
  const keys = [{ id: keyId(publicKey), key: publicKey }];
  assert.equal(checkBundle(bundle, keys, imageDigest).ok, true, "the unmutated bundle passes");
  await fuzz(
    t,
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
      const damaged = mutate(bundle, mutations);
      returnsOrThrowsTyped(() => {
        const result = checkBundle(damaged, keys, imageDigest);
        // A mutation may leave the signed bytes alone (an unknown key added, a hint changed).
        if (result.ok) {
          const signed = (damaged as { dsseEnvelope?: { payload?: unknown } }).dsseEnvelope;
          assert.equal(signed?.payload, bundle.dsseEnvelope?.payload, "a changed payload passed");
        }
      }, TYPED);
    }),
    100,
  );
});

test("Go build info: damaged ELF bytes are read or ignored", async (t) => {
  const elfHeader = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  await fuzz(
    t,
    fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
      returnsOrThrowsTyped(() => readGoBuildInfo(Buffer.concat([elfHeader, bytes])), TYPED);
      returnsOrThrowsTyped(() => readGoBuildInfo(bytes), TYPED);
    }),
    100,
  );
});

const DOCKER_CONFIG = {
  auths: {
    "ghcr.io": { auth: Buffer.from("user:token").toString("base64") },
    "https://index.docker.io/v1/": { username: "u", password: "p" },
    "*.registry.example:5000/team": { identitytoken: "t" },
    "localhost:5000": {},
  },
};

test("Docker configs and pull secrets: read or CREDENTIALS_INVALID; lookups of any host answer", async (t) => {
  await fuzz(
    t,
    fc.property(
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      fc.oneof(hostileString, fc.constantFrom("ghcr.io", "a.registry.example:5000", "docker.io")),
      fc.option(hostileString, { nil: undefined }),
      fc.boolean(),
      (m, host, repository, asSecret) => {
        const config = mutate(DOCKER_CONFIG, m);
        returnsOrThrowsTyped(() => {
          const source = asSecret
            ? fromPullSecrets([
                {
                  metadata: { name: "pull", namespace: "team-a" },
                  type: "kubernetes.io/dockerconfigjson",
                  data: {
                    ".dockerconfigjson": Buffer.from(JSON.stringify(config) ?? "").toString(
                      "base64",
                    ),
                  },
                },
              ])
            : fromDockerConfig(config);
          source.forRegistry(host, repository);
        }, TYPED);
      },
    ),
    100,
  );
});
