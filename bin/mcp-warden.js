#!/usr/bin/env node
// Entry point: checks the Node version, then gathers the process environment and hands it to the
// CLI. An older Node must get this far to say what is wrong, so the TypeScript CLI is imported
// only after the check: a static import is resolved before any of this file runs.
const MIN_NODE_MAJOR = 24;
const version = process.versions.node;

if (Number(version.split(".")[0]) < MIN_NODE_MAJOR) {
  process.stderr.write(`mcp-warden needs Node >= ${MIN_NODE_MAJOR} (this is Node v${version})\n`);
  process.exitCode = 2;
} else {
  import("../cli/main.ts")
    .then(({ main }) =>
      main({
        argv: process.argv.slice(2),
        stdin: process.stdin,
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
        debug: Boolean(process.env.MCP_WARDEN_DEBUG),
        env: process.env,
        inCluster: Boolean(process.env.KUBERNETES_SERVICE_HOST),
        kubeconfig: process.env.KUBECONFIG || undefined,
        waitForShutdown: () =>
          new Promise((resolve) => {
            process.once("SIGTERM", () => resolve("SIGTERM"));
            process.once("SIGINT", () => resolve("SIGINT"));
          }),
      }),
    )
    .then(
      (code) => {
        process.exitCode = code;
      },
      (e) => {
        process.stderr.write(`mcp-warden: cannot start: ${e instanceof Error ? e.message : e}\n`);
        if (process.env.MCP_WARDEN_DEBUG && e instanceof Error)
          process.stderr.write(`${e.stack}\n`);
        process.exitCode = 2;
      },
    );
}
