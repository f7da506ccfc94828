import type { FieldProblem } from "../errors.ts";
import { fieldPath } from "../field-path.ts";
import { compileSchema } from "../schema-validator.ts";
import { diffValues, formatChanges } from "./definition-diff.ts";
import { escapeText } from "./description-safety/text.ts";
import type {
  ControlFinding,
  InstructionsPin,
  PromptPin,
  ResourceTemplatePin,
} from "./predicate.ts";
import { canonicalSha256, readNamedList, type JsonObject } from "./tool-pins.ts";

/**
 * What else a model reads from a server besides its tools (control CD-05): the `instructions` of
 * its `initialize` result, its prompts (`prompts/list`) and its resource templates
 * (`resources/templates/list`). Each is pinned like a tool (SHA-256 of RFC 8785 canonical JSON),
 * so a change after approval is detectable, and compared with what the manifest declares.
 */

export interface PromptArgument {
  name: string;
  title?: string;
  description?: string;
  required?: boolean;
}

/** One prompt as `prompts/list` returns it (the fields a pin covers, and title). */
export interface PromptDefinition {
  name: string;
  title?: string;
  description?: string;
  arguments?: PromptArgument[];
}

/** One resource template as `resources/templates/list` returns it. */
export interface ResourceTemplateDefinition {
  name: string;
  uriTemplate: string;
  title?: string;
  description?: string;
  mimeType?: string;
  annotations?: JsonObject;
}

/** A declared prompt or template may carry the pin of an earlier evaluation. */
export type DeclaredPrompt = PromptDefinition & { sha256?: string };
export type DeclaredResourceTemplate = ResourceTemplateDefinition & { sha256?: string };
export interface DeclaredInstructions {
  text: string;
  sha256?: string;
}

/** What a server exposes besides tools; each part absent when the server does not offer it. */
export interface ServerDefinitions {
  prompts: PromptDefinition[];
  resourceTemplates: ResourceTemplateDefinition[];
  instructions?: string;
}

/** What the manifest declares besides tools. */
export interface DeclaredDefinitions {
  prompts: DeclaredPrompt[];
  resourceTemplates: DeclaredResourceTemplate[];
  instructions?: DeclaredInstructions;
}

/** The object a prompt's pin hashes: `{name, description, arguments}`, absent members left out. */
export function promptPinnedFields(p: PromptDefinition): JsonObject {
  const fields: JsonObject = { name: p.name };
  if (p.description !== undefined) fields.description = p.description;
  if (p.arguments !== undefined)
    fields.arguments = p.arguments.map((a) => {
      const arg: JsonObject = { name: a.name };
      if (a.description !== undefined) arg.description = a.description;
      if (a.required !== undefined) arg.required = a.required;
      return arg;
    });
  return fields;
}

/** The object a template's pin hashes: `{name, uriTemplate, description, mimeType, annotations}`. */
export function templatePinnedFields(t: ResourceTemplateDefinition): JsonObject {
  const fields: JsonObject = { name: t.name, uriTemplate: t.uriTemplate };
  if (t.description !== undefined) fields.description = t.description;
  if (t.mimeType !== undefined) fields.mimeType = t.mimeType;
  if (t.annotations !== undefined) fields.annotations = t.annotations;
  return fields;
}

export function pinPrompt(p: PromptDefinition): PromptPin {
  const pin: PromptPin = { name: p.name, sha256: canonicalSha256(promptPinnedFields(p)) };
  if (p.description !== undefined) pin.description = p.description;
  return pin;
}

export function pinResourceTemplate(t: ResourceTemplateDefinition): ResourceTemplatePin {
  const pin: ResourceTemplatePin = {
    name: t.name,
    uriTemplate: t.uriTemplate,
    sha256: canonicalSha256(templatePinnedFields(t)),
  };
  if (t.description !== undefined) pin.description = t.description;
  return pin;
}

/** The instructions' pin: SHA-256 of the RFC 8785 canonical JSON of the string. */
export function pinInstructions(text: string): InstructionsPin {
  return { text, sha256: canonicalSha256(text) };
}

// ---------------------------------------------------------------------------------------------
// Reading what a server returned

function promptDefinition(p: PromptDefinition): PromptDefinition {
  const out: PromptDefinition = { name: p.name };
  if (p.title !== undefined) out.title = p.title;
  if (p.description !== undefined) out.description = p.description;
  if (p.arguments !== undefined)
    out.arguments = p.arguments.map((a) => {
      const arg: PromptArgument = { name: a.name };
      if (a.title !== undefined) arg.title = a.title;
      if (a.description !== undefined) arg.description = a.description;
      if (a.required !== undefined) arg.required = a.required;
      return arg;
    });
  return out;
}

