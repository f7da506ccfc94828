import { compileGlob } from "../policies/glob.ts";
import { CATALOGUE, type RuleInfo } from "../policies/workload/catalogue.ts";
import type { CompiledPolicy, RuleAction } from "../policies/workload/policy.ts";
import { CliError } from "./errors.ts";
import { DEFAULT_POLICY_FILE, loadPolicyFile } from "./load-policy.ts";
import { oneOf, parseOptions } from "./options.ts";
import { closest, either } from "./suggest.ts";

export interface RulesIo {
  stdout: (text: string) => void;
}

/** One rule as `mcp-warden rules --format json` lists it. */
export interface RuleListing {
  id: string;
  title: string;
  /** What the policy does with the rule's findings. */
  action: RuleAction;
  /** The policy runs the rule (its action is not `off`). */
  enabled: boolean;
  /** An MCPWardenException can exempt a workload from it, under this policy. */
  exemptible: boolean;
  /** Judged only with registry facts: `check --verify-images`, `verify`, the webhook. */
  needsRegistry: boolean;
}

const WIDTH = 96;

function listing(rule: RuleInfo, policy: CompiledPolicy): RuleListing {
  const action = policy.actionFor(rule.id);
  return {
    id: rule.id,
    title: rule.title,
    action,
    enabled: action !== "off",
    exemptible: policy.isExemptible(rule.id),
    needsRegistry: rule.needsRegistry,
  };
}

function family(id: string): string {
  return id.split("/")[0] ?? id;
}

