import { fieldPath } from "../field-path.ts";
import type { ControlFinding, SeverityLevel } from "./predicate.ts";
import { TOOLS_KEY } from "./server-manifest.ts";
import type { ToolDefinition } from "./tool-pins.ts";
import type { PromptDefinition, ResourceTemplateDefinition } from "./server-definitions.ts";
import { contradictionIssues } from "./description-safety/contradictions.ts";
import { judgeText, templateIssues, type TextContext } from "./description-safety/judge.ts";
import { normalise, type Issue } from "./description-safety/normalize.ts";
import { escapeText } from "./description-safety/text.ts";
import { knownShare, readDefinition, type FittedModel } from "./description-safety/model.ts";

export { escapeText } from "./description-safety/text.ts";

/**
 * Description safety (control CD-03): everything of a server that a model reads — tool names,
 * titles and descriptions, every field of their input and output schemas (property names,
 * descriptions, titles, enum values, defaults, examples, `$defs`), annotations, the server's
 * instructions, prompts and resource templates — can steer it (tool poisoning). Each text is
 * normalised (`description-safety/normalize.ts`: NFKC, invisible characters reported and
 * stripped, look-alike letters folded, encoded runs and comments decoded) and judged sentence by
 * sentence (`description-safety/judge.ts`) for what it tells the model to do: drop its
 * instructions, read secrets and pass them on, send data out, hide something from the user, trust
 * a claimed approval, change how other tools behave, call other tools unseen, run a dangerous
 * command. Besides its phrase rules, the judge scores each clause on feature families
 * (`description-safety/features.ts`: addressed to the model, secrets, moves, sinks and written-out
 * destinations, concealment, authority, other tools, redirection, triggers, burial — the steering
 * ones in ten languages, instruction overrides in more than thirty) and combines them with the
 * weights and thresholds of `description-safety/score.ts`. Names and
 * annotations that contradict the description are reported too
 * (`description-safety/contradictions.ts`).
 *
 * Deterministic and offline; findings quote what they found escaped (`\u{200B}`), never the
 * invisible payload itself. The detector is measured by `npm run bench:descriptions`.
 */

/** Where a tool is, as a finding location prefix: `server.json#_meta["dev.mcp-warden/tools"][2]`. */
export type ToolLocator = (tool: ToolDefinition, index: number) => string;

/** Tools declared in a manifest: `server.json#_meta["dev.mcp-warden/tools"][2]`. */
export function manifestToolsAt(file: string): ToolLocator {
  return (_tool, index) => `${file}#${fieldPath("", "_meta", TOOLS_KEY, index)}`;
}

/** Tools a server listed: `tools/list:read_file`. */
export function listedToolsAt(source = "tools/list"): ToolLocator {
  return (tool) => `${source}:${escapeText(tool.name, 80)}`;
}

/** Everything of one server that a model reads. */
export interface ServerSurface {
  tools: readonly ToolDefinition[];
  /** The `instructions` of the server's `initialize` result. */
  instructions?: string;
  prompts?: readonly PromptDefinition[];
  resourceTemplates?: readonly ResourceTemplateDefinition[];
}

const KIND_TITLES: Record<string, string> = {
  override: "tells the model to ignore or replace its instructions",
  concealment: "tells the model to hide something from the user",
  markup: "contains pseudo-system markup that addresses the model",
  "secret-read": "tells the model to read secrets and pass them on",
  exfiltration: "tells the model to send data to an outside destination",
  approval: "claims an approval or authority the model cannot check",
  shadowing: "tells the model to change how other tools are used",
  redirect: "tells the model to put its own account or recipient in place of the user's",
  "silent-call": "tells the model to call other tools without the user knowing",
  command: "tells the model to run a dangerous shell command",
  "obey-hidden": "tells the model to decode a text and do what it says",
  model: "reads as a poisoned definition as a whole",
  invisible: "contains invisible characters",
  bidi: "contains bidirectional control characters that reorder what is displayed",
  tags: "contains Unicode tag characters (invisible text)",
  smuggling: "hides data in variation selectors",
  control: "contains control characters",
  homoglyph: "contains mixed-script words (look-alike letters)",
  encoded: "contains an encoded payload",
  "data-url": "contains a data: URL",
  comment: "contains a comment the user does not see",
  contradiction: "contradicts the tool's name or annotations",
};

