import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { WardenError, type InputErrorCode } from "../../../policies/errors.ts";
import {
  evaluationFact,
  evaluationFacts,
  judgeEvaluationStatement,
} from "../../../policies/evaluation/facts.ts";
import {
  PREDICATE_SCHEMA_ID,
  PREDICATE_TYPE,
  STATEMENT_TYPE,
  buildStatement,
  EVIDENCE_SOURCES,
  isTrustLevelAtLeast,
  parsePredicate,
  predicateProblems,
  predicateSchema,
  readStatement,
  sha256Hex,
  type EvaluationPredicate,
} from "../../../policies/evaluation/predicate.ts";
import {
  pinInstructions,
  pinPrompt,
  pinResourceTemplate,
  readPromptDefinitions,
  readResourceTemplateDefinitions,
} from "../../../policies/evaluation/server-definitions.ts";
import type { ImageFacts } from "../../../policies/workload/image-evidence.ts";
import type { TrustLevel } from "../../../policies/trust-level.ts";
import { imageRules } from "../../../policies/workload/rules/image.ts";
import { contextFor } from "../../support/context.ts";
import { assertThrowsWithCode } from "../../support/throws.ts";

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../fixtures/evaluation/${name}`, import.meta.url), "utf8"));

/** A fresh copy of the realistic predicate: `@modelcontextprotocol/server-filesystem` 2025.7.1. */
function valid(): EvaluationPredicate {
  return parsePredicate(fixture("valid-predicate.json"));
}

/** The same predicate as plain JSON, for breaking it on purpose. */
function raw(): Record<string, unknown> {
  return fixture("valid-predicate.json") as Record<string, unknown>;
}

const IMAGE_DIGEST = "sha256:6861c2ccfaff8486dcdf18f53608372c5c399b293d233b072efa645a300371bf";
const IMAGE_HEX = IMAGE_DIGEST.slice("sha256:".length);
const OTHER_HEX = createHash("sha256").update("another image").digest("hex");
const IMAGE_NAME = "ghcr.io/modelcontextprotocol/server-filesystem";

function rejects(fn: () => unknown, code: InputErrorCode): string[] {
  return assertThrowsWithCode(fn, code, WardenError).problems.map((p) => p.path);
}

// RFC 8785: keys sorted by UTF-16 code units, ECMAScript number and string serialization. The
// tool definitions below have no floats, so this is the whole of it for them.
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`);
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value);
}
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

test("the realistic predicate validates, and its tool pins are the hashes of the server's real tool definitions", () => {
  const predicate = valid();
  assert.equal(predicate.server.name, "io.github.modelcontextprotocol/server-filesystem");
  assert.equal(predicate.trustLevel, "L3");
  assert.equal(predicate.verdict, "pass");
  // The definitions of @modelcontextprotocol/server-filesystem 2025.7.1, as its dist/index.js
  // builds them (zod-to-json-schema for the input schemas).
  const definitions = fixture("server-filesystem-2025.7.1-tools.json") as {
    name: string;
    description: string;
    inputSchema: object;
  }[];
  assert.deepEqual(
    predicate.tools.map((t) => [t.name, t.description, t.inputSchemaSha256, t.sha256]),
    definitions.map((d) => [
      d.name,
      d.description,
      sha256(canonicalJson(d.inputSchema)),
      sha256(canonicalJson(d)),
    ]),
  );
});

test("buildStatement → JSON → readStatement round-trips the predicate for the image digest", () => {
  const predicate = valid();
  for (const digest of [IMAGE_DIGEST, IMAGE_HEX]) {
    const statement = buildStatement({ name: IMAGE_NAME, digest }, predicate);
    assert.deepEqual(statement, {
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: IMAGE_NAME, digest: { sha256: IMAGE_HEX } }],
      predicateType: "https://mcp-warden.dev/evaluation/v1",
      predicate,
    });
    // What the verifier sees: the DSSE payload's bytes, parsed.
    const payload: unknown = JSON.parse(JSON.stringify(statement));
    assert.deepEqual(readStatement(payload, IMAGE_DIGEST), predicate);
    assert.deepEqual(readStatement(payload, IMAGE_HEX), predicate);
  }
  assert.equal(STATEMENT_TYPE, "https://in-toto.io/Statement/v1");
  assert.equal(PREDICATE_TYPE, "https://mcp-warden.dev/evaluation/v1");
});

