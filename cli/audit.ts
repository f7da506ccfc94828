import { randomBytes } from "node:crypto";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AuditError } from "../policies/audit/errors.ts";
import { keyPairFromSeed, parseVerifier, type NoteVerifier } from "../policies/audit/note.ts";
import { verifyLog, type CheckpointFile, type LogLine } from "../policies/audit/verify.ts";
import { CliError } from "./errors.ts";
import { oneOf, parseOptions } from "./options.ts";
import { closest } from "./suggest.ts";

export interface AuditIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const SUBCOMMANDS = ["verify", "keygen"] as const;

const VERIFY_OPTIONS = {
  checkpoints: { type: "string" },
  key: { type: "string" },
  record: { type: "string" },
  origin: { type: "string" },
  format: { type: "string" },
} as const;
const KEYGEN_OPTIONS = { out: { type: "string" } } as const;

/**
 * Parses a subcommand's arguments knowing the other's options too, so that `keygen --key` says
 * the option belongs to verify rather than that it does not exist.
 */
function parseSub<T extends typeof VERIFY_OPTIONS | typeof KEYGEN_OPTIONS>(
  sub: (typeof SUBCOMMANDS)[number],
  args: string[],
  options: T,
) {
  const other = sub === "verify" ? KEYGEN_OPTIONS : VERIFY_OPTIONS;
  const parsed = parseOptions({
    args,
    allowPositionals: true,
    strict: true,
    options: { ...other, ...options },
  });
  const misplaced = Object.keys(other).find(
    (o) => !(o in options) && (parsed.values as Record<string, unknown>)[o] !== undefined,
  );
  if (misplaced !== undefined)
    throw new CliError(
      "USAGE",
      `--${misplaced} is an option of audit ${sub === "verify" ? "keygen" : "verify"}, not ${sub}`,
    );
  return parsed as unknown as {
    values: { [K in keyof T]: string | undefined };
    positionals: string[];
  };
}

/** `mcp-warden audit verify|keygen`. */
export async function runAudit(args: string[], io: AuditIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined)
    throw new CliError("USAGE", `needs a subcommand (${SUBCOMMANDS.join(", ")})`);
  if (sub === "verify") return await runVerify(rest, io);
  if (sub === "keygen") return await runKeygen(rest, io);
  const meant = closest(sub, [...SUBCOMMANDS]);
  throw new CliError(
    "USAGE",
    `unknown subcommand ${JSON.stringify(sub)}${meant.length > 0 ? `; did you mean ${meant[0]}?` : ""}`,
  );
}

