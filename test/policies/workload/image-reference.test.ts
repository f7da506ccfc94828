import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  isDigestPinned,
  parseImageReference,
  type ImageReference,
} from "../../../policies/workload/image-reference.ts";

const HEX64 = "a".repeat(32) + "0123456789abcdef".repeat(2);
const SHA = `sha256:${HEX64}`;

type Parts = Partial<Omit<ImageReference, "name">>;

const valid: [string, Parts][] = [
  [
    "nginx",
    {
      registry: "docker.io",
      repository: "library/nginx",
      familiar: "nginx",
      canonical: "docker.io/library/nginx:latest",
    },
  ],
  [
    "nginx:1.27",
    { registry: "docker.io", repository: "library/nginx", tag: "1.27", familiar: "nginx:1.27" },
  ],
  ["acme/crm", { registry: "docker.io", repository: "acme/crm", familiar: "acme/crm" }],
  [
    "docker.io/library/nginx",
    { registry: "docker.io", repository: "library/nginx", familiar: "nginx" },
  ],
  ["docker.io/nginx", { registry: "docker.io", repository: "library/nginx", familiar: "nginx" }],
  [
    "index.docker.io/library/nginx:1",
    { registry: "docker.io", repository: "library/nginx", tag: "1", familiar: "nginx:1" },
  ],
  [
    "docker.io/library/a/b",
    { registry: "docker.io", repository: "library/a/b", familiar: "library/a/b" },
  ],
  [
    "localhost:5000/a/b",
    {
      registry: "localhost:5000",
      repository: "a/b",
      familiar: "localhost:5000/a/b",
      canonical: "localhost:5000/a/b:latest",
    },
  ],
  ["localhost/x", { registry: "localhost", repository: "x" }],
  // Shortening this to "a.b/c" would name registry a.b, so the familiar form keeps docker.io.
  ["docker.io/a.b/c", { registry: "docker.io", repository: "a.b/c", familiar: "docker.io/a.b/c" }],
  // Without a slash, "localhost:5000" is an official image with tag 5000, as Docker reads it.
  ["localhost:5000", { registry: "docker.io", repository: "library/localhost", tag: "5000" }],
  ["[::1]:5000/x", { registry: "[::1]:5000", repository: "x", familiar: "[::1]:5000/x" }],
  [
    "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
    { registry: "[fc00:1:2:3:4:5:6:7]:5000", repository: "library/debian" },
  ],
  ["127.0.0.1:5000/debian", { registry: "127.0.0.1:5000", repository: "debian" }],
  ["test:5000/repo", { registry: "test:5000", repository: "repo" }],
  ["Docker/docker", { registry: "Docker", repository: "docker" }],
  ["192.168.0.1", { registry: "docker.io", repository: "library/192.168.0.1" }],
  ["docker-rules/dock__er", { registry: "docker.io", repository: "docker-rules/dock__er" }],
  ["docker---rules/a.b_c", { registry: "docker.io", repository: "docker---rules/a.b_c" }],
  ["lowercase:Uppercase", { repository: "library/lowercase", tag: "Uppercase" }],
  [
    `ghcr.io/acme/crm@${SHA}`,
    {
      registry: "ghcr.io",
      repository: "acme/crm",
      digest: SHA,
      familiar: `ghcr.io/acme/crm@${SHA}`,
      canonical: `ghcr.io/acme/crm@${SHA}`,
    },
  ],
  [
    `nginx:1.27@${SHA}`,
    {
      registry: "docker.io",
      repository: "library/nginx",
      tag: "1.27",
      digest: SHA,
      familiar: `nginx:1.27@${SHA}`,
      canonical: `docker.io/library/nginx:1.27@${SHA}`,
    },
  ],
  [`test:5000/repo:tag@${SHA}`, { registry: "test:5000", repository: "repo", tag: "tag" }],
  [`docker.io/${HEX64}`, { registry: "docker.io", repository: `library/${HEX64}` }],
  [`a:${"t".repeat(128)}`, { tag: "t".repeat(128) }],
  [`example.com/${"a".repeat(255)}:tag`, { repository: "a".repeat(255) }],
  [`${"a/".repeat(127)}a:x`, { registry: "docker.io", repository: `${"a/".repeat(127)}a` }],
  [`x@sha512:${"f".repeat(128)}`, { digest: `sha512:${"f".repeat(128)}` }],
];