test("every bad field of a predicate is reported in one pass, each at its path", () => {
  const bad = raw();
  bad.trustLevel = "L5";
  (bad.evaluator as Record<string, unknown>).policyDigest = "sha256:ABCDEF";
  bad.time = "yesterday";
  bad.approvedBy = "release-bot";
  delete bad.verdict;
  const paths = rejects(() => parsePredicate(bad), "EVALUATION_INVALID");
  assert.deepEqual(
    [...paths].sort(),
    ["approvedBy", "evaluator.policyDigest", "time", "trustLevel", "verdict"].sort(),
  );
});

test("nested problems and what the schema cannot say are reported together", () => {
  const bad = raw();
  const vulns = bad.vulnerabilities as Record<string, Record<string, unknown>>[];
  const controls = bad.controls as Record<string, unknown>[];
  const tools = bad.tools as Record<string, unknown>[];
  const permissions = bad.permissions as Record<string, unknown>;
  // OSV's word, not ours.
  (vulns[1]!.severity as Record<string, unknown>).level = "moderate";
  // Expired before the evaluation: it cannot have waived anything.
  (vulns[0]!.ignored as Record<string, unknown>).expires = "2025-11-30T00:00:00Z";
  // A skipped control must say why.
  delete controls[8]!.notes;
  controls[2]!.id = "SC-02";
  // `sha256` fields hold bare hex; `…Digest` fields carry the prefix.
  tools[0]!.sha256 = `sha256:${tools[0]!.sha256 as string}`;
  tools[2]!.name = "read_file";
  permissions.credentials = [{ name: "GITHUB_TOKEN", kind: "pat" }];
  permissions.egress = [{ ports: [443] }, { host: "API.github.com", ports: [0] }];
  (bad.source as Record<string, unknown>).commit = "b4c1d6c";
  const paths = rejects(() => parsePredicate(bad), "EVALUATION_INVALID");
  assert.deepEqual([...paths].sort(), [
    "controls[2].id",
    "controls[8].notes",
    "permissions.credentials[0].kind",
    "permissions.egress[0]",
    "permissions.egress[1].host",
    "permissions.egress[1].ports[0]",
    "source.commit",
    "tools[0].sha256",
    "tools[2].name",
    "vulnerabilities[0].ignored.expires",
    "vulnerabilities[1].severity.level",
  ]);
});

test("an egress endpoint needs a host or CIDR blocks, reported once; both forms and IPv6 are valid", () => {
  const problems = predicateProblems({
    ...raw(),
    permissions: { ...valid().permissions, egress: [{}] },
  });
  assert.deepEqual(
    problems.map((p) => p.path),
    ["permissions.egress[0]"],
  );
  const predicate = valid();
  predicate.permissions!.egress = [
    { host: "api.github.com", ports: [443] },
    { host: "*.googleapis.com", ports: [443] },
    { cidrs: ["10.20.0.0/16", "2001:db8::/32"], ports: [5432] },
    { host: "internal.example.com", cidrs: ["192.168.1.10/32"] },
    { internet: true, ports: [80, 443] },
  ];
  predicate.permissions!.credentials = [
    { name: "GITHUB_TOKEN", kind: "oauth", scopes: ["repo:read"] },
    { name: "GCP", kind: "workload-identity" },
    { name: "LEGACY_API_KEY", kind: "static", description: "vendor API key" },
  ];
  assert.deepEqual(parsePredicate(predicate), predicate);
});

test("source and permissions may be absent (a run outside CI, a manifest without permissions)", () => {
  const rest = valid();
  delete rest.source;
  delete rest.permissions;
  assert.deepEqual(parsePredicate(rest), rest);
});

test("a statement made for another digest is rejected, even when copied verbatim", () => {
  const statement: unknown = JSON.parse(
    JSON.stringify(buildStatement({ name: IMAGE_NAME, digest: IMAGE_DIGEST }, valid())),
  );
  assert.deepEqual(
    rejects(() => readStatement(statement, OTHER_HEX), "STATEMENT_SUBJECT_MISMATCH"),
    ["subject"],
  );
  // Subjects named only by other algorithms say nothing about this sha256.
  const sha512Only = {
    ...(statement as Record<string, unknown>),
    subject: [{ name: IMAGE_NAME, digest: { sha512: "ab".repeat(64) } }],
  };
  rejects(() => readStatement(sha512Only, IMAGE_DIGEST), "STATEMENT_SUBJECT_MISMATCH");
});