// What the rules find in text hidden from the reader (decoded, in a comment) is marked so; a benign
// text has no reason to hide an instruction.
const HIDDEN = "(hidden) ";

/** One text a model reads, where it is, and whether it is prose or an identifier. */
interface Text {
  path: string;
  text: string;
  kind: "prose" | "identifier" | "syntax";
  schemaField: boolean;
}

// A name is an identifier until it reads as a sentence: a resource template's or a property's name
// may be any string, and four words or more are read as the prose they are.
const SENTENCE_LIKE = /\S\s+\S+\s+\S+\s+\S/u;
const nameKind = (text: string): Text["kind"] =>
  SENTENCE_LIKE.test(text) ? "prose" : "identifier";

/**
 * Issues with one text: hidden content, what it (and whatever it hides) tells the model. What a
 * model reads of it (the text as normalised, and what it hides) is added to `read`.
 */
function textIssues(
  t: Text,
  ctx: Omit<TextContext, "schemaField" | "identifier">,
  read: string[],
): Issue[] {
  const { plain, hidden, issues } = normalise(t.text, t.kind === "prose");
  read.push(plain, ...hidden);
  if (t.kind === "syntax") return issues;
  const context: TextContext = {
    ...ctx,
    schemaField: t.schemaField,
    identifier: t.kind === "identifier",
  };
  const said = judgeText(plain, context);
  issues.push(...said);
  // Hidden or encoded text is read for what it says, and says it worse for being hidden. Text read
  // out of the visible words (an acrostic) counts only for kinds the visible text does not say.
  const saidKinds = new Set(said.map((i) => i.kind));
  const fromVisible = new Set(
    issues.flatMap((i) =>
      i.onlyIfNew && i.onlyIfHiddenSays !== undefined ? [i.onlyIfHiddenSays] : [],
    ),
  );
  const says = hidden.map((h, at) => {
    const found = judgeText(h, { ...context, identifier: false });
    return fromVisible.has(at) ? found.filter((i) => !saidKinds.has(i.kind)) : found;
  });
  // What hidden text says stands whatever the visible words read as (`isFirm`); what is read out
  // of the visible words themselves (an acrostic) is weighed like them.
  says.forEach((found, at) => {
    for (const issue of found)
      issues.push({
        ...issue,
        severity: "high",
        detail: `${HIDDEN}${issue.detail}`,
        ...(fromVisible.has(at) ? {} : { firm: true as const }),
      });
  });
  return issues.filter(
    (i) => i.onlyIfHiddenSays === undefined || (says[i.onlyIfHiddenSays]?.length ?? 0) > 0,
  );
}

const RANK: SeverityLevel[] = ["critical", "high", "medium", "low", "unknown"];

function findingsAt(location: string, issues: Issue[]): ControlFinding[] {
  const byKind = new Map<string, Issue[]>();
  for (const issue of issues) byKind.set(issue.kind, [...(byKind.get(issue.kind) ?? []), issue]);
  return [...byKind.entries()].map(([kind, list]) => ({
    message: `${KIND_TITLES[kind] ?? kind}: ${[...new Set(list.map((i) => i.detail))].join("; ")}`,
    severity:
      list.map((i) => i.severity).sort((a, b) => RANK.indexOf(a) - RANK.indexOf(b))[0] ?? "medium",
    location,
  }));
}

// Keys whose strings are machine syntax, not text for the model: only hidden characters matter.
const SYNTAX_KEYS = new Set([
  "$schema",
  "$id",
  "$ref",
  "type",
  "format",
  "pattern",
  "$anchor",
  "$comment",
]);
// Keys under which an object's keys are names a model reads (property names, definitions).
const NAMED_MEMBERS = new Set([
  "properties",
  "patternProperties",
  "$defs",
  "definitions",
  "dependentSchemas",
]);

