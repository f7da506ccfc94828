import { createHash } from "node:crypto";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { errorMessage, InputError, type FieldProblem } from "../errors.ts";
import { fieldPath, parseFieldPath } from "../field-path.ts";
import type { TrustLevel } from "../trust-level.ts";
import { compileSchema } from "../schema-validator.ts";
import {
  TRUST_LEVELS,
  type DeclaredCredential,
  type DeclaredPermissions,
  type EgressEndpoint,
  type FilesystemAccess,
  type IngressAgent,
  type KubernetesPermission,
} from "./predicate.ts";
import {
  repeatedNames,
  toolDefinition,
  type JsonObject,
  type ToolDefinition,
} from "./tool-pins.ts";
import {
  declaredPrompts,
  declaredResourceTemplates,
  type DeclaredDefinitions,
  type DeclaredInstructions,
  type DeclaredPrompt,
  type DeclaredResourceTemplate,
} from "./server-definitions.ts";
import schema from "./server-manifest.schema.json" with { type: "json" };

/**
 * The MCP server manifest: the MCP registry's `server.json`, plus mcp-warden's `_meta` extensions
 * (`docs/server-manifest.md`). Parsed from text so the manifest digest covers the bytes as read and
 * findings can point at lines.
 */

export const PERMISSIONS_KEY = "dev.mcp-warden/permissions";
export const TOOLS_KEY = "dev.mcp-warden/tools";
export const STDIO_KEY = "dev.mcp-warden/stdio";
export const PROMPTS_KEY = "dev.mcp-warden/prompts";
export const RESOURCE_TEMPLATES_KEY = "dev.mcp-warden/resource-templates";
export const INSTRUCTIONS_KEY = "dev.mcp-warden/instructions";
export const MPAK_TRUST_KEY = "org.mpaktrust";

/** The JSON Schema of the manifest (draft-07), as committed in `server-manifest.schema.json`. */
export const serverManifestSchema: object = schema;

export interface ManifestInput {
  description?: string;
  isRequired?: boolean;
  format?: "string" | "number" | "boolean" | "filepath";
  value?: string;
  isSecret?: boolean;
  default?: string;
  placeholder?: string;
  choices?: string[];
  variables?: Record<string, ManifestInput>;
}

export interface KeyValueInput extends ManifestInput {
  name: string;
}

export interface PackageArgument extends ManifestInput {
  type: "positional" | "named";
  /** The flag, dashes included (named arguments). */
  name?: string;
  valueHint?: string;
  isRepeated?: boolean;
}

export interface PackageTransport {
  type: "stdio" | "streamable-http" | "sse";
  url?: string;
  headers?: KeyValueInput[];
}

export interface ServerPackage {
  /** `npm`, `pypi`, `oci`, `nuget`, `mcpb`... */
  registryType: string;
  registryBaseUrl?: string;
  identifier: string;
  /** Required by the 2025-09-29 schema, optional in later ones. */
  version?: string;
  fileSha256?: string;
  runtimeHint?: string;
  transport: PackageTransport;
  runtimeArguments?: PackageArgument[];
  packageArguments?: PackageArgument[];
  environmentVariables?: KeyValueInput[];
}

export interface ServerRemote {
  type: "streamable-http" | "sse";
  url: string;
  headers?: KeyValueInput[];
  variables?: Record<string, ManifestInput>;
}

export interface ServerRepository {
  url: string;
  source: string;
  id?: string;
  subfolder?: string;
}

/** A tool as the manifest declares it; `sha256` is a pin from an earlier evaluation. */
export interface DeclaredTool extends ToolDefinition {
  sha256?: string;
}

/** How to start the server over stdio. */
export interface StdioCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

/** `_meta["org.mpaktrust"]`, the mpak Trust Framework extension, kept as data. */
export interface TrustDeclaration {
  /** The declared compliance level, when the extension states one. */
  level?: TrustLevel;
  /** `mtf_version`, e.g. `0.1`. */
  mtfVersion?: string;
  /** The whole extension object as written. */
  data: JsonObject;
}