test("a statement with several subjects is accepted when one of them is this digest", () => {
  const statement = {
    ...buildStatement({ name: IMAGE_NAME, digest: IMAGE_DIGEST }, valid()),
    subject: [
      { name: `${IMAGE_NAME}-arm64`, digest: { sha256: OTHER_HEX } },
      { name: IMAGE_NAME, digest: { sha256: IMAGE_HEX, sha512: "cd".repeat(64) } },
    ],
  };
  assert.equal(readStatement(statement, IMAGE_DIGEST).verdict, "pass");
  rejects(() => readStatement(statement, sha256("a third image")), "STATEMENT_SUBJECT_MISMATCH");
});

test("a statement of another predicate type is rejected as such", () => {
  const statement = {
    ...buildStatement({ name: IMAGE_NAME, digest: IMAGE_DIGEST }, valid()),
    predicateType: "https://slsa.dev/provenance/v1",
  };
  assert.deepEqual(
    rejects(() => readStatement(statement, IMAGE_DIGEST), "STATEMENT_PREDICATE_TYPE"),
    ["predicateType"],
  );
});

test("what is not an in-toto Statement is rejected as such, with every bad field", () => {
  for (const value of [null, "statement", [], {}]) {
    rejects(() => readStatement(value, IMAGE_DIGEST), "STATEMENT_INVALID");
  }
  const paths = rejects(
    () =>
      readStatement(
        {
          _type: "https://in-toto.io/Statement/v2",
          subject: [{ name: IMAGE_NAME, digest: {} }, { name: IMAGE_NAME }],
          predicateType: PREDICATE_TYPE,
          predicate: "eyJ2ZXJkaWN0IjoicGFzcyJ9",
        },
        IMAGE_DIGEST,
      ),
    "STATEMENT_INVALID",
  );
  assert.deepEqual(paths.sort(), ["_type", "predicate", "subject[0].digest", "subject[1].digest"]);
  rejects(
    () =>
      readStatement(
        { _type: STATEMENT_TYPE, subject: [], predicateType: PREDICATE_TYPE, predicate: {} },
        IMAGE_DIGEST,
      ),
    "STATEMENT_INVALID",
  );
});

test("cosign v2's in-toto Statement v0.1 envelope is read too", () => {
  const statement = {
    ...buildStatement({ name: IMAGE_NAME, digest: IMAGE_DIGEST }, valid()),
    _type: "https://in-toto.io/Statement/v0.1",
  };
  assert.equal(readStatement(statement, IMAGE_DIGEST).trustLevel, "L3");
});

test("an invalid predicate inside a valid statement is reported with paths under predicate", () => {
  const statement = {
    ...buildStatement({ name: IMAGE_NAME, digest: IMAGE_DIGEST }, valid()),
    predicate: { ...raw(), trustLevel: "L9", verdict: "approved" },
  };
  assert.deepEqual(
    rejects(() => readStatement(statement, IMAGE_DIGEST), "EVALUATION_INVALID").sort(),
    ["predicate.trustLevel", "predicate.verdict"],
  );
});

test("buildStatement refuses an invalid predicate or subject; readStatement a malformed expected digest", () => {
  const invalid = { ...valid(), trustLevel: "L0" } as unknown as EvaluationPredicate;
  assert.deepEqual(
    rejects(
      () => buildStatement({ name: IMAGE_NAME, digest: IMAGE_DIGEST }, invalid),
      "EVALUATION_INVALID",
    ),
    ["predicate.trustLevel"],
  );
  for (const digest of ["sha256:abc", IMAGE_DIGEST.toUpperCase(), `sha512:${IMAGE_HEX}`, ""]) {
    rejects(() => buildStatement({ name: IMAGE_NAME, digest }, valid()), "INPUT_INVALID");
    rejects(() => readStatement({}, digest), "INPUT_INVALID");
  }
  rejects(() => buildStatement({ name: "", digest: IMAGE_DIGEST }, valid()), "INPUT_INVALID");
  assert.equal(sha256Hex(IMAGE_DIGEST), IMAGE_HEX);
  assert.equal(sha256Hex(IMAGE_HEX), IMAGE_HEX);
  assert.equal(sha256Hex("sha256:xyz"), undefined);
});

