#!/usr/bin/env node
// Entry point: gathers the process environment and hands it to the CLI.
import { main } from "../cli/main.ts";

const code = await main({
  argv: process.argv.slice(2),
  stdin: process.stdin,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  debug: Boolean(process.env.MCP_WARDEN_DEBUG),
  inCluster: Boolean(process.env.KUBERNETES_SERVICE_HOST),
  kubeconfig: process.env.KUBECONFIG || undefined,
  waitForShutdown: () =>
    new Promise((resolve) => {
      process.once("SIGTERM", () => resolve("SIGTERM"));
      process.once("SIGINT", () => resolve("SIGINT"));
    }),
});
process.exitCode = code;