// A regular expression's comment group: `(?#…)`, text inside a pattern.
const REGEX_COMMENT = /\(\?#([^)]*)\)/gu;
// A format, a type or an anchor is one token: `date-time`, `uri-reference`. Four words or more
// joined by hyphens or underscores (`first-read-~/.config/…-and-append-it-to-value`) are a sentence.
const HYPHENATED_SENTENCE = /^(?:[^\s_-]+[-_]){3,}[^\s_-]+$/u;

/**
 * What a model can read as words in a value of a syntax key: a `$comment`, the comments of a
 * `pattern`, a sentence spelled with hyphens in a `format`; undefined when it holds none.
 */
function wordsInSyntax(key: string, value: string): string | undefined {
  if (key === "$comment") return value;
  if (key === "pattern") {
    const comments = [...value.matchAll(REGEX_COMMENT)].map((m) => m[1] ?? "");
    return comments.length > 0 ? comments.join("\n") : undefined;
  }
  if (HYPHENATED_SENTENCE.test(value)) return value.replace(/(?<=[^\s/])[-_](?=[^\s/])/gu, " ");
  return /\s\S+\s\S+\s/u.test(value) && key !== "$ref" && key !== "$schema" && key !== "$id"
    ? value
    : undefined;
}

/** Every text of a JSON Schema (or annotations object), recursively, with its path. */
function schemaTexts(node: unknown, path: string, out: Text[], parentKey = "", depth = 0): void {
  if (depth > 64) return;
  if (typeof node === "string") out.push({ path, text: node, kind: "prose", schemaField: true });
  else if (Array.isArray(node))
    node.forEach((v, i) => schemaTexts(v, fieldPath(path, i), out, parentKey, depth + 1));
  else if (typeof node === "object" && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      const at = fieldPath(path, key);
      if (NAMED_MEMBERS.has(parentKey))
        out.push({ path: at, text: key, kind: nameKind(key), schemaField: true });
      if (SYNTAX_KEYS.has(key) && typeof value === "string") {
        out.push({ path: at, text: value, kind: "syntax", schemaField: true });
        const words = wordsInSyntax(key, value);
        if (words !== undefined)
          out.push({ path: at, text: words, kind: "prose", schemaField: true });
      } else if (key === "required" && Array.isArray(value))
        value.forEach((v, i) => {
          if (typeof v === "string")
            out.push({ path: fieldPath(at, i), text: v, kind: "identifier", schemaField: true });
        });
      else schemaTexts(value, at, out, key, depth + 1);
    }
  }
}

/** Property names anywhere in a schema: what "the X field" may refer to. */
function propertyNames(node: unknown, out: Set<string>, depth = 0): void {
  if (depth > 64 || typeof node !== "object" || node === null) return;
  if (Array.isArray(node)) {
    for (const v of node) propertyNames(v, out, depth + 1);
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    if (
      key === "properties" &&
      typeof value === "object" &&
      value !== null &&
      !Array.isArray(value)
    )
      for (const name of Object.keys(value as Record<string, unknown>)) out.add(name.toLowerCase());
    propertyNames(value, out, depth + 1);
  }
}

/** String values of `enum` and `const` anywhere in a schema: the options of its own parameters. */
function optionValues(node: unknown, out: Set<string>, depth = 0): void {
  if (depth > 64 || typeof node !== "object" || node === null) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === "enum" && Array.isArray(value))
      for (const v of value) if (typeof v === "string") out.add(v.toLowerCase());
    if (key === "const" && typeof value === "string") out.add(value.toLowerCase());
    optionValues(value, out, depth + 1);
  }
}

/**
 * One definition a model reads as a whole (a tool, the server's instructions, a prompt, a resource
 * template): where it is, what the rules found in each of its fields, and every text of it as the
 * model reads it (normalised, with what it hides), for the definition model.
 */
export interface JudgedDefinition {
  location: string;
  fields: { at: string; issues: Issue[] }[];
  read: string[];
}

class Judging {
  readonly fields: JudgedDefinition["fields"] = [];
  readonly read: string[] = [];
  readonly location: string;
  constructor(location: string) {
    this.location = location;
  }
  text(t: Text, ctx: Omit<TextContext, "schemaField" | "identifier">, extra: Issue[] = []): void {
    this.fields.push({ at: t.path, issues: [...textIssues(t, ctx, this.read), ...extra] });
  }
  done(): JudgedDefinition {
    return { location: this.location, fields: this.fields, read: this.read };
  }
}

