import { fieldPath } from "../field-path.ts";
import type { ControlFinding, SeverityLevel } from "./predicate.ts";
import { TOOLS_KEY } from "./server-manifest.ts";
import type { ToolDefinition } from "./tool-pins.ts";

/**
 * Description safety (control CD-03): tool names, descriptions and the texts inside their schemas
 * are what a model reads as instructions, so a poisoned one can steer it (tool poisoning). This
 * looks for instruction-override and concealment phrasing, pseudo-system markup, references to
 * secrets on disk, exfiltration phrasing, text hidden with invisible Unicode (zero-width, bidi
 * controls, tag characters, variation-selector smuggling), mixed-script words (homoglyphs),
 * encoded payloads, and names that contradict what the description says the tool does.
 *
 * Findings quote what they found escaped (`\u{200B}`), never the invisible payload itself.
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

// ---------------------------------------------------------------------------------------------
// Showing text safely

const INVISIBLE_OR_CONTROL =
  // eslint-disable-next-line no-misleading-character-class -- these characters are what is looked for
  /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\u00A0\u2000-\u200A\u202F\u205F\u3000\u180E\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/u;

/** `text` with every invisible, control or unusual space character written `\u{XXXX}`, truncated. */
export function escapeText(text: string, max = 120): string {
  let out = "";
  let count = 0;
  for (const ch of text) {
    if (count >= max) {
      out += "…";
      break;
    }
    count++;
    if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (INVISIBLE_OR_CONTROL.test(ch)) {
      out += `\\u{${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}}`;
    } else out += ch;
  }
  return out;
}

const quote = (text: string, max = 100): string => `"${escapeText(text.trim(), max)}"`;

/** The text around `index`, escaped: where a hidden character sits. */
function around(text: string, index: number): string {
  const start = Math.max(0, index - 30);
  const snippet = escapeText(text.slice(start, index + 40), 50);
  return `${start > 0 ? "…" : ""}"${snippet}"`;
}

// ---------------------------------------------------------------------------------------------
// What one text says

interface Issue {
  kind: string;
  severity: SeverityLevel;
  detail: string;
}

const KIND_TITLES: Record<string, string> = {
  override: "tells the model to ignore or replace its instructions",
  concealment: "tells the model to hide something from the user",
  markup: "contains pseudo-system markup that addresses the model",
  "sensitive-file": "refers to secrets on disk",
  exfiltration: "asks for data to leave through parameters or to an outside destination",
  shadowing: "tries to change how other tools are used",
  invisible: "contains invisible characters",
  bidi: "contains bidirectional control characters that reorder what is displayed",
  tags: "contains Unicode tag characters (invisible text)",
  smuggling: "hides data in variation selectors",
  control: "contains control characters",
  homoglyph: "contains mixed-script words (look-alike letters)",
  encoded: "contains an encoded payload",
  "data-url": "contains a data: URL",
  contradiction: "contradicts the tool's name",
};

