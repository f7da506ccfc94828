import { test } from "node:test";
import assert from "node:assert/strict";
import type { ImageEvidence, ImageFacts } from "../../../policies/workload/image-evidence.ts";
import type { Finding, Rule } from "../../../policies/workload/rule.ts";
import { formatDuration, imageRules, imageSites } from "../../../policies/workload/rules/image.ts";
import { contextFor, inEveryKind } from "../../support/context.ts";

const HEX = "0123456789abcdef".repeat(4);
const PINNED = `ghcr.io/acme/crm@sha256:${HEX}`;
const PINNED_INIT = `ghcr.io/acme/migrate:1.2@sha256:${HEX}`;
const PINNED_MODELS = `registry.example.com:5000/acme/models@sha256:${HEX}`;
const NOW = new Date("2026-06-01T00:00:00Z");
const HOUR = 3_600_000;

function rule(id: string): Rule {
  const found = imageRules.find((r) => r.id === id);
  assert.ok(found, `rule ${id} exists`);
  return found;
}

function podSpec(images: {
  app?: string | undefined;
  init?: string | undefined;
  debug?: string | undefined;
  volume?: string | undefined;
}): Record<string, unknown> {
  const container = (name: string, image: string | undefined): Record<string, unknown> =>
    image === undefined ? { name } : { name, image };
  return {
    containers: [container("app", images.app)],
    initContainers: [container("init", images.init)],
    ephemeralContainers: [container("debug", images.debug)],
    volumes: [
      { name: "scratch", emptyDir: {} },
      { name: "models", image: { reference: images.volume, pullPolicy: "IfNotPresent" } },
    ],
  };
}

const allPinned = { app: PINNED, init: PINNED_INIT, debug: PINNED, volume: PINNED_MODELS };

function run(id: string, object: unknown, evidence?: ImageEvidence): Finding[] {
  return rule(id).check(contextFor(object, { evidence, now: NOW }));
}

/** The pod spec wrapped as a Pod, for checks that need only one kind. */
function asPod(spec: Record<string, unknown>): Record<string, unknown> {
  const pod = inEveryKind(spec).find((w) => w.kind === "Pod");
  assert.ok(pod);
  return pod.object;
}

function paths(findings: Finding[]): string[] {
  return findings.map((f) => f.path);
}

/** Registry facts keyed by the reference as written, as the edge gathers them. */
function evidenceOf(byRef: Record<string, Partial<ImageFacts>>): ImageEvidence {
  return {
    forImage(reference) {
      if (!Object.hasOwn(byRef, reference)) return undefined;
      return {
        verifiedSignatures: [],
        rejectedSignatures: [],
        verifiedEvaluations: [],
        rejectedEvaluations: [],
        ...byRef[reference],
      };
    },
  };
}

/** The same facts for every image of `allPinned`. */
function sameFacts(facts: Partial<ImageFacts>): ImageEvidence {
  return evidenceOf(
    Object.fromEntries([PINNED, PINNED_INIT, PINNED_MODELS].map((ref) => [ref, facts])),
  );
}

function evaluation(
  hoursAgo: number,
  over: Partial<ImageFacts["verifiedEvaluations"][number]> = {},
): ImageFacts["verifiedEvaluations"][number] {
  return {
    verdict: "pass",
    trustLevel: "L3",
    time: new Date(NOW.getTime() - hoursAgo * HOUR).toISOString(),
    signer: "https://github.com/acme/crm/.github/workflows/release.yml@refs/tags/v1",
    ...over,
  };
}

const signedFacts: Partial<ImageFacts> = {
  digest: `sha256:${HEX}`,
  verifiedSignatures: [{ signer: "acme release" }],
};

test("the rule set and which rules need a registry", () => {
  assert.deepEqual(
    imageRules.map((r) => [r.id, r.needsRegistry === true]),
    [
      ["image/digest-pinned", false],
      ["image/signed", true],
      ["image/evaluated", true],
    ],
  );
});

test("imageSites lists containers of every kind, then image volumes", () => {
  const object = asPod(podSpec(allPinned));
  const sites = imageSites(contextFor(object).workload);
  assert.deepEqual(
    sites.map((s) => [s.label, s.reference, s.path]),
    [
      ['container "app"', PINNED, "spec.containers[0].image"],
      ['init container "init"', PINNED_INIT, "spec.initContainers[0].image"],
      ['ephemeral container "debug"', PINNED, "spec.ephemeralContainers[0].image"],
      ['image volume "models"', PINNED_MODELS, "spec.volumes[1].image.reference"],
    ],
  );
});