function judgeTool(
  tool: ToolDefinition,
  base: string,
  serverNames: ReadonlySet<string>,
): JudgedDefinition {
  const at = (...segments: (string | number)[]) => fieldPath(base, ...segments);
  const params = new Set<string>();
  propertyNames(tool.inputSchema, params);
  if (tool.outputSchema !== undefined) propertyNames(tool.outputSchema, params);
  // `set_state (enable/disable trigger)` names an option of the tool's own `operation`, not a
  // tool of another server.
  const options = new Set<string>();
  optionValues(tool.inputSchema, options);
  const siblings = options.size === 0 ? serverNames : new Set([...serverNames, ...options]);
  const ctx = { tool: tool.name, params, siblings };
  const judging = new Judging(base);
  judging.text(
    { path: at("name"), text: tool.name, kind: nameKind(tool.name), schemaField: false },
    ctx,
  );
  if (tool.title !== undefined)
    judging.text({ path: at("title"), text: tool.title, kind: "prose", schemaField: false }, ctx);
  const description = at("description");
  if (tool.description === undefined)
    judging.fields.push({ at: description, issues: contradictionIssues(tool) });
  else
    judging.text(
      { path: description, text: tool.description, kind: "prose", schemaField: false },
      ctx,
      contradictionIssues(tool),
    );
  const texts: Text[] = [];
  schemaTexts(tool.inputSchema, at("inputSchema"), texts);
  if (tool.outputSchema !== undefined) schemaTexts(tool.outputSchema, at("outputSchema"), texts);
  if (tool.annotations !== undefined) schemaTexts(tool.annotations, at("annotations"), texts);
  if (tool._meta !== undefined) schemaTexts(tool._meta, at("_meta"), texts);
  if (tool.icons !== undefined) schemaTexts(tool.icons, at("icons"), texts);
  for (const t of texts) judging.text(t, ctx);
  return judging.done();
}

/**
 * The server's own tool names, and each without its leading prefixes: a server that names its
 * tools `jira_update_issue` calls it `update_issue` in prose.
 */
function siblingsOf(tools: readonly { name: string }[]): Set<string> {
  const out = new Set<string>();
  for (const t of tools) {
    const name = t.name.toLowerCase();
    out.add(name);
    for (let i = name.indexOf("_"); i >= 0; i = name.indexOf("_", i + 1)) {
      const rest = name.slice(i + 1);
      if (rest.includes("_")) out.add(rest);
    }
  }
  return out;
}