function table(rows: readonly RuleListing[]): string[] {
  const header = ["RULE", "ACTION", "EXEMPTIBLE", "REGISTRY", "REQUIRES"];
  const cells = rows.map((r) => [
    r.id,
    r.action,
    r.exemptible ? "yes" : "no",
    r.needsRegistry ? "yes" : "no",
    r.title,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) =>
    c
      .map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const out = [line(header)];
  cells.forEach((c, i) => {
    // A blank line between families keeps the long list readable.
    if (i > 0 && family(rows[i]!.id) !== family(rows[i - 1]!.id)) out.push("");
    out.push(line(c));
  });
  return out;
}

/** `mcp-warden rules`: the rule catalogue under a policy (the default one unless --policy). */
export async function runRules(args: string[], io: RulesIo): Promise<number> {
  const { values } = parseOptions({
    args,
    strict: true,
    options: {
      policy: { type: "string" },
      format: { type: "string", default: "text" },
    },
  });
  const format = oneOf("format", values.format, ["text", "json"]);
  const policy = await loadPolicyFile(values.policy ?? DEFAULT_POLICY_FILE);
  const rows = CATALOGUE.map((r) => listing(r, policy));
  if (format === "json") {
    io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  const counts = (["enforce", "warn", "audit", "off"] as const)
    .map((a) => ({ a, n: rows.filter((r) => r.action === a).length }))
    .filter(({ n }) => n > 0)
    .map(({ a, n }) => `${n} ${a}`);
  io.stdout(
    [
      ...table(rows),
      "",
      `${rows.length} rules under policy ${policy.name} (${values.policy ?? "policies/default.yaml"}): ${counts.join(", ")}.`,
      "REGISTRY yes: judged only with registry facts (check --verify-images, verify, the webhook).",
      "mcp-warden explain RULE tells what a rule guards against and how to pass it.",
      "",
    ].join("\n"),
  );
  return 0;
}

/** Words joined into lines of at most `width` characters, each line indented. */
function wrap(text: string, indent: string, width = WIDTH): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line !== "" && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(indent + line);
  return lines.join("\n");
}

/** Why a name matches no rule, and what it may have meant: one line. */
function noSuchRule(name: string): string {
  const ids = CATALOGUE.map((r) => r.id);
  const families = [...new Set(ids.map(family))];
  if (name.includes("*")) {
    const prefix = name.split("*")[0] ?? "";
    const meant = closest(family(prefix), families).map((f) => `${f}/*`);
    return `no rule matches ${name}${meant.length > 0 ? `; did you mean ${either(meant)}?` : "; mcp-warden rules lists every rule"}`;
  }
  const asFamily = name.replace(/\/$/, "");
  const inFamily = ids.filter((id) => id.startsWith(`${asFamily}/`));
  if (inFamily.length > 0)
    return `no rule ${JSON.stringify(name)}; the rules matching ${asFamily}/* are ${inFamily.join(", ")}`;
  // `privileged` for `pod-security/privileged`, and typos of either.
  const byName = ids.filter((id) => id.slice(id.indexOf("/") + 1) === name);
  const meant =
    byName.length > 0
      ? byName
      : [
          ...new Set([
            ...closest(name, ids),
            ...closest(
              name,
              ids.map((id) => id.slice(id.indexOf("/") + 1)),
            ).flatMap((n) => ids.filter((id) => id.endsWith(`/${n}`))),
          ]),
        ];
  return `no rule ${JSON.stringify(name)}${meant.length > 0 ? `; did you mean ${either(meant)}?` : "; mcp-warden rules lists every rule"}`;
}

/** The rules named: each id or glob must match at least one. @throws CliError NOT_FOUND */
function rulesNamed(names: readonly string[]): RuleInfo[] {
  const found = new Set<RuleInfo>();
  for (const name of names) {
    const glob = compileGlob(name);
    const matching = CATALOGUE.filter((r) =>
      name.includes("*") ? glob.matches(r.id) : r.id === name,
    );
    if (matching.length === 0) throw new CliError("NOT_FOUND", noSuchRule(name));
    for (const r of matching) found.add(r);
  }
  return [...found];
}

/** Whether an example holds a fragment of a Deployment: a document without a kind, at spec.template. */
function partOfWorkload(example: string): boolean {
  return example
    .split(/^---$/m)
    .some((doc) => !/^kind:/m.test(doc) && /^spec:\n\s+template:/m.test(doc));
}

function explanation(rule: RuleInfo, policy: CompiledPolicy): string {
  const status = [
    `The default policy: ${policy.actionFor(rule.id)}, ${policy.isExemptible(rule.id) ? "exemptible by an MCPWardenException" : "not exemptible"}.`,
    ...(rule.needsRegistry ? ["Needs a registry: check judges it only with --verify-images."] : []),
  ].join(" ");
  return [
    rule.id,
    "",
    "checks",
    wrap(rule.title, "  "),
    wrap(status, "  "),
    "",
    "why",
    wrap(rule.explain.why, "  "),
    "",
    "fix",
    wrap(rule.explain.fix, "  "),
    "",
    partOfWorkload(rule.explain.example)
      ? "example (a document without a kind holds fields of the workload's Deployment)"
      : "example",
    rule.explain.example.replace(/^/gm, "  "),
    "",
  ].join("\n");
}

/** `mcp-warden explain RULE|GLOB...`: why each rule exists and how to pass it. */
export async function runExplain(args: string[], io: RulesIo): Promise<number> {
  const { values, positionals } = parseOptions({
    args,
    allowPositionals: true,
    strict: true,
    options: { format: { type: "string", default: "text" } },
  });
  const format = oneOf("format", values.format, ["text", "json"]);
  if (positionals.length === 0)
    throw new CliError("USAGE", "needs a rule id or glob; mcp-warden rules lists them");
  const rules = rulesNamed(positionals);
  if (format === "json") {
    const out = rules.map((r) => ({
      id: r.id,
      title: r.title,
      needsRegistry: r.needsRegistry,
      ...r.explain,
    }));
    io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  const policy = await loadPolicyFile(DEFAULT_POLICY_FILE);
  io.stdout(rules.map((r) => explanation(r, policy)).join("\n"));
  return 0;
}