const invalid: [string, RegExp][] = [
  ["", /empty/],
  [" nginx", /whitespace/],
  ["nginx ", /whitespace/],
  ["ng inx", /whitespace/],
  ["nginx\n", /whitespace/],
  [HEX64, /image ID/],
  ["Nginx", /lowercase/],
  ["Uppercase:tag", /lowercase/],
  ["docker/Docker", /lowercase/],
  ["test:5000/Uppercase/lowercase:tag", /lowercase/],
  ["example.com/Foo", /lowercase/],
  [":justtag", /missing/],
  [`@${SHA}`, /missing/],
  ["https://github.com/docker/docker", /./],
  ["-docker", /invalid repository/],
  ["docker-/docker", /invalid repository/],
  ["docker///docker", /invalid repository/],
  ["docker/", /invalid repository/],
  // A first component with a '.' names a registry, so it must be a valid host.
  ["dock..er/docker", /invalid registry/],
  ["dock_.er/docker", /invalid registry/],
  ["a.b_c/d", /invalid registry/],
  ["____/____", /invalid repository/],
  ["-docker.io/docker/docker", /invalid registry/],
  ["[fc00::1]", /invalid tag/],
  ["[fc00::1]:5000", /invalid repository/],
  ["fc00::1:5000/debian", /invalid registry/],
  ["[fe80::1%eth0]:5000/debian", /invalid registry/],
  ["[2001:db8:3:4::192.0.2.33]:5000/debian", /invalid registry/],
  ["example.com:port/x", /invalid registry/],
  [`a:${"t".repeat(129)}`, /longer than 128/],
  ["a:-tag", /invalid tag/],
  ["a:.tag", /invalid tag/],
  ["a:t@g", /digest/],
  [`domain/${"a".repeat(256)}:tag`, /255/],
  [`${"a".repeat(250)}`, /255/],
  ["repo@sha256:ffffffffffffffffffffffffffffffffff", /expected 64/],
  [`repo@sha256:${HEX64.toUpperCase()}`, /lowercase/],
  [`repo@md5:${"f".repeat(32)}`, /unsupported digest algorithm/],
  [`repo@invaliddigest:${HEX64}`, /unsupported digest algorithm/],
  ["repo@sha256", /invalid digest/],
  ["repo@sha256:xyz", /invalid digest/],
  [`repo@${SHA}@${SHA}`, /more than one/],
];

for (const [input, parts] of valid) {
  test(`parses ${JSON.stringify(input.length > 80 ? input.slice(0, 80) + "…" : input)}`, () => {
    const result = parseImageReference(input);
    assert.ok(result.ok, result.ok ? "" : result.error);
    const picked = Object.fromEntries(
      Object.keys(parts).map((k) => [k, result.value[k as keyof ImageReference]]),
    );
    assert.deepEqual(picked, parts);
    assert.equal(result.value.name, `${result.value.registry}/${result.value.repository}`);
  });
}

for (const [input, error] of invalid) {
  test(`rejects ${JSON.stringify(input.length > 80 ? input.slice(0, 80) + "…" : input)}`, () => {
    const result = parseImageReference(input);
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.error, error);
  });
}

test("a tag is absent, not defaulted, in the parsed parts", () => {
  const result = parseImageReference("nginx");
  assert.ok(result.ok);
  assert.equal(result.value.tag, undefined);
  assert.equal(result.value.digest, undefined);
});