test("trust levels order L1 < L2 < L3 < L4", () => {
  const levels: TrustLevel[] = ["L1", "L2", "L3", "L4"];
  for (const [i, a] of levels.entries()) {
    for (const [j, b] of levels.entries()) {
      assert.equal(isTrustLevelAtLeast(a, b), i >= j, `${a} >= ${b}`);
    }
  }
});

test("verified statements become the verifiedEvaluations image/evaluated judges", () => {
  const predicate = valid();
  const signer =
    "https://github.com/modelcontextprotocol/servers/.github/workflows/release.yml@refs/tags/2025.7.1";
  assert.deepEqual(evaluationFact({ predicate, signer }), {
    verdict: "pass",
    trustLevel: "L3",
    time: "2025-12-10T14:32:07Z",
    signer,
    // Its controls read the image's inventory (SC-04, SC-05) and listed the tools by running it.
    imageEvidence: { inventory: true, run: true },
    // It declares permissions but no Kubernetes API access and no internet egress.
    kubernetes: [],
    internetEgressPorts: [],
    // network/within-declared holds the NetworkPolicies to its egress and ingress.
    network: { egress: predicate.permissions!.egress, ingress: predicate.permissions!.ingress },
  });
  // A predicate written before evidence was recorded says nothing of the image.
  const unrecorded = {
    ...predicate,
    controls: predicate.controls.map(({ evidence: _, ...c }) => c),
  };
  assert.deepEqual(evaluationFact({ predicate: unrecorded, signer }).imageEvidence, {
    inventory: false,
    run: false,
  });
  assert.deepEqual(
    evaluationFact({
      predicate: {
        ...predicate,
        permissions: {
          ...predicate.permissions!,
          egress: [
            { host: "api.example.com", ports: [8443] },
            { internet: true, ports: [443] },
            { internet: true, ports: [80, 443] },
          ],
        },
      },
      signer,
    }).internetEgressPorts,
    [80, 443],
  );
  const declared = [
    { apiGroups: [""], resources: ["configmaps"], verbs: ["get"], namespaces: ["team-a"] },
  ];
  assert.deepEqual(
    evaluationFact({
      predicate: { ...predicate, permissions: { ...predicate.permissions!, kubernetes: declared } },
      signer,
    }).kubernetes,
    declared,
  );
  const undeclared: EvaluationPredicate = { ...predicate };
  delete undeclared.permissions;
  assert.equal(evaluationFact({ predicate: undeclared, signer }).kubernetes, undefined);
  assert.equal(evaluationFact({ predicate: undeclared, signer }).internetEgressPorts, undefined);
  assert.equal(evaluationFact({ predicate: undeclared, signer }).network, undefined);
  assert.equal(
    evaluationFacts([
      { predicate, signer },
      { predicate, signer: "key:abc" },
    ]).length,
    2,
  );

  const statement: unknown = JSON.parse(
    JSON.stringify(buildStatement({ name: IMAGE_NAME, digest: IMAGE_DIGEST }, predicate)),
  );
  const ok = judgeEvaluationStatement(statement, IMAGE_DIGEST, signer);
  assert.ok("evaluation" in ok);
  const copied = judgeEvaluationStatement(statement, OTHER_HEX, signer);
  assert.ok("rejected" in copied);
  assert.equal(copied.code, "STATEMENT_SUBJECT_MISMATCH");
  assert.ok(copied.rejected.reason.includes(signer));
  assertThrowsWithCode(
    () => judgeEvaluationStatement(statement, "latest", signer),
    "INPUT_INVALID",
    WardenError,
  );

  // Through the rule, as the webhook will run it.
  const image = `ghcr.io/modelcontextprotocol/server-filesystem@${IMAGE_DIGEST}`;
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "fs", namespace: "mcp" },
    spec: { containers: [{ name: "server", image }] },
  };
  const facts: ImageFacts = {
    digest: IMAGE_DIGEST,
    verifiedSignatures: [{ signer }],
    rejectedSignatures: [],
    verifiedEvaluations: [ok.evaluation],
    rejectedEvaluations: [copied.rejected],
  };
  const evaluated = imageRules.find((r) => r.id === "image/evaluated");
  assert.ok(evaluated);
  const judge = (minTrustLevel: TrustLevel) =>
    evaluated.check(
      contextFor(pod, {
        evidence: { forImage: (ref) => (ref === image ? facts : undefined) },
        settings: { evaluation: { minTrustLevel, maxAgeMs: 720 * 3_600_000 } },
        now: new Date("2025-12-11T09:00:00Z"),
      }),
    );
  assert.deepEqual(judge("L3"), []);
  assert.equal(judge("L4").length, 1);
});