function templateDefinition(t: ResourceTemplateDefinition): ResourceTemplateDefinition {
  const out: ResourceTemplateDefinition = { name: t.name, uriTemplate: t.uriTemplate };
  if (t.title !== undefined) out.title = t.title;
  if (t.description !== undefined) out.description = t.description;
  if (t.mimeType !== undefined) out.mimeType = t.mimeType;
  if (t.annotations !== undefined) out.annotations = t.annotations;
  return out;
}

const promptListValidator = compileSchema<PromptDefinition[]>({
  type: "array",
  items: {
    type: "object",
    required: ["name"],
    properties: {
      name: { type: "string", minLength: 1 },
      title: { type: "string" },
      description: { type: "string" },
      arguments: {
        type: "array",
        items: {
          type: "object",
          required: ["name"],
          properties: {
            name: { type: "string", minLength: 1 },
            title: { type: "string" },
            description: { type: "string" },
            required: { type: "boolean" },
          },
        },
      },
    },
  },
});

const templateListValidator = compileSchema<ResourceTemplateDefinition[]>({
  type: "array",
  items: {
    type: "object",
    required: ["name", "uriTemplate"],
    properties: {
      name: { type: "string", minLength: 1 },
      uriTemplate: { type: "string", minLength: 1 },
      title: { type: "string" },
      description: { type: "string" },
      mimeType: { type: "string" },
      annotations: { type: "object" },
    },
  },
});

/** Reads a `prompts` array as a server returned it; every problem under `base`; names unique. */
export function readPromptDefinitions(
  value: unknown,
  base: string,
): { prompts: PromptDefinition[]; problems: FieldProblem[] } {
  const { items, problems } = readNamedList(promptListValidator, promptDefinition, value, base);
  return { prompts: items, problems };
}

/** Reads a `resourceTemplates` array as a server returned it; names unique. */
export function readResourceTemplateDefinitions(
  value: unknown,
  base: string,
): { resourceTemplates: ResourceTemplateDefinition[]; problems: FieldProblem[] } {
  const read = readNamedList(templateListValidator, templateDefinition, value, base);
  return { resourceTemplates: read.items, problems: read.problems };
}

/** Declared prompts, reduced to the definition plus their pin. */
export function declaredPrompts(raw: readonly DeclaredPrompt[]): DeclaredPrompt[] {
  return raw.map((p) => {
    const out: DeclaredPrompt = promptDefinition(p);
    if (p.sha256 !== undefined) out.sha256 = p.sha256;
    return out;
  });
}