test("image/digest-pinned passes when every image is pinned by sha256", () => {
  for (const { kind, object } of inEveryKind(podSpec(allPinned))) {
    assert.deepEqual(run("image/digest-pinned", object), [], kind);
  }
});

test("image/digest-pinned flags each unpinned image at its own path, in every kind", () => {
  const spec = podSpec({
    app: "nginx:1.27",
    init: PINNED_INIT,
    debug: "busybox",
    volume: "models",
  });
  for (const { kind, object, specPath } of inEveryKind(spec)) {
    const findings = run("image/digest-pinned", object);
    assert.ok(
      findings.every((f) => f.rule === "image/digest-pinned"),
      kind,
    );
    assert.deepEqual(
      paths(findings),
      [
        `${specPath}.containers[0].image`,
        `${specPath}.ephemeralContainers[0].image`,
        `${specPath}.volumes[1].image.reference`,
      ],
      kind,
    );
    assert.match(
      findings[0]!.message,
      /container "app" image "nginx:1\.27" is not pinned by digest/,
    );
    assert.match(findings[0]!.message, /nginx:1\.27@sha256:<64 hex>/);
    // How to get the digest.
    assert.match(findings[0]!.message, /crane digest nginx:1\.27 prints the digest/);
    assert.match(findings[0]!.message, /mcp-warden fix --resolve-digests/);
  }
});

test("image/digest-pinned flags missing, blank and malformed images with the parse error", () => {
  const spec = podSpec({ app: undefined, init: "  ", debug: "Nginx:latest", volume: "" });
  for (const { kind, object, specPath } of inEveryKind(spec)) {
    const findings = run("image/digest-pinned", object);
    assert.deepEqual(
      paths(findings),
      [
        `${specPath}.containers[0].image`,
        `${specPath}.initContainers[0].image`,
        `${specPath}.ephemeralContainers[0].image`,
        `${specPath}.volumes[1].image.reference`,
      ],
      kind,
    );
    assert.match(findings[0]!.message, /container "app" names no image/);
    assert.match(findings[1]!.message, /init container "init" names no image/);
    assert.match(findings[2]!.message, /not a valid image reference \(.*must be lowercase\)/);
    assert.match(findings[3]!.message, /image volume "models" names no image/);
  }
});

test("image/digest-pinned rejects digests other than sha256 and malformed sha256 digests", () => {
  const sha512 = `ghcr.io/acme/crm@sha512:${"f".repeat(128)}`;
  const upper = `ghcr.io/acme/crm@sha256:${HEX.toUpperCase()}`;
  const object = asPod(podSpec({ ...allPinned, app: sha512, debug: upper }));
  const findings = run("image/digest-pinned", object);
  assert.deepEqual(paths(findings), [
    "spec.containers[0].image",
    "spec.ephemeralContainers[0].image",
  ]);
  assert.match(findings[0]!.message, /pinned by sha512, not sha256/);
  assert.match(findings[1]!.message, /not a valid image reference/);
});

test("image/signed passes when every image has a verified signature, in every kind", () => {
  for (const { kind, object } of inEveryKind(podSpec(allPinned))) {
    assert.deepEqual(run("image/signed", object, sameFacts(signedFacts)), [], kind);
  }
});

test("image/signed fails every image when no evidence was gathered", () => {
  for (const { kind, object, specPath } of inEveryKind(podSpec(allPinned))) {
    const findings = run("image/signed", object, undefined);
    assert.equal(findings.length, 4, kind);
    assert.equal(findings[0]!.rule, "image/signed");
    assert.equal(findings[0]!.path, `${specPath}.containers[0].image`);
    assert.match(findings[0]!.message, /was not verified/);
  }
});