test("isDigestPinned accepts only sha256 with 64 lowercase hex", () => {
  const pinned = (ref: string): boolean => {
    const r = parseImageReference(ref);
    return r.ok && isDigestPinned(r.value);
  };
  assert.equal(pinned(`nginx@${SHA}`), true);
  assert.equal(pinned(`nginx:1.27@${SHA}`), true);
  assert.equal(pinned("nginx:1.27"), false);
  assert.equal(pinned("nginx"), false);
  assert.equal(pinned(`nginx@sha512:${"f".repeat(128)}`), false);
  assert.equal(pinned(`nginx@sha384:${"f".repeat(96)}`), false);
  // A hand-built value with a malformed digest is not pinned either.
  const r = parseImageReference("nginx");
  assert.ok(r.ok);
  assert.equal(isDigestPinned({ ...r.value, digest: `sha256:${HEX64.toUpperCase()}` }), false);
});

// Generators following the grammar, so the property covers registries, ports, IPv6, paths,
// tags and digests together.
const lower = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789");
const alnum = fc.string({ unit: lower, minLength: 1, maxLength: 6 });
const separator = fc.constantFrom(".", "_", "__", "-", "---");
const component = fc
  .tuple(alnum, fc.array(fc.tuple(separator, alnum), { maxLength: 2 }))
  .map(([head, tail]) => head + tail.map(([s, a]) => s + a).join(""));
const path = fc.array(component, { minLength: 1, maxLength: 4 }).map((cs) => cs.join("/"));
const domainLabel = fc
  .stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?$/)
  .filter((s) => s.length > 0);
const port = fc.integer({ min: 1, max: 65535 }).map((p) => `:${p}`);
const registry = fc.oneof(
  fc.constantFrom("docker.io", "index.docker.io", "localhost", "ghcr.io", "[::1]", "[fc00:1::2]"),
  fc.tuple(domainLabel, domainLabel).map(([a, b]) => `${a}.${b}`),
  fc.ipV4(),
);
const host = fc.option(
  fc.tuple(registry, fc.option(port, { nil: "" })).map(([r, p]) => r + p),
  { nil: undefined },
);
const tag = fc.stringMatching(/^\w[\w.-]{0,20}$/);
const digest = fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `sha256:${hex}`);
const reference = fc
  .record({
    host,
    path,
    tag: fc.option(tag, { nil: undefined }),
    digest: fc.option(digest, { nil: undefined }),
  })
  // A bare name of 64 hex characters is an image ID, which the grammar refuses on purpose.
  .filter(({ host: h, path: p }) => h !== undefined || !/^[a-f0-9]{64}$/.test(p))
  // Without a host, a first component with a '.' would be read as one.
  .filter(({ host: h, path: p }) => h !== undefined || !p.split("/")[0]!.includes("."))
  .map(
    ({ host: h, path: p, tag: t, digest: d }) =>
      (h === undefined ? "" : `${h}/`) +
      p +
      (t === undefined ? "" : `:${t}`) +
      (d === undefined ? "" : `@${d}`),
  );

test("property: the canonical form re-parses to the same parts", () => {
  fc.assert(
    fc.property(reference, (input) => {
      const first = parseImageReference(input);
      if (!first.ok) throw new Error(`${input}: ${first.error}`);
      const again = parseImageReference(first.value.canonical);
      if (!again.ok) throw new Error(`${first.value.canonical}: ${again.error}`);
      const expectedTag = first.value.tag ?? (first.value.digest ? undefined : "latest");
      assert.deepEqual(again.value, {
        ...first.value,
        ...(expectedTag === undefined ? {} : { tag: expectedTag }),
        familiar: again.value.familiar,
      });
      assert.equal(again.value.canonical, first.value.canonical);
    }),
    { numRuns: 500 },
  );
});

test("property: the familiar form re-parses to exactly the same reference", () => {
  fc.assert(
    fc.property(reference, (input) => {
      const first = parseImageReference(input);
      if (!first.ok) throw new Error(`${input}: ${first.error}`);
      assert.deepEqual(parseImageReference(first.value.familiar), first);
    }),
    { numRuns: 500 },
  );
});