/** Declared resource templates, reduced to the definition plus their pin. */
export function declaredResourceTemplates(
  raw: readonly DeclaredResourceTemplate[],
): DeclaredResourceTemplate[] {
  return raw.map((t) => {
    const out: DeclaredResourceTemplate = templateDefinition(t);
    if (t.sha256 !== undefined) out.sha256 = t.sha256;
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Comparing (CD-05)

/** Where declared definitions are in the manifest, by kind: `server.json#_meta["dev.mcp-warden/prompts"][1]`. */
export interface DefinitionLocations {
  prompts: (index: number) => string;
  resourceTemplates: (index: number) => string;
  instructions: string;
}

const short = (hex: string): string => hex.slice(0, 12);
const named = (name: string): string => `"${escapeText(name, 80)}"`;

interface Kind<T extends { name: string }> {
  label: string;
  listed: string;
  pinned: (d: T) => JsonObject;
}

function compareKind<T extends { name: string }>(
  kind: Kind<T>,
  declared: readonly (T & { sha256?: string })[],
  exposed: readonly T[] | undefined,
  declaredAt: (i: number) => string,
): ControlFinding[] {
  const findings: ControlFinding[] = [];
  const hash = (d: T): string => canonicalSha256(kind.pinned(d));
  const byName = new Map<string, T>();
  for (const d of exposed ?? []) if (!byName.has(d.name)) byName.set(d.name, d);
  declared.forEach((d, i) => {
    const at = declaredAt(i);
    const now = byName.get(d.name);
    if (exposed === undefined || now === undefined) {
      if (d.sha256 !== undefined && d.sha256 !== hash(d))
        findings.push({
          message: `${kind.label} ${named(d.name)} was edited after it was pinned: the pin is ${short(d.sha256)}…, the declared definition hashes to ${short(hash(d))}…`,
          severity: "high",
          location: `${at}.sha256`,
        });
      if (exposed !== undefined)
        findings.push({
          message: `declared ${kind.label} ${named(d.name)} is not exposed by the server`,
          severity: "medium",
          location: at,
        });
      return;
    }
    const changes = formatChanges(diffValues(kind.pinned(d), kind.pinned(now)));
    const nowPin = hash(now);
    if (d.sha256 !== undefined && d.sha256 !== nowPin)
      findings.push({
        message: `${kind.label} ${named(d.name)} changed since it was pinned (rug pull): the pin is ${short(d.sha256)}…, the exposed definition hashes to ${short(nowPin)}…${changes === "" ? "" : `; ${changes}`}`,
        severity: "high",
        location: `${kind.listed}:${escapeText(d.name, 80)}`,
      });
    if (hash(d) !== nowPin)
      findings.push({
        message: `${kind.label} ${named(d.name)} is exposed with another definition than declared: ${changes}`,
        severity: "medium",
        location: `${kind.listed}:${escapeText(d.name, 80)}`,
      });
  });
  const declaredNames = new Set(declared.map((d) => d.name));
  for (const d of byName.values())
    if (!declaredNames.has(d.name))
      findings.push({
        message: `the server exposes ${kind.label} ${named(d.name)}, which the manifest does not declare`,
        severity: "high",
        location: `${kind.listed}:${escapeText(d.name, 80)}`,
      });
  return findings;
}

const PROMPTS: Kind<PromptDefinition> = {
  label: "prompt",
  listed: "prompts/list",
  pinned: promptPinnedFields,
};
const TEMPLATES: Kind<ResourceTemplateDefinition> = {
  label: "resource template",
  listed: "resources/templates/list",
  pinned: templatePinnedFields,
};

function compareInstructions(
  declared: DeclaredInstructions | undefined,
  exposed: string | undefined,
  listed: boolean,
  at: string,
): ControlFinding[] {
  const findings: ControlFinding[] = [];
  if (declared?.sha256 !== undefined) {
    const actual = canonicalSha256(listed ? (exposed ?? "") : declared.text);
    if (declared.sha256 !== actual)
      findings.push({
        message: listed
          ? `the server's instructions changed since they were pinned (rug pull): the pin is ${short(declared.sha256)}…, the exposed instructions hash to ${short(actual)}…; ${formatChanges(diffValues(declared.text, exposed))}`
          : `the declared instructions were edited after they were pinned: the pin is ${short(declared.sha256)}…, they hash to ${short(actual)}…`,
        severity: "high",
        location: listed ? "initialize:instructions" : `${at}.sha256`,
      });
  }
  if (!listed) return findings;
  if (declared === undefined && exposed !== undefined)
    findings.push({
      message: `the server sends instructions (${JSON.stringify(escapeText(exposed, 80))}), which the manifest does not declare`,
      severity: "high",
      location: "initialize:instructions",
    });
  else if (declared !== undefined && declared.text !== exposed)
    findings.push({
      message: `the server's instructions differ from the declared ones: ${formatChanges(diffValues(declared.text, exposed))}`,
      severity: "medium",
      location: exposed === undefined ? at : "initialize:instructions",
    });
  return findings;
}

/**
 * CD-05 findings: the prompts, resource templates and instructions the server exposes against
 * those the manifest declares (undeclared, missing, pins broken, definitions differing), each with
 * what changed. With `exposed` undefined (the server was not listed) only declared pins that no
 * longer match their own definitions are reported.
 */
export function compareDefinitions(
  declared: DeclaredDefinitions,
  exposed: ServerDefinitions | undefined,
  where: DefinitionLocations,
): ControlFinding[] {
  return [
    ...compareKind(PROMPTS, declared.prompts, exposed?.prompts, where.prompts),
    ...compareKind(
      TEMPLATES,
      declared.resourceTemplates,
      exposed?.resourceTemplates,
      where.resourceTemplates,
    ),
    ...compareInstructions(
      declared.instructions,
      exposed?.instructions,
      exposed !== undefined,
      where.instructions,
    ),
  ];
}

/** Locations of declared definitions in a manifest file. */
export function manifestDefinitionsAt(
  file: string,
  keys: { prompts: string; resourceTemplates: string; instructions: string },
): DefinitionLocations {
  return {
    prompts: (i) => `${file}#${fieldPath("", "_meta", keys.prompts, i)}`,
    resourceTemplates: (i) => `${file}#${fieldPath("", "_meta", keys.resourceTemplates, i)}`,
    instructions: `${file}#${fieldPath("", "_meta", keys.instructions)}`,
  };
}