/** Where a field is in the manifest file: 1-based line and column, start and end. */
export interface SourceLocation {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface ServerManifest {
  /** The file name given to the parser, for messages and finding locations. */
  file: string;
  name: string;
  version: string;
  description: string;
  title?: string;
  websiteUrl?: string;
  repository?: ServerRepository;
  /** `sha256:` digest of the manifest's UTF-8 bytes. */
  digest: string;
  packages: ServerPackage[];
  remotes: ServerRemote[];
  /** Normalised so it validates as the predicate's `permissions`; absent when none are declared. */
  permissions?: DeclaredPermissions;
  /** Declared tools (`_meta["dev.mcp-warden/tools"]`); empty when none are declared. */
  tools: DeclaredTool[];
  /** Declared prompts, resource templates and instructions (`_meta["dev.mcp-warden/prompts"]`...). */
  definitions: DeclaredDefinitions;
  /** The stdio override, else derived from a stdio npm or pypi package; absent otherwise. */
  stdio?: StdioCommand;
  trust?: TrustDeclaration;
  /**
   * Where a field path (as in problems and findings, e.g. `_meta["dev.mcp-warden/tools"][2].description`)
   * is in the file; undefined when the path is not in it.
   */
  locate(path: string): SourceLocation | undefined;
}

interface RawManifest {
  name: string;
  description: string;
  version: string;
  title?: string;
  websiteUrl?: string;
  repository?: ServerRepository;
  packages?: ServerPackage[];
  remotes?: ServerRemote[];
  _meta?: {
    [PERMISSIONS_KEY]?: RawPermissions;
    [TOOLS_KEY]?: (DeclaredTool & JsonObject)[];
    [PROMPTS_KEY]?: DeclaredPrompt[];
    [RESOURCE_TEMPLATES_KEY]?: DeclaredResourceTemplate[];
    [INSTRUCTIONS_KEY]?: DeclaredInstructions;
    [STDIO_KEY]?: { command: string; args?: string[]; env?: Record<string, string>; cwd?: string };
    [MPAK_TRUST_KEY]?: JsonObject & { mtf_version?: string; level?: number };
  } & JsonObject;
}

interface RawPermissions {
  egress?: EgressEndpoint[];
  ingress?: { ports?: number[]; agents?: IngressAgent[] };
  filesystem?: FilesystemAccess[];
  credentials?: DeclaredCredential[];
  resources?: { cpu?: string; memory?: string };
  kubernetes?: KubernetesPermission[];
}

const validator = compileSchema<RawManifest>(schema);

// anyOf alternatives (egress host or cidrs; a positional argument's valueHint or value) are each
// reported missing by ajv; say it once.
const ALTERNATIVES: [RegExp, string][] = [
  [
    /^(.*\.egress\[\d+\])\.(host|cidrs|internet)$/,
    'needs host, cidrs, or internet: true with ports (e.g. {"internet": true, "ports": [80, 443]})',
  ],
  [/^(.*Arguments\[\d+\])\.(valueHint|value)$/, "a positional argument needs valueHint or value"],
];

// ajv says "must match pattern" with the regex; say what the pattern means.
const PATTERN_MESSAGES: [RegExp, string][] = [
  [
    /^name$/,
    'must be reverse-DNS "namespace/name" with exactly one slash, e.g. io.github.owner/server',
  ],
  [
    /\.host$/,
    "must be a DNS name (`*.` allowed as the first label) or an IPv4 address; other addresses go in cidrs",
  ],
  [/\.cidrs\[\d+\]$/, "must be a CIDR block, e.g. 10.0.0.0/8 or 2001:db8::/32"],
  [/\.filesystem\[\d+\]\.path$/, "must be an absolute path"],
  [/\.(cpu|memory)$/, "must be a Kubernetes quantity, e.g. 500m or 256Mi"],
  [/(sha256|fileSha256)$/, "must be 64 lowercase hex digits"],
  [/\.mtf_version$/, "must be MAJOR.MINOR, e.g. 0.1"],
];

function explain(p: FieldProblem): FieldProblem {
  if (p.message === "must NOT be valid" && /version$/.test(p.path))
    return { path: p.path, message: 'must be an exact version, not "latest"' };
  if (p.message.startsWith("must match pattern")) {
    const known = PATTERN_MESSAGES.find(([re]) => re.test(p.path));
    if (known !== undefined) return { path: p.path, message: known[1] };
  }
  return p;
}

function mergeAlternatives(problems: FieldProblem[]): FieldProblem[] {
  const out: FieldProblem[] = [];
  const said = new Set<string>();
  for (const p of problems) {
    const alt =
      p.message === "is required"
        ? ALTERNATIVES.map(([re, msg]) => [re.exec(p.path), msg] as const).find(([m]) => m !== null)
        : undefined;
    if (alt === undefined || alt[0] === null) {
      out.push(explain(p));
      continue;
    }
    const path = alt[0][1] ?? p.path;
    if (said.has(path)) continue;
    said.add(path);
    out.push({ path, message: alt[1] });
  }
  return out;
}

function invalid(file: string, problems: FieldProblem[], cause?: unknown): InputError {
  return new InputError("MANIFEST_INVALID", `${file}: not a valid MCP server manifest`, {
    problems,
    cause,
  });
}

function sha256(text: string): string {
  return `sha256:${createHash("sha256").update(text, "utf8").digest("hex")}`;
}

// ---------------------------------------------------------------------------------------------
// Source locations

function locator(text: string): (path: string) => SourceLocation | undefined {
  let cached: { root: Node | null; lines: LineCounter } | undefined;
  return (path) => {
    if (cached === undefined) {
      const lines = new LineCounter();
      const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, strict: false });
      cached = { root: doc.contents, lines };
    }
    let node: unknown = cached.root;
    for (const segment of parseFieldPath(path)) {
      if (typeof segment === "number" && isSeq(node)) node = node.items[segment];
      else if (typeof segment === "string" && isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === segment,
        );
        node = pair?.value ?? undefined;
      } else return undefined;
    }
    const range = isScalar(node) || isMap(node) || isSeq(node) ? node.range : undefined;
    if (range === undefined || range === null) return undefined;
    const start = cached.lines.linePos(range[0]);
    const end = cached.lines.linePos(range[1]);
    return { line: start.line, column: start.col, endLine: end.line, endColumn: end.col };
  };
}