/** A verifier key given inline (`name+hash+key`) or as the file that holds it. */
async function readVerifier(value: string): Promise<NoteVerifier> {
  const inline = /^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/.test(value);
  let text = value;
  if (!inline) {
    try {
      text = await readFile(value, "utf8");
    } catch (e) {
      throw new CliError("USAGE", `--key ${value}: neither a verifier key nor a readable file`, {
        cause: e,
      });
    }
  }
  try {
    return parseVerifier(text);
  } catch (e) {
    if (e instanceof AuditError)
      throw new CliError("USAGE", `--key ${value}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** The log's lines: one JSON-lines file, or a directory of them (a sink's records/) in name order. */
async function readLog(path: string): Promise<LogLine[]> {
  const info = await stat(path).catch((e: unknown) => {
    throw new CliError("USAGE", `${path}: no such log file or directory`, { cause: e });
  });
  const files = info.isDirectory()
    ? (await readdir(path))
        .filter((n) => n.endsWith(".jsonl"))
        .sort()
        .map((n) => join(path, n))
    : [path];
  const lines: LogLine[] = [];
  for (const f of files) {
    const text = await readFile(f, "utf8");
    text.split("\n").forEach((l, i) => {
      if (l.trim().length > 0) lines.push({ text: l, where: `${f}:${i + 1}` });
    });
  }
  return lines;
}

async function readCheckpoints(dir: string): Promise<CheckpointFile[]> {
  const names = await readdir(dir).catch((e: unknown) => {
    throw new CliError("USAGE", `--checkpoints ${dir}: not a readable directory`, { cause: e });
  });
  const files: CheckpointFile[] = [];
  for (const n of names.filter((x) => !x.startsWith(".")).sort()) {
    const path = join(dir, n);
    if ((await stat(path)).isFile())
      files.push({ note: await readFile(path, "utf8"), where: path });
  }
  return files;
}

async function runVerify(args: string[], io: AuditIo): Promise<number> {
  const { values, positionals } = parseSub("verify", args, VERIFY_OPTIONS);
  if (positionals.length !== 1)
    throw new CliError("USAGE", "verify needs one LOG (a file or a directory)");
  if (values.checkpoints === undefined)
    throw new CliError("USAGE", "--checkpoints DIR is required");
  if (values.key === undefined) throw new CliError("USAGE", "--key VERIFIER is required");
  const format = oneOf("format", values.format ?? "text", ["text", "json"] as const);
  let record: number | undefined;
  if (values.record !== undefined) {
    if (!/^(0|[1-9][0-9]*)$/.test(values.record))
      throw new CliError("USAGE", `--record ${values.record} is not a record index`);
    record = Number(values.record);
  }
  const verifier = await readVerifier(values.key);
  const lines = await readLog(positionals[0] as string);
  const notes = await readCheckpoints(values.checkpoints);
  try {
    const v = verifyLog(lines, notes, verifier, {
      ...(values.origin === undefined ? {} : { origin: values.origin }),
      ...(record === undefined ? {} : { record }),
    });
    if (v.checkpoints.length === 0) {
      const message = "no checkpoint signed by the key: nothing in the log is proven";
      if (format === "json")
        io.stdout(`${JSON.stringify({ verified: false, code: "NO_CHECKPOINT", message })}\n`);
      else io.stderr(`${message}\n`);
      return 1;
    }
    if (format === "json") {
      io.stdout(
        `${JSON.stringify({
          verified: true,
          origin: v.origin,
          records: v.records,
          covered: v.covered,
          checkpoints: v.checkpoints.map((c) => ({
            size: c.size,
            root: c.root.toString("base64"),
            file: c.where,
          })),
          ...(v.inclusion === undefined ? {} : { inclusion: v.inclusion }),
        })}\n`,
      );
    } else {
      io.stdout(
        `${v.origin}: ${v.records} records; ${v.checkpoints.length} checkpoints verified, the newest covering ${v.covered}\n`,
      );
      if (v.covered < v.records)
        io.stdout(
          `${v.records - v.covered} records after the newest checkpoint are not signed for yet\n`,
        );
      if (v.inclusion !== undefined) {
        const p = v.inclusion;
        io.stdout(
          `record ${p.index} is included in the tree of size ${p.treeSize} with root ${p.root}\n` +
            `leaf ${p.leaf}\n${p.path.map((h, i) => `  path[${i}] ${h}\n`).join("")}`,
        );
      }
    }
    return 0;
  } catch (e) {
    if (!(e instanceof AuditError)) throw e;
    // AUDIT_INPUT_INVALID is a question the log cannot answer (no checkpoint covers --record).
    if (e.code === "AUDIT_INPUT_INVALID") throw new CliError("USAGE", e.message, { cause: e });
    if (format === "json")
      io.stdout(`${JSON.stringify({ verified: false, code: e.code, message: e.message })}\n`);
    else io.stderr(`${e.code}: ${e.describe()}\n`);
    return 1;
  }
}

async function runKeygen(args: string[], io: AuditIo): Promise<number> {
  const { values, positionals } = parseSub("keygen", args, KEYGEN_OPTIONS);
  if (positionals.length !== 1)
    throw new CliError("USAGE", "keygen needs one key NAME (audit.example.com/team-a)");
  let pair;
  try {
    pair = keyPairFromSeed(positionals[0] as string, randomBytes(32));
  } catch (e) {
    if (e instanceof AuditError) throw new CliError("USAGE", e.message, { cause: e });
    throw e;
  }
  if (values.out === undefined) {
    io.stdout(`${pair.signer}\n${pair.verifier}\n`);
    return 0;
  }
  await writeFile(`${values.out}.key`, `${pair.signer}\n`, { mode: 0o600, flag: "wx" });
  await writeFile(`${values.out}.pub`, `${pair.verifier}\n`, { flag: "wx" });
  io.stdout(`${pair.verifier}\n`);
  return 0;
}