// Walks the schema's object properties, following `$ref`s, and yields each property path with
// `[]` for array items: the fields a complete predicate can have.
function schemaPaths(node: unknown, prefix: string, root: Record<string, unknown>): string[] {
  if (node === null || typeof node !== "object") return [];
  const s = node as Record<string, unknown>;
  if (typeof s.$ref === "string") {
    const name = s.$ref.replace("#/definitions/", "");
    return schemaPaths((root.definitions as Record<string, unknown>)[name], prefix, root);
  }
  const out: string[] = [];
  if (s.items !== undefined) out.push(...schemaPaths(s.items, `${prefix}[]`, root));
  const properties = (s.properties ?? {}) as Record<string, unknown>;
  for (const [key, child] of Object.entries(properties)) {
    if (child === true) continue;
    const path = prefix === "" ? key : `${prefix}.${key}`;
    out.push(path, ...schemaPaths(child, path, root));
  }
  return out;
}

function valuePaths(value: unknown, prefix: string): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => valuePaths(v, `${prefix}[]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    // Label maps are the user's keys, not fields of ours.
    return path.endsWith(".labels") ? [path] : [path, ...valuePaths(child, path)];
  });
}

test("the TypeScript types and the JSON Schema describe the same fields", () => {
  // Every optional field filled in. The type annotation rejects fields the types lack; the schema
  // rejects fields it lacks; the comparison below catches schema fields the object lacks.
  const complete: EvaluationPredicate = {
    ...valid(),
    source: {
      repository: "https://github.com/modelcontextprotocol/servers",
      commit: "b4c1d6c9ddf38396680d0ee8d8a06ba36261343c",
      ref: "refs/tags/2025.7.1",
      workflow: "modelcontextprotocol/servers/.github/workflows/release.yml@refs/tags/2025.7.1",
      runId: "20098812345",
      runAttempt: 2,
    },
    permissions: {
      egress: [
        { host: "registry.npmjs.org", ports: [443], cidrs: ["104.16.0.0/12"] },
        { internet: true, ports: [80, 443] },
      ],
      ingress: {
        ports: [8080],
        agents: [
          {
            name: "agent",
            namespace: "agents",
            labels: { app: "agent" },
            cidrs: ["10.0.0.0/8"],
            serviceAccount: "agent",
            subjects: [{ issuer: "https://idp.example", subject: "agent-1" }],
          },
        ],
      },
      filesystem: [{ path: "/workspace", access: "read" }],
      credentials: [{ name: "TOKEN", kind: "oauth", scopes: ["read"], description: "GitHub" }],
      resources: { cpu: "1", memory: "1Gi" },
      kubernetes: [
        { apiGroups: [""], resources: ["configmaps"], verbs: ["get"], namespaces: ["team-a"] },
      ],
    },
    tools: [{ ...valid().tools[0]!, outputSchemaSha256: sha256("{}") }],
    prompts: [{ name: "args-prompt", description: "d", sha256: sha256("p") }],
    resourceTemplates: [
      { name: "t", uriTemplate: "demo://resource/{id}", description: "d", sha256: sha256("t") },
    ],
    instructions: { text: "Use the tools wisely.", sha256: sha256('"Use the tools wisely."') },
    run: { transport: "stdio", entrypoint: ["/usr/local/bin/node"], cmd: ["/app/index.js"] },
    vulnerabilities: [valid().vulnerabilities[0]!, valid().vulnerabilities[1]!],
    controls: [
      {
        id: "SC-02",
        title: "t",
        status: "fail",
        findings: [{ message: "m", severity: "high", location: "package-lock.json" }],
        waived: [
          {
            finding: { message: "w", severity: "high", location: "tools/list:read_file.title" },
            tool: "read_file",
            field: "title",
            sha256: sha256("t"),
            reason: "reviewed",
            expires: "2099-01-01T00:00:00Z",
          },
        ],
        notes: "n",
        evidence: ["lockfile"],
      },
    ],
    trustLevel: "L2",
    trustLevelCappedBy: ["L3 needs SC-05 to pass: it was skipped"],
  };
  assert.deepEqual(parsePredicate(complete), complete);
  const fromSchema = new Set(
    schemaPaths(predicateSchema, "", predicateSchema as Record<string, unknown>),
  );
  const fromValue = new Set(valuePaths(complete, ""));
  assert.deepEqual([...fromSchema].sort(), [...fromValue].sort());
});

test("prompts, resource templates and instructions pins: names unique, hashes hex", () => {
  const p = raw();
  p.prompts = [
    { name: "a", sha256: sha256("a") },
    { name: "a", sha256: "ABC" },
  ];
  p.resourceTemplates = [{ name: "t", sha256: sha256("t") }];
  p.instructions = { text: "x" };
  assert.deepEqual(rejects(() => parsePredicate(p), "EVALUATION_INVALID").sort(), [
    "instructions.sha256",
    "prompts[1].name",
    "prompts[1].sha256",
    "resourceTemplates[0].uriTemplate",
  ]);
});

test("a waived control finding records what it matched, and its waiver must not have expired", () => {
  const p = raw();
  const controls = p.controls as Record<string, unknown>[];
  controls[3]!.waived = [
    {
      finding: { message: "hidden text", location: "tools/list:read_file.description" },
      tool: "read_file",
      field: "description",
      reason: "reviewed",
      expires: "2020-01-01T00:00:00Z",
    },
    { finding: { message: "m" }, reason: "" },
  ];
  assert.deepEqual(rejects(() => parsePredicate(p), "EVALUATION_INVALID").sort(), [
    "controls[3].waived[0].expires",
    "controls[3].waived[1].expires",
    "controls[3].waived[1].reason",
  ]);
});

test("the schema names itself and is draft-07", () => {
  const s = predicateSchema as Record<string, unknown>;
  assert.equal(s.$id, PREDICATE_SCHEMA_ID);
  assert.equal(s.$id, "https://mcp-warden.dev/evaluation/v1/schema.json");
  assert.equal(s.$schema, "http://json-schema.org/draft-07/schema#");
});

test("a recorded evaluation of server-everything pins its prompts, resource templates and instructions", () => {
  // `mcp-warden evaluate --write-manifest --format json` on the published server-everything.
  const recorded = parsePredicate(fixture("everything-predicate.json"));
  const listed = JSON.parse(
    readFileSync(
      new URL("../../fixtures/mcp/server-everything@2026.8.31.definitions.json", import.meta.url),
      "utf8",
    ),
  ) as { prompts: unknown; resourceTemplates: unknown; instructions: string };
  const prompts = readPromptDefinitions(listed.prompts, "prompts").prompts;
  const templates = readResourceTemplateDefinitions(
    listed.resourceTemplates,
    "resourceTemplates",
  ).resourceTemplates;
  assert.deepEqual(recorded.prompts, prompts.map(pinPrompt));
  assert.deepEqual(recorded.resourceTemplates, templates.map(pinResourceTemplate));
  assert.deepEqual(recorded.instructions, pinInstructions(listed.instructions));
  assert.equal(recorded.controls.find((c) => c.id === "CD-05")?.status, "pass");
});

test("a control's evidence is one of the documented sources, each once", () => {
  const schemaEnum = (
    predicateSchema as {
      definitions: { control: { properties: { evidence: { items: { enum: string[] } } } } };
    }
  ).definitions.control.properties.evidence.items.enum;
  assert.deepEqual(schemaEnum, [...EVIDENCE_SOURCES]);
  const withEvidence = (evidence: unknown) => {
    const p = raw();
    (p.controls as Record<string, unknown>[])[0]!.evidence = evidence;
    return p;
  };
  assert.deepEqual(
    parsePredicate(withEvidence(["image-inventory", "image-run"])).controls[0]?.evidence,
    ["image-inventory", "image-run"],
  );
  assert.deepEqual(
    [...rejects(() => parsePredicate(withEvidence(["sbom"])), "EVALUATION_INVALID")],
    ["controls[0].evidence[0]"],
  );
  assert.deepEqual(
    [
      ...rejects(
        () => parsePredicate(withEvidence(["lockfile", "lockfile"])),
        "EVALUATION_INVALID",
      ),
    ],
    ["controls[0].evidence"],
  );
});