// JSON.parse keeps the last of repeated keys; other readers may keep the first. A manifest whose
// meaning depends on the reader (two descriptions of one tool) is rejected.
function duplicateKeyProblems(text: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const doc = parseDocument(text, { uniqueKeys: false, strict: false });
  const walk = (node: unknown, path: string): void => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const at = path === "" ? fieldPath("", key) : fieldPath(path, key);
        if (seen.has(key))
          problems.push({ path: at, message: "appears more than once; each key must be unique" });
        seen.add(key);
        walk(pair.value, at);
      }
    } else if (isSeq(node)) node.items.forEach((item, i) => walk(item, fieldPath(path, i)));
  };
  walk(doc.contents, "");
  return problems;
}

function parseJson(text: string, file: string): unknown {
  try {
    // A byte order mark is not JSON, but editors write one; the digest still covers it.
    return JSON.parse(text.startsWith("\uFEFF") ? text.slice(1) : text) as unknown;
  } catch (error) {
    const detail = errorMessage(error);
    let where = "";
    const lc = /\(line (\d+) column (\d+)\)/.exec(detail);
    const pos = /at position (\d+)/.exec(detail);
    if (lc !== null) where = `line ${lc[1]}, column ${lc[2]}`;
    else if (pos !== null) {
      const offset = Number(pos[1]);
      const before = text.slice(0, offset).split("\n");
      where = `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
    }
    throw new InputError(
      "MANIFEST_INVALID",
      `${file}: not JSON${where === "" ? "" : ` (${where})`}: ${detail.replace(/\s*\(line \d+ column \d+\)$/, "")}`,
      {
        problems: [{ path: where === "" ? "(file)" : where, message: "not valid JSON" }],
        cause: error,
      },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Permissions

const IPV4 =
  /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

function sortedUnique<T extends string | number>(values: readonly T[]): T[] {
  return [...new Set(values)].sort((a, b) =>
    typeof a === "number" && typeof b === "number"
      ? a - b
      : String(a) < String(b)
        ? -1
        : String(a) > String(b)
          ? 1
          : 0,
  );
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function dedupe<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()].sort((a, b) => compareStrings(key(a), key(b)));
}

function normaliseCidr(cidr: string): string {
  return cidr.toLowerCase();
}

function normaliseEgress(endpoints: readonly EgressEndpoint[]): EgressEndpoint[] {
  const normalised = endpoints.map((e) => {
    const out: EgressEndpoint = {};
    let cidrs = (e.cidrs ?? []).map(normaliseCidr);
    if (e.host !== undefined) {
      const host = e.host.toLowerCase().replace(/\.$/, "");
      if (IPV4.test(host)) cidrs = [...cidrs, `${host}/32`];
      else out.host = host;
    }
    if (e.internet === true) out.internet = true;
    if (e.ports !== undefined) out.ports = sortedUnique(e.ports);
    if (cidrs.length > 0) out.cidrs = sortedUnique(cidrs);
    return out;
  });
  // Named hosts first, then address blocks.
  return dedupe(normalised, (e) =>
    JSON.stringify([
      e.host === undefined ? 1 : 0,
      e.host ?? "",
      e.cidrs ?? [],
      e.ports ?? [],
      e.internet ?? false,
    ]),
  );
}

function normaliseAgents(agents: readonly IngressAgent[]): IngressAgent[] {
  const normalised = agents.map((a) => {
    const out: IngressAgent = { name: a.name };
    if (a.namespace !== undefined) out.namespace = a.namespace;
    if (a.labels !== undefined)
      out.labels = Object.fromEntries(
        Object.entries(a.labels).sort(([x], [y]) => compareStrings(x, y)),
      );
    if (a.cidrs !== undefined) out.cidrs = sortedUnique(a.cidrs.map(normaliseCidr));
    if (a.serviceAccount !== undefined) out.serviceAccount = a.serviceAccount;
    if (a.subjects !== undefined)
      out.subjects = dedupe(
        a.subjects.map((s) => ({ issuer: s.issuer, subject: s.subject })),
        (s) => JSON.stringify([s.issuer, s.subject]),
      );
    return out;
  });
  return dedupe(normalised, (a) =>
    JSON.stringify([
      a.name,
      a.namespace ?? "",
      a.labels ?? {},
      a.cidrs ?? [],
      a.serviceAccount ?? "",
      a.subjects ?? [],
    ]),
  );
}

function normalisePath(path: string): string {
  const collapsed = path.replace(/\/+/g, "/");
  return collapsed.length > 1 ? collapsed.replace(/\/$/, "") : collapsed;
}

function normaliseFilesystem(entries: readonly FilesystemAccess[]): FilesystemAccess[] {
  const byPath = new Map<string, FilesystemAccess>();
  for (const e of entries) {
    const path = normalisePath(e.path);
    const earlier = byPath.get(path);
    // The same path twice: the broader access is what the server may do.
    const access = earlier?.access === "read-write" ? "read-write" : e.access;
    byPath.set(path, { path, access });
  }
  return [...byPath.values()].sort((a, b) => compareStrings(a.path, b.path));
}

function normaliseCredentials(
  credentials: readonly DeclaredCredential[],
  base: string,
  problems: FieldProblem[],
): DeclaredCredential[] {
  const byName = new Map<string, [DeclaredCredential, number]>();
  credentials.forEach((c, i) => {
    const out: DeclaredCredential = { name: c.name, kind: c.kind };
    if (c.scopes !== undefined) out.scopes = sortedUnique(c.scopes);
    if (c.description !== undefined) out.description = c.description;
    const earlier = byName.get(c.name);
    if (earlier === undefined) byName.set(c.name, [out, i]);
    else if (JSON.stringify(earlier[0]) !== JSON.stringify(out))
      problems.push({
        path: fieldPath(base, i, "name"),
        message: `declares ${c.name} again, differently from ${fieldPath(base, earlier[1])}`,
      });
  });
  return [...byName.values()].map(([c]) => c).sort((a, b) => compareStrings(a.name, b.name));
}

function normalisePermissions(
  raw: RawPermissions,
  base: string,
  problems: FieldProblem[],
): DeclaredPermissions {
  const ingress: DeclaredPermissions["ingress"] = {
    agents: normaliseAgents(raw.ingress?.agents ?? []),
  };
  if (raw.ingress?.ports !== undefined) ingress.ports = sortedUnique(raw.ingress.ports);
  const permissions: DeclaredPermissions = {
    egress: normaliseEgress(raw.egress ?? []),
    ingress,
    filesystem: normaliseFilesystem(raw.filesystem ?? []),
    credentials: normaliseCredentials(
      raw.credentials ?? [],
      fieldPath(base, "credentials"),
      problems,
    ),
  };
  if (raw.resources !== undefined) {
    const resources: { cpu?: string; memory?: string } = {};
    if (raw.resources.cpu !== undefined) resources.cpu = raw.resources.cpu;
    if (raw.resources.memory !== undefined) resources.memory = raw.resources.memory;
    permissions.resources = resources;
  }
  if (raw.kubernetes !== undefined) {
    permissions.kubernetes = raw.kubernetes.map((k) => ({
      apiGroups: sortedUnique(k.apiGroups),
      resources: sortedUnique(k.resources),
      verbs: sortedUnique(k.verbs),
      namespaces: sortedUnique(k.namespaces),
    }));
  }
  return permissions;
}

// ---------------------------------------------------------------------------------------------
// Tools, stdio, trust

function declaredTools(
  raw: readonly (DeclaredTool & JsonObject)[],
  base: string,
  problems: FieldProblem[],
): DeclaredTool[] {
  problems.push(...repeatedNames(raw, base));
  return raw.map((t) => {
    const tool: DeclaredTool = toolDefinition(t);
    if (t.sha256 !== undefined) tool.sha256 = t.sha256;
    return tool;
  });
}

// Arguments with a fixed value only: the others are for the user to fill in, which a listing
// cannot do (the stdio override is for servers that need them).
function fixedArguments(args: readonly PackageArgument[] | undefined): string[] {
  const out: string[] = [];
  for (const a of args ?? []) {
    if (a.type === "positional" && a.value !== undefined) out.push(a.value);
    else if (a.type === "named" && a.name !== undefined) {
      if (a.value !== undefined) out.push(a.name, a.value);
      else if (a.format === "boolean") out.push(a.name);
    }
  }
  return out;
}

/**
 * The command a stdio package implies: npm → `npx -y <id>@<version>`, pypi → `uvx <id>==<version>`,
 * with its fixed arguments and the environment variables that have a value or default; undefined
 * for other registries, other transports and packages without a version.
 */
export function packageCommand(pkg: ServerPackage): StdioCommand | undefined {
  // An unversioned package is whatever the registry serves today: never run that.
  if (pkg.transport.type !== "stdio" || pkg.version === undefined) return undefined;
  const env: Record<string, string> = {};
  for (const v of pkg.environmentVariables ?? []) {
    const value = v.value ?? v.default;
    if (value !== undefined) env[v.name] = value;
  }
  const runtime = fixedArguments(pkg.runtimeArguments);
  const args = fixedArguments(pkg.packageArguments);
  switch (pkg.registryType) {
    case "npm":
      return {
        command: "npx",
        args: ["-y", ...runtime, `${pkg.identifier}@${pkg.version}`, ...args],
        env,
      };
    case "pypi":
      return {
        command: "uvx",
        args: [...runtime, `${pkg.identifier}==${pkg.version}`, ...args],
        env,
      };
    default:
      return undefined;
  }
}

function trustDeclaration(
  data: JsonObject & { mtf_version?: string; level?: number },
): TrustDeclaration {
  const trust: TrustDeclaration = { data };
  const level = data.level === undefined ? undefined : TRUST_LEVELS[data.level - 1];
  if (level !== undefined) trust.level = level;
  if (data.mtf_version !== undefined) trust.mtfVersion = data.mtf_version;
  return trust;
}

/**
 * Parses and validates a `server.json`.
 * @param text the file's contents
 * @param file the file name, for messages and locations
 * @throws InputError MANIFEST_INVALID naming the file: not JSON (with line and column), or every
 *   bad field with its path (e.g. `_meta["dev.mcp-warden/permissions"].egress[0].host`)
 */
export function parseServerManifest(text: string, file: string): ServerManifest {
  const value = parseJson(text, file);
  const problems = [
    ...mergeAlternatives(validator.problems(value, "")),
    ...duplicateKeyProblems(text),
  ];
  if (problems.length > 0 || !validator.is(value)) throw invalid(file, problems);

  const meta = value._meta ?? {};
  const permissionsBase = fieldPath("", "_meta", PERMISSIONS_KEY);
  const rawPermissions = meta[PERMISSIONS_KEY];
  const permissions =
    rawPermissions === undefined
      ? undefined
      : normalisePermissions(rawPermissions, permissionsBase, problems);
  const tools = declaredTools(meta[TOOLS_KEY] ?? [], fieldPath("", "_meta", TOOLS_KEY), problems);
  const prompts = meta[PROMPTS_KEY] ?? [];
  const templates = meta[RESOURCE_TEMPLATES_KEY] ?? [];
  problems.push(
    ...repeatedNames(prompts, fieldPath("", "_meta", PROMPTS_KEY)),
    ...repeatedNames(templates, fieldPath("", "_meta", RESOURCE_TEMPLATES_KEY)),
  );
  const definitions: DeclaredDefinitions = {
    prompts: declaredPrompts(prompts),
    resourceTemplates: declaredResourceTemplates(templates),
  };
  const instructions = meta[INSTRUCTIONS_KEY];
  if (instructions !== undefined)
    definitions.instructions = {
      text: instructions.text,
      ...(instructions.sha256 === undefined ? {} : { sha256: instructions.sha256 }),
    };
  if (problems.length > 0) throw invalid(file, problems);

  const packages = value.packages ?? [];
  const override = meta[STDIO_KEY];
  let stdio: StdioCommand | undefined;
  if (override !== undefined) {
    stdio = { command: override.command, args: override.args ?? [], env: override.env ?? {} };
    if (override.cwd !== undefined) stdio.cwd = override.cwd;
  } else {
    for (const pkg of packages) {
      stdio = packageCommand(pkg);
      if (stdio !== undefined) break;
    }
  }

  const manifest: ServerManifest = {
    file,
    name: value.name,
    version: value.version,
    description: value.description,
    digest: sha256(text),
    packages,
    remotes: value.remotes ?? [],
    tools,
    definitions,
    locate: locator(text),
  };
  if (value.title !== undefined) manifest.title = value.title;
  if (value.websiteUrl !== undefined) manifest.websiteUrl = value.websiteUrl;
  if (value.repository !== undefined) manifest.repository = value.repository;
  if (permissions !== undefined) manifest.permissions = permissions;
  if (stdio !== undefined) manifest.stdio = stdio;
  const trust = meta[MPAK_TRUST_KEY];
  if (trust !== undefined) manifest.trust = trustDeclaration(trust);
  return manifest;
}