/** The variables of an RFC 6570 URI template (`{id}`, `{?q,page}`, `{/path*}`): its parameters. */
function templateVariables(uriTemplate: string): Set<string> {
  const out = new Set<string>();
  for (const [, body] of uriTemplate.matchAll(/\{[+#./;?&]?([^}]{1,200})\}/gu))
    for (const v of (body ?? "").split(","))
      out.add(
        v
          .replace(/(?:\*|:\d+)$/u, "")
          .trim()
          .toLowerCase(),
      );
  return out;
}

/**
 * Every definition of a server, judged by the rules: its tools (located with `where`), its
 * `instructions` (`initialize:instructions`), prompts (`prompts/list:<name>…`) and resource
 * templates (`resources/templates/list:<name>…`).
 */
export function judgeServer(
  surface: ServerSurface,
  where: ToolLocator = listedToolsAt(),
): JudgedDefinition[] {
  const toolSiblings = siblingsOf(surface.tools);
  const judged = surface.tools.map((tool, index) =>
    judgeTool(tool, where(tool, index), toolSiblings),
  );
  const siblings = siblingsOf([...surface.tools, ...(surface.prompts ?? [])]);
  const ctx = { params: new Set<string>(), siblings };
  const prose = (j: Judging, path: string, text: string | undefined, params = ctx.params) => {
    if (text !== undefined)
      j.text({ path, text, kind: "prose", schemaField: false }, { ...ctx, params });
  };
  const name = (j: Judging, path: string, text: string, params = ctx.params) => {
    j.text({ path, text, kind: nameKind(text), schemaField: false }, { ...ctx, params });
  };
  if (surface.instructions !== undefined) {
    const j = new Judging("initialize:instructions");
    prose(j, j.location, surface.instructions);
    judged.push(j.done());
  }
  for (const p of surface.prompts ?? []) {
    const j = new Judging(`prompts/list:${escapeText(p.name, 80)}`);
    const args = new Set((p.arguments ?? []).map((a) => a.name.toLowerCase()));
    name(j, fieldPath(j.location, "name"), p.name);
    prose(j, fieldPath(j.location, "title"), p.title, args);
    prose(j, fieldPath(j.location, "description"), p.description, args);
    (p.arguments ?? []).forEach((a, i) => {
      name(j, fieldPath(j.location, "arguments", i, "name"), a.name);
      if (a.description !== undefined)
        j.text(
          {
            path: fieldPath(j.location, "arguments", i, "description"),
            text: a.description,
            kind: "prose",
            schemaField: true,
          },
          { ...ctx, params: args },
        );
    });
    judged.push(j.done());
  }
  for (const r of surface.resourceTemplates ?? []) {
    const j = new Judging(`resources/templates/list:${escapeText(r.name, 80)}`);
    const vars = templateVariables(r.uriTemplate);
    name(j, fieldPath(j.location, "name"), r.name, vars);
    prose(j, fieldPath(j.location, "title"), r.title, vars);
    prose(j, fieldPath(j.location, "description"), r.description, vars);
    j.text(
      {
        path: fieldPath(j.location, "uriTemplate"),
        text: r.uriTemplate,
        kind: "syntax",
        schemaField: false,
      },
      ctx,
      templateIssues(r.uriTemplate),
    );
    judged.push(j.done());
  }
  return judged;
}

// Where the two views meet. The model alone flags a definition it reads as poisoned with
// `flags` or more. A rule's finding stands unless the model reads the whole definition as benign
// (below `stands`) and the few words around the finding's own sentence below `local`: most rules'
// false alarms are a phrase that reads as an order in text that is plainly not an attack, and
// most attacks they miss are said in words no rule was written for. Padding a poisoned sentence
// with benign text dilutes a reading of the whole, not of the words around the sentence; when the
// sentence a finding quotes cannot be placed, every stretch of the definition must read below
// `local`. The thresholds were chosen on the earlier rounds' blind corpora, each read by a model
// fitted without it (scripts/description-model/thresholds.ts): over holdouts 5 to 11, reading 30
// words around the sentence at 0.7 flagged 27 of 1,467 real tools where every 80-word stretch at
// 0.2 flagged 33, and found the same 1,094 of 1,120 attacks.
export interface Weighing {
  model: FittedModel;
  flags: number;
  /** The share of a definition's words the model must know to flag it alone. */
  knows: number;
  stands: number;
  local: number;
  stretchWords: number;
}
const SHIPPED: Weighing = {
  model: { read: readDefinition, knownShare },
  flags: 0.7,
  // Requiring the model to know 30% of a definition's words before it flags alone spared 17 of
  // 672 look-alikes and lost 15 of 1,120 attacks, most of them overrides: not required.
  knows: 0,
  stands: 0.2,
  local: 0.7,
  stretchWords: 30,
};

// A finding quotes its sentence as the rules read it (formatting unwrapped, spaces made one,
// what is invisible escaped, cut at 160 characters); the model reads the text as written. The two
// are matched on their letters and digits alone, the first 40 of the quote.
const KEY_CHAR = /[\p{L}\p{N}]/u;
const KEY_LENGTH = 40;
const KEY_MIN = 4;
function quotedKey(detail: string): string {
  if (!detail.startsWith('"')) return "";
  const body = detail.slice(1).split(/\\|…|", "/u)[0] ?? "";
  let key = "";
  for (const ch of body.toLowerCase()) {
    if (KEY_CHAR.test(ch)) key += ch;
    if (key.length >= KEY_LENGTH) break;
  }
  return key;
}

/** A definition's words, and how its rule findings are read in their place. */
class Stretches {
  private readonly words: string[];
  /** The definition's letters and digits, lower-cased, and the word each belongs to. */
  private readonly key: string;
  private readonly wordOf: number[] = [];
  private everyStretch: number | undefined;
  private readonly w: Weighing;
  constructor(read: readonly string[], w: Weighing) {
    this.w = w;
    this.words = read.join(" ").split(/\s+/u);
    let key = "";
    this.words.forEach((word, i) => {
      for (const ch of word.toLowerCase())
        if (KEY_CHAR.test(ch)) {
          key += ch;
          this.wordOf.push(i);
        }
    });
    this.key = key;
  }
  private reading(from: number): number {
    return this.w.model.read([this.words.slice(from, from + this.w.stretchWords).join(" ")]).score;
  }
  /** The highest reading over overlapping stretches, up to the first that lets a rule stand. */
  private every(): number {
    const step = this.w.stretchWords / 2;
    let best = 0;
    for (let i = 0; i < Math.max(1, this.words.length - step) && best < this.w.local; i += step)
      best = Math.max(best, this.reading(i));
    return best;
  }
  /** The reading around the sentence `detail` quotes, or over every stretch when it is not found. */
  around(detail: string): number {
    const quoted = quotedKey(detail);
    const at = quoted.length < KEY_MIN ? -1 : this.key.indexOf(quoted);
    if (at < 0) return (this.everyStretch ??= this.every());
    return this.reading(Math.max(0, (this.wordOf[at] ?? 0) - this.w.stretchWords / 2));
  }
}

const said = (telling: string[]): string =>
  telling.length === 0
    ? ""
    : `; the words that weigh most: ${telling.map((w) => `"${escapeText(w, 40)}"`).join(", ")}`;

/**
 * What CD-03 decides over a definition or a server: its findings, and the rule findings the
 * model outweighed (they do not count, and are named in the control's notes).
 */
export interface Decision {
  findings: ControlFinding[];
  outweighed: ControlFinding[];
}

// Findings no reading of the model outweighs. Characters that spell hidden text (Unicode tags,
// variation selectors, long runs of invisible characters) are a carrier whatever the visible
// words say: no benign text needs sixteen of them. An override is said in whatever language the
// attacker chooses: where the model knows too few of the words the rule found it in (it took
// "Ignore all previous instructions" in Slovak or Lao for benign text), its reading cannot
// outweigh the rule.
const FIRM_KINDS: ReadonlySet<string> = new Set(["tags", "smuggling"]);
const UNREAD = 0.5;
const isFirm = (i: Issue, model: FittedModel): boolean =>
  i.firm === true ||
  FIRM_KINDS.has(i.kind) ||
  (i.kind === "override" && model.knownShare(i.detail) < UNREAD);

/** The decision on one judged definition: its findings, and the rule findings the model outweighed. */
export const decide = (d: JudgedDefinition): Decision => decideWith(d, SHIPPED);

/** The decision with another model or other thresholds (choosing them: thresholds.ts). */
export function decideWith(d: JudgedDefinition, w: Weighing): Decision {
  const reading = w.model.read(d.read);
  const model: ControlFinding[] =
    reading.score < w.flags || (w.knows > 0 && w.model.knownShare(d.read.join(" ")) < w.knows)
      ? []
      : [
          {
            message: `${KIND_TITLES.model}: poisoned with probability ${reading.score.toFixed(2)}${said(reading.telling())}`,
            severity: "high",
            location: d.location,
          },
        ];
  const stretches = reading.score < w.stands ? new Stretches(d.read, w) : undefined;
  const standing = (i: Issue): boolean =>
    stretches === undefined || isFirm(i, w.model) || stretches.around(i.detail) >= w.local;
  // Each issue is weighed once: a local reading is a model call.
  const findings: ControlFinding[] = [];
  const outweighed: ControlFinding[] = [];
  for (const f of d.fields) {
    const stands: Issue[] = [];
    const falls: Issue[] = [];
    for (const i of f.issues) (standing(i) ? stands : falls).push(i);
    findings.push(...findingsAt(f.at, stands));
    outweighed.push(...findingsAt(f.at, falls));
  }
  return { findings: [...findings, ...model], outweighed };
}

/** What the rules alone find, before the model is heard: for testing and tuning the rules. */
export const ruleFindings = (d: JudgedDefinition): ControlFinding[] =>
  d.fields.flatMap((f) => findingsAt(f.at, f.issues));

/** The decision over everything a server shows a model (see `judgeServer`). */
export function decideServer(
  surface: ServerSurface,
  where: ToolLocator = listedToolsAt(),
): Decision {
  const out: Decision = { findings: [], outweighed: [] };
  for (const d of judgeServer(surface, where)) {
    const { findings, outweighed } = decide(d);
    out.findings.push(...findings);
    out.outweighed.push(...outweighed);
  }
  return out;
}

/** What the rules alone find over a server, before the model is heard (tests, the benchmark). */
export const serverRuleFindings = (
  surface: ServerSurface,
  where: ToolLocator = listedToolsAt(),
): ControlFinding[] => judgeServer(surface, where).flatMap(ruleFindings);

/** CD-03 findings for everything a server shows a model (see `judgeServer`). */
export function checkServer(
  surface: ServerSurface,
  where: ToolLocator = listedToolsAt(),
): ControlFinding[] {
  return decideServer(surface, where).findings;
}
