// Entry file of the Action: gathers the runner's inputs and context into typed objects and calls
// `run`. Nothing else happens here.
import * as core from "@actions/core";
import { context } from "@actions/github";
import pkg from "../package.json" with { type: "json" };
import { errorMessage, WardenError } from "../policies/errors.ts";
import type { SourceInfo } from "../policies/evaluation/predicate.ts";
import { readInputs } from "./inputs.ts";
import { dockerConfigPath } from "./registry.ts";
import { run, type Annotation, type Reporter } from "./run.ts";

function properties(at: Annotation | undefined): core.AnnotationProperties {
  return {
    ...(at?.file ? { file: at.file } : {}),
    ...(at?.line ? { startLine: at.line } : {}),
    ...(at?.title ? { title: at.title } : {}),
  };
}

const reporter: Reporter = {
  info: (m) => core.info(m),
  warning: (m, at) => core.warning(m, properties(at)),
  error: (m, at) => core.error(m, properties(at)),
  setOutput: (name, value) => core.setOutput(name, value),
  summary: async (markdown) => {
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown).write();
  },
};

/** The release's source, from the workflow run's context; absent outside GitHub Actions. */
function sourceInfo(): SourceInfo | undefined {
  if (!process.env.GITHUB_REPOSITORY || !/^[a-f0-9]{40}([a-f0-9]{24})?$/.test(context.sha))
    return undefined;
  const { owner, repo } = context.repo;
  return {
    repository: `${context.serverUrl}/${owner}/${repo}`,
    commit: context.sha,
    ...(context.ref ? { ref: context.ref } : {}),
    ...(process.env.GITHUB_WORKFLOW_REF ? { workflow: process.env.GITHUB_WORKFLOW_REF } : {}),
    ...(context.runId ? { runId: String(context.runId) } : {}),
    ...(context.runAttempt ? { runAttempt: context.runAttempt } : {}),
  };
}

try {
  // Secrets are masked in the log before anything can print them, and read untrimmed: a
  // password may end in a space.
  const secret = new Set(["key", "key-password", "registry-password", "github-token"]);
  const inputs = readInputs((name) => {
    const value = core.getInput(name, { trimWhitespace: !secret.has(name) });
    if (secret.has(name) && value !== "") core.setSecret(value);
    return value;
  });
  const source = sourceInfo();
  const { failure } = await run(inputs, {
    now: () => new Date(),
    tempDir: process.env.RUNNER_TEMP || process.cwd(),
    workspace: process.env.GITHUB_WORKSPACE || process.cwd(),
    ...(source ? { source } : {}),
    ...(process.env.GITHUB_ACTOR ? { actor: process.env.GITHUB_ACTOR } : {}),
    ...(() => {
      const path = dockerConfigPath(process.env);
      return path ? { dockerConfigPath: path } : {};
    })(),
    oidcAvailable: Boolean(process.env.ACTIONS_ID_TOKEN_REQUEST_URL),
    idToken: (audience) => core.getIDToken(audience),
    evaluator: { name: "mcp-warden", version: pkg.version },
    reporter,
    env: process.env,
  });
  if (failure !== undefined) core.setFailed(failure);
} catch (e) {
  // Bad input and unreachable services get their message, never a stack trace.
  if (e instanceof WardenError) {
    core.setFailed(e.describe());
  } else {
    core.setFailed(`internal error: ${errorMessage(e)}`);
    if (process.env.RUNNER_DEBUG === "1" && e instanceof Error && e.stack) core.debug(e.stack);
  }
}