// Phrasing a model reads as an instruction to drop its own. Windows are bounded and stay within
// one sentence, so unrelated words far apart do not combine.
const PHRASES: { kind: string; severity: SeverityLevel; re: RegExp }[] = [
  {
    kind: "override",
    severity: "high",
    re: /\b(?:ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}?\b(?:previous|prior|above|earlier|preceding|all|any|other|system|original|your|the)\b[^.\n]{0,20}?\b(?:instructions?|prompts?|rules|directions|guidelines|guardrails|polic(?:y|ies)|constraints)\b/i,
  },
  {
    kind: "override",
    severity: "high",
    re: /\b(?:you are now|from now on,? you|new instructions\s*:|act as (?:an? )?(?:admin|administrator|root|system|developer)|developer mode|jailbreak)\b/i,
  },
  {
    kind: "concealment",
    severity: "high",
    re: /\b(?:do not|don't|dont|never|must not|should not|shouldn't)\s+(?:ever\s+)?(?:tell|inform|mention|notify|alert|reveal|disclose|explain to)\b[^.\n]{0,60}/i,
  },
  {
    kind: "concealment",
    severity: "high",
    re: /\b(?:without|before)\s+(?:telling|informing|notifying|alerting|asking)\s+(?:the\s+)?(?:user|human|them)\b|\b(?:keep|hide)\s+(?:this|it|that)\s+(?:secret\s+|hidden\s+)?from\s+(?:the\s+)?(?:user|human)\b|\bthe\s+user\s+(?:must|should)\s+not\s+(?:know|see|notice|be told)\b/i,
  },
  {
    kind: "markup",
    severity: "high",
    re: /<\s*\/?\s*(?:important|system|instructions?|secret|hidden|admin|critical|override|prompt|context)\s*>|\[\s*(?:system|important|instructions?)\s*\]|^\s*(?:system|assistant)\s*:/im,
  },
  {
    kind: "shadowing",
    severity: "high",
    re: /\b(?:all|every|any)\s+(?:emails?|messages?|requests?|calls?|payments?|transfers?)\b[^.\n]{0,40}?\b(?:must|should|shall)\s+(?:also\s+)?(?:be\s+)?(?:sent|forwarded|redirected|copied|cc'?d|bcc'?d|routed)\s+to\b|\b(?:change|replace|redirect|override)\s+(?:the\s+)?(?:recipient|destination|to[- ]address|receiver|account number)\b/i,
  },
  {
    kind: "shadowing",
    severity: "medium",
    re: /\bwhen(?:ever)?\s+(?:the\s+)?(?:user|you|model|assistant)\s+(?:calls?|uses?|invokes?)\s+(?:the\s+|any\s+)?(?:other\s+)?[`'"]?[\w-]+[`'"]?\s+tool\b/i,
  },
];

const SENSITIVE_OBJECT =
  "(?:secrets?|tokens?|api[_ -]?keys?|credentials?|passwords?|passphrases?|private[_ -]?keys?|ssh[_ -]?keys?|env(?:ironment)?(?: variables?)?|(?:file\\s+)?contents?|mcp\\.json|id_rsa|conversation(?: history)?|chat history|system prompt|cookies?|session ids?)";

// Up to n characters within one sentence: a dot followed by a non-space (`~/.aws`, `mcp.json`)
// does not end it.
const within = (n: number): string => `(?:[^.\\n]|\\.(?=\\S)){0,${n}}?`;

const EXFILTRATION: RegExp[] = [
  // "…pass its content as 'sidenote'", "include the API key in the `notes` parameter"
  new RegExp(
    `\\b(?:include|pass|put|add|insert|embed|append|provide|attach|fill|send|copy)\\w*\\b${within(60)}\\b${SENSITIVE_OBJECT}\\b${within(60)}\\b(?:as|in(?:to)?|via|through|inside)\\s+(?:the\\s+|a\\s+|an\\s+)?(?:['"\`][\\w.-]+['"\`]|[\\w.-]+\\s+(?:parameter|argument|param|field)s?\\b|(?:parameter|argument|param|field)s?\\b)`,
    "i",
  ),
  // "send the contents of ~/.aws/credentials to https://…"
  new RegExp(
    `\\b(?:send|upload|post|transmit|forward|exfiltrate|leak|copy|submit|beacon)\\w*\\b${within(80)}\\b${SENSITIVE_OBJECT}\\b${within(80)}\\b(?:to|into)\\s+(?:https?://|[\\w.+-]+@[\\w-]+\\.[\\w.]+|(?:an?\\s+|the\\s+)?(?:external|remote|attacker'?s?|third[- ]party|following|this|my|our)\\s+(?:url|endpoint|server|webhook|address|domain|email|host)\\b)`,
    "i",
  ),
  // "send … to https://…" whatever is sent: a description has no business naming a drop URL.
  /\b(?:send|upload|post|transmit|forward|exfiltrate|leak|beacon)\w*\b[^.\n]{0,80}?\bto\s+https?:\/\/[^\s"'<>]+/i,
];

const SENSITIVE_FILES =
  /(?:~|\$HOME|%USERPROFILE%|\/home\/[\w.-]+|\/root|\/Users\/[\w.-]+)?[\\/]?(?:\.ssh(?:[\\/][\w.-]+)?|\.cursor[\\/]mcp\.json|\.aws[\\/](?:credentials|config)|\.config[\\/]gcloud\b[\w./-]*|\.kube[\\/]config|\.docker[\\/]config\.json|\.git-credentials|\.netrc|\.npmrc|\.pypirc|\.bash_history|\.zsh_history|claude_desktop_config\.json)|\bid_(?:rsa|dsa|ecdsa|ed25519)(?:\.pub)?\b|\/etc\/(?:passwd|shadow|sudoers)\b|(?:^|[\s'"`(])(?:~\/|\.\/)?\.env(?:\.\w+)?\b|(?:~|\$HOME)\/[\w./-]*mcp\.json|\bwallet\.dat\b|\blogin\.keychain\b/gi;

function phraseIssues(text: string): Issue[] {
  const issues: Issue[] = [];
  for (const { kind, severity, re } of PHRASES) {
    const m = re.exec(text);
    if (m !== null) issues.push({ kind, severity, detail: quote(m[0]) });
  }
  for (const re of EXFILTRATION) {
    const m = re.exec(text);
    if (m !== null) {
      issues.push({ kind: "exfiltration", severity: "high", detail: quote(m[0]) });
      break;
    }
  }
  const files = [...text.matchAll(SENSITIVE_FILES)].map((m) => m[0].trim()).filter((f) => f !== "");
  if (files.length > 0)
    issues.push({
      kind: "sensitive-file",
      severity: "high",
      detail: [...new Set(files)]
        .slice(0, 5)
        .map((f) => quote(f, 60))
        .join(", "),
    });
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Hidden characters

// eslint-disable-next-line no-misleading-character-class -- these characters are what is looked for
const ZERO_WIDTH = /[\u200B-\u200D\u2060-\u2064\uFEFF\u180E\u034F\u115F\u1160\u3164\uFFA0]/gu;
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/gu;
const TAGS = /[\u{E0000}-\u{E007F}]+/gu;
const VARIATION_RUN = /[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]{2,}/gu;
// eslint-disable-next-line no-control-regex -- these characters are what is looked for
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/gu;
const OTHER_FORMAT = /\p{Cf}/gu;
// One character at a time (no /g: a global regex's test() keeps state between calls).
// eslint-disable-next-line no-misleading-character-class -- these characters are what is looked for
const IS_ZERO_WIDTH = new RegExp(ZERO_WIDTH.source, "u");
const IS_BIDI = new RegExp(BIDI.source, "u");
const IS_TAG = /[\u{E0000}-\u{E007F}]/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;

const codePoints = (chars: string[]): string =>
  [...new Set(chars)]
    .slice(0, 6)
    .map((c) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`)
    .join(", ");

function decodeTags(run: string): string {
  let out = "";
  for (const ch of run) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0xe0020 && cp <= 0xe007e) out += String.fromCodePoint(cp - 0xe0000);
  }
  return out;
}

// Variation selectors carry one byte each (VS1–16 → 0–15, VS17–256 → 16–255): a known way to
// smuggle text after an emoji.
function decodeVariationSelectors(run: string): string | undefined {
  const bytes: number[] = [];
  for (const ch of run) {
    const cp = ch.codePointAt(0) ?? 0;
    bytes.push(cp <= 0xfe0f ? cp - 0xfe00 : cp - 0xe0100 + 16);
  }
  return readableText(Uint8Array.from(bytes));
}

function hiddenIssues(text: string, decoded: string[]): Issue[] {
  const issues: Issue[] = [];
  const zeroWidth = [...text.matchAll(ZERO_WIDTH)].filter((m) => {
    // A zero-width joiner between pictographs is how emoji sequences are written.
    if (m[0] !== "\u200D") return true;
    const before = text.slice(0, m.index);
    const after = text.slice(m.index + 1);
    const prev = [...before].at(-1) ?? "";
    const next = [...after][0] ?? "";
    return (
      // eslint-disable-next-line no-misleading-character-class -- these characters are what is looked for
      !(PICTOGRAPH.test(prev) || /[\uFE0F\u{1F3FB}-\u{1F3FF}]/u.test(prev)) ||
      !PICTOGRAPH.test(next)
    );
  });
  if (zeroWidth.length > 0)
    issues.push({
      kind: "invisible",
      severity: "high",
      detail: `${zeroWidth.length} (${codePoints(zeroWidth.map((m) => m[0]))}) at ${around(text, zeroWidth[0]?.index ?? 0)}`,
    });
  const bidi = [...text.matchAll(BIDI)];
  if (bidi.length > 0)
    issues.push({
      kind: "bidi",
      severity: "high",
      detail: `${bidi.length} (${codePoints(bidi.map((m) => m[0]))}) at ${around(text, bidi[0]?.index ?? 0)}`,
    });
  const tags = [...text.matchAll(TAGS)].map((m) => m[0]);
  if (tags.length > 0) {
    const spelled = tags.map(decodeTags).join(" ");
    decoded.push(spelled);
    issues.push({ kind: "tags", severity: "high", detail: `that spell ${quote(spelled, 200)}` });
  }
  for (const m of text.matchAll(VARIATION_RUN)) {
    const hidden = decodeVariationSelectors(m[0]);
    if (hidden === undefined) continue;
    decoded.push(hidden);
    issues.push({
      kind: "smuggling",
      severity: "high",
      detail: `that decode to ${quote(hidden, 200)}`,
    });
  }
  const control = [...text.matchAll(CONTROL)];
  if (control.length > 0)
    issues.push({
      kind: "control",
      severity: control.some((m) => m[0] === "\u001B") ? "high" : "medium",
      detail: `${control.length} (${codePoints(control.map((m) => m[0]))}) at ${around(text, control[0]?.index ?? 0)}`,
    });
  const others = [...text.matchAll(OTHER_FORMAT)].filter(
    (m) => !IS_ZERO_WIDTH.test(m[0]) && !IS_BIDI.test(m[0]) && !IS_TAG.test(m[0]),
  );
  if (others.length > 0)
    issues.push({
      kind: "invisible",
      severity: "medium",
      detail: `${others.length} formatting (${codePoints(others.map((m) => m[0]))}) at ${around(text, others[0]?.index ?? 0)}`,
    });
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Homoglyphs

const LATIN = /\p{Script=Latin}/u;
const CONFUSABLE_SCRIPTS: [string, RegExp][] = [
  ["Cyrillic", /\p{Script=Cyrillic}/u],
  ["Greek", /\p{Script=Greek}/u],
  ["Armenian", /\p{Script=Armenian}/u],
  ["Cherokee", /\p{Script=Cherokee}/u],
];

function homoglyphIssues(text: string): Issue[] {
  const words: string[] = [];
  for (const word of text.split(/[^\p{L}\p{M}\p{N}_]+/u)) {
    if (!LATIN.test(word)) continue;
    const foreign = CONFUSABLE_SCRIPTS.filter(([, re]) => re.test(word));
    if (foreign.length === 0) continue;
    const letters = [...word].filter((c) => foreign.some(([, re]) => re.test(c)));
    words.push(
      `${quote(word, 40)} (Latin with ${foreign.map(([s]) => s).join(", ")} ${codePoints(letters)})`,
    );
  }
  return words.length === 0
    ? []
    : [{ kind: "homoglyph", severity: "high", detail: words.slice(0, 5).join(", ") }];
}

// ---------------------------------------------------------------------------------------------
// Encoded payloads

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The bytes as text when they are valid UTF-8 and read as text; undefined for binary. */
function readableText(bytes: Uint8Array): string | undefined {
  if (bytes.length < 12) return undefined;
  let text: string;
  try {
    text = fatalUtf8.decode(bytes);
  } catch {
    return undefined;
  }
  const chars = [...text];
  const printable = chars.filter(
    (c) => !/[\p{C}]/u.test(c) || c === "\n" || c === "\t" || c === "\r",
  );
  const wordish = chars.filter((c) => /[\p{L}\s]/u.test(c));
  return printable.length / chars.length >= 0.95 && wordish.length / chars.length >= 0.6
    ? text
    : undefined;
}

const BASE64 = /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{40,}={0,2}(?![A-Za-z0-9+/=_-])/g;
const HEX = /(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}){20,}(?![0-9A-Fa-f])/g;
const ESCAPES = /(?:\\x[0-9A-Fa-f]{2}){8,}|(?:\\u[0-9A-Fa-f]{4}){8,}|(?:%[0-9A-Fa-f]{2}){8,}/g;
const DATA_URL = /\bdata:([a-z]+\/[\w.+-]+)?((?:;[\w-]+=[\w.-]+)*)(;base64)?,([^\s"'<>)\]]*)/gi;

function fromBase64(s: string): Uint8Array {
  return Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

function fromEscapes(s: string): Uint8Array {
  if (s.startsWith("\\u")) {
    const text = s.replace(/\\u([0-9A-Fa-f]{4})/g, (_, h: string) =>
      String.fromCharCode(parseInt(h, 16)),
    );
    return new TextEncoder().encode(text);
  }
  return Uint8Array.from(
    s
      .split(/\\x|%/)
      .filter((h) => h !== "")
      .map((h) => parseInt(h, 16)),
  );
}

function encodedIssues(text: string, decoded: string[]): Issue[] {
  const issues: Issue[] = [];
  const report = (how: string, raw: string, bytes: Uint8Array) => {
    const hidden = readableText(bytes);
    if (hidden === undefined) return;
    decoded.push(hidden);
    issues.push({
      kind: "encoded",
      severity: "medium",
      detail: `${how} ${quote(raw, 40)} that decodes to ${quote(hidden, 160)}`,
    });
  };
  // A data: URL's body is reported as the data: URL, not again as base64.
  const outsideDataUrls = text.replace(DATA_URL, " ");
  for (const m of outsideDataUrls.matchAll(BASE64)) report("base64", m[0], fromBase64(m[0]));
  for (const m of text.matchAll(HEX)) report("hex", m[0], Buffer.from(m[0], "hex"));
  for (const m of text.matchAll(ESCAPES)) report("escaped", m[0], fromEscapes(m[0]));
  for (const m of text.matchAll(DATA_URL)) {
    const [, mime = "text/plain", , base64, body = ""] = m;
    let hidden: string | undefined;
    try {
      hidden =
        base64 === undefined
          ? readableText(new TextEncoder().encode(decodeURIComponent(body)))
          : readableText(fromBase64(body));
    } catch {
      hidden = undefined;
    }
    if (hidden !== undefined) decoded.push(hidden);
    issues.push({
      kind: "data-url",
      severity: "medium",
      detail:
        hidden === undefined
          ? `of type ${mime} (${body.length} characters)`
          : `of type ${mime} that decodes to ${quote(hidden, 160)}`,
    });
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Name against description

const READ_ONLY_NAME =
  /^(?:get|list|read|search|find|fetch|query|describe|show|view|lookup|count|check|inspect|preview|stat|browse|peek|info|status|explain|summari[sz]e)$/i;
const SIDE_EFFECT =
  /\b(?:delet(?:e|es|ing)|remov(?:e|es|ing)|eras(?:e|es|ing)|wip(?:e|es|ing)|overwrit(?:e|es|ing)|writ(?:e|es|ing)\s+(?:to|into|over)|modif(?:y|ies|ying)|send(?:s|ing)?|upload(?:s|ing)?|execut(?:e|es|ing)|install(?:s|ing)?|drop(?:s|ping)?\s+(?:the\s+)?(?:table|database|collection)|truncat(?:e|es|ing)|transfer(?:s|ring)?|post(?:s|ing)?\s+to|publish(?:es|ing)?|purchas(?:e|es|ing)|kill(?:s|ing)?|shut(?:s|ting)?\s+down|rm\s+-rf|chmod|chown)\b/gi;
const NEGATION = /\b(?:not|never|without|no|cannot|won't|doesn't|don't|isn't|nor)\b[^.\n]{0,30}$/i;

function firstNameWord(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").split(/[\s_.:/-]+/)[0] ?? "";
}

function contradictionIssues(tool: ToolDefinition): Issue[] {
  const description = tool.description ?? "";
  const readOnlyName = READ_ONLY_NAME.test(firstNameWord(tool.name));
  const readOnlyHint = tool.annotations?.readOnlyHint === true;
  if (!readOnlyName && !readOnlyHint) return [];
  const actions: string[] = [];
  for (const m of description.matchAll(SIDE_EFFECT)) {
    if (NEGATION.test(description.slice(Math.max(0, m.index - 40), m.index))) continue;
    actions.push(m[0]);
  }
  if (actions.length === 0) return [];
  const claim = readOnlyName
    ? `the name ${quote(tool.name, 60)} says it only reads`
    : "its annotations say it is read-only (readOnlyHint)";
  return [
    {
      kind: "contradiction",
      severity: "medium",
      detail: `${claim}, but the description says it ${[...new Set(actions.map((a) => a.toLowerCase()))].slice(0, 4).join(", ")}`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------

/** Issues with one piece of text a model reads; `prose` false for identifiers (names, keys). */
function textIssues(text: string, prose: boolean): Issue[] {
  const decoded: string[] = [];
  const issues = [...hiddenIssues(text, decoded), ...homoglyphIssues(text)];
  if (!prose) return issues;
  issues.push(...encodedIssues(text, decoded), ...phraseIssues(text));
  // Hidden or encoded text is read for what it says, and says it worse for being hidden.
  for (const hidden of decoded) {
    for (const issue of phraseIssues(hidden))
      issues.push({ ...issue, severity: "high", detail: `(hidden) ${issue.detail}` });
  }
  return issues;
}

function findingsAt(location: string, issues: Issue[]): ControlFinding[] {
  const byKind = new Map<string, Issue[]>();
  for (const issue of issues) byKind.set(issue.kind, [...(byKind.get(issue.kind) ?? []), issue]);
  const rank: SeverityLevel[] = ["critical", "high", "medium", "low", "unknown"];
  return [...byKind.entries()].map(([kind, list]) => ({
    message: `${KIND_TITLES[kind] ?? kind}: ${[...new Set(list.map((i) => i.detail))].join("; ")}`,
    severity:
      list.map((i) => i.severity).sort((a, b) => rank.indexOf(a) - rank.indexOf(b))[0] ?? "medium",
    location,
  }));
}

// Keys whose strings are machine syntax, not text for the model: only hidden characters matter.
const SYNTAX_KEYS = new Set(["$schema", "$id", "$ref", "type", "format", "pattern", "$anchor"]);

function schemaTexts(
  node: unknown,
  path: string,
  out: { path: string; text: string; prose: boolean }[],
  depth = 0,
): void {
  if (depth > 64) return;
  if (typeof node === "string") out.push({ path, text: node, prose: true });
  else if (Array.isArray(node))
    node.forEach((v, i) => schemaTexts(v, fieldPath(path, i), out, depth + 1));
  else if (typeof node === "object" && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      const at = fieldPath(path, key);
      if (path.endsWith(".properties")) out.push({ path: at, text: key, prose: false });
      if (SYNTAX_KEYS.has(key) && typeof value === "string")
        out.push({ path: at, text: value, prose: false });
      else schemaTexts(value, at, out, depth + 1);
    }
  }
}

/**
 * CD-03 findings for a list of tools: one per kind of problem per field, located as
 * `<where(tool, i)>.description`, `.name`, `.inputSchema.properties.path.description`...
 */
export function checkDescriptions(
  tools: readonly ToolDefinition[],
  where: ToolLocator,
): ControlFinding[] {
  const findings: ControlFinding[] = [];
  tools.forEach((tool, index) => {
    const base = where(tool, index);
    const at = (...segments: (string | number)[]) => fieldPath(base, ...segments);
    findings.push(...findingsAt(at("name"), textIssues(tool.name, false)));
    if (tool.title !== undefined)
      findings.push(...findingsAt(at("title"), textIssues(tool.title, true)));
    findings.push(
      ...findingsAt(at("description"), [
        ...(tool.description === undefined ? [] : textIssues(tool.description, true)),
        ...contradictionIssues(tool),
      ]),
    );
    const texts: { path: string; text: string; prose: boolean }[] = [];
    schemaTexts(tool.inputSchema, at("inputSchema"), texts);
    if (tool.outputSchema !== undefined) schemaTexts(tool.outputSchema, at("outputSchema"), texts);
    if (tool.annotations !== undefined) schemaTexts(tool.annotations, at("annotations"), texts);
    for (const t of texts) findings.push(...findingsAt(t.path, textIssues(t.text, t.prose)));
  });
  return findings;
}

/** A prompt as `prompts/list` returns it: what a model reads of it. */
export interface PromptDefinition {
  name: string;
  title?: string;
  description?: string;
  arguments?: { name: string; title?: string; description?: string; required?: boolean }[];
}

/** A resource template as `resources/templates/list` returns it. */
export interface ResourceTemplateDefinition {
  uriTemplate: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
}

/** Everything of one server that a model reads. */
export interface ServerSurface {
  tools: readonly ToolDefinition[];
  /** The `instructions` of the server's `initialize` result. */
  instructions?: string;
  prompts?: readonly PromptDefinition[];
  resourceTemplates?: readonly ResourceTemplateDefinition[];
}

/** CD-03 findings for everything a server shows a model; tools are located with `where`. */
export function checkServer(
  surface: ServerSurface,
  where: ToolLocator = listedToolsAt(),
): ControlFinding[] {
  return checkDescriptions(surface.tools, where);
}
