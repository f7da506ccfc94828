import pkg from "../package.json" with { type: "json" };
import { errorMessage, WardenError } from "../policies/errors.ts";
import {
  commandList,
  COMMANDS,
  findCommand,
  helpOf,
  usageOf,
  type Command,
  type Io,
} from "./commands.ts";
import { CliError } from "./errors.ts";
import { parseErrorLine } from "./options.ts";
import { closest, either } from "./suggest.ts";

export type { Io } from "./commands.ts";

/** `--help` or `-h` before any `--`: help wins over every other argument, right or wrong. */
function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

/** An unknown command or top-level option: one line with the closest, then the command list. */
function unknown(word: string, io: Io): number {
  const option = word.startsWith("-");
  const meant = option
    ? closest(word, ["--help", "--version"])
    : closest(
        word,
        COMMANDS.map((c) => c.name),
      );
  io.stderr(
    `mcp-warden: unknown ${option ? "option" : "command"} ${JSON.stringify(word)}${meant.length > 0 ? `; did you mean ${either(meant)}?` : ""}\n\n${commandList()}`,
  );
  return 2;
}

/** `mcp-warden help [COMMAND]`. */
function help(args: readonly string[], io: Io): number {
  const [name] = args;
  if (name === undefined) {
    io.stdout(commandList());
    return 0;
  }
  const command = findCommand(name);
  if (command === undefined) return unknown(name, io);
  io.stdout(helpOf(command));
  return 0;
}

/** How a command's error is reported; every error exits 2. */
function report(e: unknown, command: Command, io: Io): number {
  if (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS")) {
    // A command that calls node:util's parseArgs itself rather than parseOptions.
    e = new CliError("USAGE", parseErrorLine(e.message), { cause: e });
  }
  if (e instanceof CliError) {
    const [first, ...more] = e.describe().split("\n");
    const see = e.code === "USAGE" ? ` (see mcp-warden ${command.name} --help)` : "";
    io.stderr(`mcp-warden ${command.name}: ${[`${first}${see}`, ...more].join("\n")}\n`);
    if (e.code === "USAGE") io.stderr(`\n${usageOf(command)}`);
    return 2;
  }
  if (e instanceof WardenError) {
    io.stderr(`mcp-warden: ${e.describe()}\n`);
    return 2;
  }
  // Unexpected: one line, no stack trace, unless asked for.
  io.stderr(`mcp-warden: internal error: ${errorMessage(e)}\n`);
  if (io.debug) io.stderr(`${e instanceof Error ? e.stack : ""}\n`);
  return 2;
}

/**
 * The CLI: finds the command in the table (`cli/commands.ts`), answers `--help` and `--version`,
 * and runs it. Returns the exit status: no command is a usage error (the list on stderr, exit 2);
 * `--help` and `help` print on stdout and exit 0.
 */
export async function main(io: Io): Promise<number> {
  const [name, ...rest] = io.argv;
  if (name === undefined) {
    io.stderr(commandList());
    return 2;
  }
  if (name === "--help" || name === "-h") return help([], io);
  if (name === "help") return help(rest, io);
  if (name === "--version") {
    io.stdout(`mcp-warden ${pkg.version}\n`);
    return 0;
  }
  const command = findCommand(name);
  if (command === undefined) return unknown(name, io);
  if (asksForHelp(rest) || (command.subcommands !== undefined && rest[0] === "help")) {
    io.stdout(helpOf(command));
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    return report(e, command, io);
  }
}