test("image/signed names rejection reasons, lookup errors and unknown images", () => {
  const evidence = evidenceOf({
    [PINNED]: {
      rejectedSignatures: [
        { reason: "key is not a trusted signer" },
        { reason: "identity https://github.com/evil/x does not match" },
      ],
    },
    [PINNED_INIT]: { lookupError: "registry ghcr.io: deadline exceeded" },
    // PINNED_MODELS was never looked up.
  });
  for (const { kind, object, specPath } of inEveryKind(podSpec(allPinned))) {
    const findings = run("image/signed", object, evidence);
    assert.deepEqual(
      paths(findings),
      [
        `${specPath}.containers[0].image`,
        `${specPath}.initContainers[0].image`,
        `${specPath}.ephemeralContainers[0].image`,
        `${specPath}.volumes[1].image.reference`,
      ],
      kind,
    );
    assert.match(
      findings[0]!.message,
      /no signature from a trusted signer \(rejected: key is not a trusted signer; identity https:\/\/github.com\/evil\/x does not match\)/,
    );
    assert.match(
      findings[1]!.message,
      /could not be verified: registry ghcr.io: deadline exceeded/,
    );
    assert.match(findings[3]!.message, /image volume "models" image ".*" was not verified/);
  }
});

test("image/signed says an image without any signature is not signed", () => {
  const object = asPod(podSpec(allPinned));
  const findings = run("image/signed", object, sameFacts({}));
  assert.equal(findings.length, 4);
  assert.match(findings[0]!.message, /is not signed/);
});

test("image/evaluated passes on a fresh, passing evaluation at the minimum trust level", () => {
  const evidence = sameFacts({
    ...signedFacts,
    verifiedEvaluations: [
      evaluation(719, { trustLevel: "L3" }),
      evaluation(800, { verdict: "fail" }),
    ],
  });
  for (const { kind, object } of inEveryKind(podSpec(allPinned))) {
    assert.deepEqual(run("image/evaluated", object, evidence), [], kind);
  }
  const l4 = sameFacts({ verifiedEvaluations: [evaluation(1, { trustLevel: "L4" })] });
  assert.deepEqual(run("image/evaluated", asPod(podSpec(allPinned)), l4), []);
});

