#!/usr/bin/env node
// Entry point: gathers the process environment and hands it to the CLI.
import { main } from "../cli/main.ts";

const code = await main({
  argv: process.argv.slice(2),
  stdin: process.stdin,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  debug: Boolean(process.env.MCP_WARDEN_DEBUG),
});
process.exitCode = code;