test("image/evaluated judges the newest evaluation, not the best one", () => {
  const evidence = sameFacts({
    verifiedEvaluations: [evaluation(48), evaluation(2, { verdict: "fail" }), evaluation(24)],
  });
  for (const { kind, object, specPath } of inEveryKind(podSpec(allPinned))) {
    const findings = run("image/evaluated", object, evidence);
    assert.equal(findings.length, 4, kind);
    assert.equal(findings[0]!.rule, "image/evaluated");
    assert.equal(findings[3]!.path, `${specPath}.volumes[1].image.reference`);
    assert.match(
      findings[0]!.message,
      /newest evaluation \(2026-05-31T22:00:00.000Z.*verdict is fail/,
    );
  }
});

test("image/evaluated reports low trust, age and future dates of the newest evaluation", () => {
  const cases: [ImageFacts["verifiedEvaluations"][number], RegExp][] = [
    [evaluation(1, { trustLevel: "L2" }), /trust level L2 is below the required L3/],
    [evaluation(1, { trustLevel: "L1" }), /trust level L1 is below the required L3/],
    [evaluation(721), /it is 721h old, older than the allowed 720h/],
    [evaluation(-1), /dated in the future/],
    [
      evaluation(900, { verdict: "fail", trustLevel: "L1" }),
      /verdict is fail; trust level L1 is below the required L3; it is 900h old/,
    ],
  ];
  const object = asPod(podSpec(allPinned));
  for (const [e, expected] of cases) {
    const findings = run("image/evaluated", object, sameFacts({ verifiedEvaluations: [e] }));
    assert.deepEqual(paths(findings), [
      "spec.containers[0].image",
      "spec.initContainers[0].image",
      "spec.ephemeralContainers[0].image",
      "spec.volumes[1].image.reference",
    ]);
    assert.match(findings[0]!.message, expected);
  }
});

test("image/evaluated reads the minimum trust level and maximum age from the settings", () => {
  const object = asPod(podSpec(allPinned));
  const evidence = sameFacts({ verifiedEvaluations: [evaluation(30, { trustLevel: "L2" })] });
  const strict = rule("image/evaluated").check(
    contextFor(object, {
      evidence,
      now: NOW,
      settings: { evaluation: { minTrustLevel: "L2", maxAgeMs: 24 * HOUR } },
    }),
  );
  assert.equal(strict.length, 4);
  assert.match(strict[0]!.message, /30h old, older than the allowed 24h/);
  assert.doesNotMatch(strict[0]!.message, /trust level/);
  const lenient = rule("image/evaluated").check(
    contextFor(object, {
      evidence,
      now: NOW,
      settings: { evaluation: { minTrustLevel: "L1", maxAgeMs: 48 * HOUR } },
    }),
  );
  assert.deepEqual(lenient, []);
});

test("image/evaluated fails images without a usable evaluation and says why", () => {
  const evidence = evidenceOf({
    [PINNED]: { ...signedFacts },
    [PINNED_INIT]: { rejectedEvaluations: [{ reason: "signed by an untrusted key" }] },
    [PINNED_MODELS]: { lookupError: "registry.example.com:5000: connection refused" },
  });
  for (const { kind, object, specPath } of inEveryKind(
    podSpec({ ...allPinned, debug: "busybox" }),
  )) {
    const findings = run("image/evaluated", object, evidence);
    assert.deepEqual(
      paths(findings),
      [
        `${specPath}.containers[0].image`,
        `${specPath}.initContainers[0].image`,
        `${specPath}.ephemeralContainers[0].image`,
        `${specPath}.volumes[1].image.reference`,
      ],
      kind,
    );
    assert.match(findings[0]!.message, /has no evaluation attestation/);
    assert.match(
      findings[1]!.message,
      /no evaluation from a trusted signer \(rejected: signed by an untrusted key\)/,
    );
    assert.match(findings[2]!.message, /"busybox" was not verified/);
    assert.match(findings[3]!.message, /could not be verified: .*connection refused/);
  }
});

test("image/evaluated ignores evaluations whose time cannot be read", () => {
  const object = asPod(podSpec(allPinned));
  const onlyBad = sameFacts({ verifiedEvaluations: [evaluation(1, { time: "yesterday" })] });
  assert.match(
    run("image/evaluated", object, onlyBad)[0]!.message,
    /no evaluation with a valid time/,
  );
  const mixed = sameFacts({
    verifiedEvaluations: [evaluation(1, { time: "yesterday", verdict: "fail" }), evaluation(2)],
  });
  assert.deepEqual(run("image/evaluated", object, mixed), []);
});

test("formatDuration writes hours like maxAge does", () => {
  assert.equal(formatDuration(720 * HOUR), "720h");
  assert.equal(formatDuration(30.5 * HOUR), "30.5h");
  assert.equal(formatDuration(45 * 60_000), "45m");
});

test("requireImageEvidence: only an evaluation that read the image and ran it counts", () => {
  const object = asPod(podSpec(allPinned));
  const judge = (e: ImageFacts["verifiedEvaluations"][number], require: boolean) =>
    rule("image/evaluated").check(
      contextFor(object, {
        evidence: sameFacts({ verifiedEvaluations: [e] }),
        now: NOW,
        settings: {
          evaluation: { minTrustLevel: "L2", maxAgeMs: 720 * HOUR, requireImageEvidence: require },
        },
      }),
    );
  const examined = evaluation(1, { imageEvidence: { inventory: true, run: true } });
  const packageRun = evaluation(1, { imageEvidence: { inventory: true, run: false } });
  const noImage = evaluation(1, {
    trustLevel: "L2",
    imageEvidence: { inventory: false, run: false },
  });
  // Written before evidence was recorded: nothing says it examined the image.
  const older = evaluation(1);
  assert.deepEqual(judge(examined, true), []);
  for (const e of [packageRun, noImage, older]) assert.deepEqual(judge(e, false), []);

  const [runOnly] = judge(packageRun, true);
  assert.match(
    runOnly?.message ?? "",
    /fails the policy: the policy requires image evidence \(requireImageEvidence\), and it did not list the tools by running the image \(no image-run evidence\); re-evaluate the image itself/,
  );
  assert.doesNotMatch(runOnly?.message ?? "", /image inventory/);
  for (const e of [noImage, older]) {
    const findings = judge(e, true);
    assert.equal(findings.length, 4, "every image of the pod");
    assert.match(
      findings[0]?.message ?? "",
      /it read no image inventory \(no image-inventory evidence\) and did not list the tools by running the image \(no image-run evidence\)/,
    );
  }
});
