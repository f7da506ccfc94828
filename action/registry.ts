import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage, InputError } from "../policies/errors.ts";
import { parseImageReference } from "../policies/workload/image-reference.ts";
import { RegistryClient } from "../supply-chain/registry/client.ts";
import {
  chainCredentials,
  fromDockerConfig,
  staticCredentials,
  type CredentialSource,
} from "../supply-chain/registry/credentials.ts";
import { ActionError } from "./errors.ts";
import type { ActionInputs } from "./inputs.ts";

export interface RegistryEnvironment {
  /** The workflow's actor (`GITHUB_ACTOR`), the ghcr.io user for the workflow token. */
  actor?: string;
  /** The runner's Docker config (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`). */
  dockerConfigPath?: string;
}

async function dockerConfig(path: string | undefined): Promise<CredentialSource | undefined> {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined; // no `docker login` on this runner: nothing to add
  }
  try {
    return fromDockerConfig(text, path);
  } catch (e) {
    throw new InputError("INPUT_INVALID", `${path}: ${errorMessage(e)}`, { cause: e });
  }
}

/**
 * The registry client the Action signs and attaches with. Credentials, first match wins:
 * `registry-username`/`registry-password`; for ghcr.io, the workflow token as the actor; the
 * runner's Docker config.
 */
export async function registryClientFor(
  inputs: Pick<ActionInputs, "image" | "registry">,
  env: RegistryEnvironment,
): Promise<RegistryClient> {
  const parsed = parseImageReference(inputs.image);
  if (!parsed.ok)
    throw new ActionError(
      "USAGE",
      `input image: ${JSON.stringify(inputs.image)} is not an image reference: ${parsed.error}`,
    );
  const host = parsed.value.registry;
  const { username, password, githubToken, insecure } = inputs.registry;
  const sources: CredentialSource[] = [];
  if (password !== undefined)
    sources.push(
      staticCredentials({ [host]: { username: username ?? env.actor ?? "token", password } }),
    );
  else if (host === "ghcr.io" && githubToken !== undefined)
    sources.push(
      staticCredentials({
        [host]: { username: username ?? env.actor ?? "github-actions", password: githubToken },
      }),
    );
  const fromDocker = await dockerConfig(env.dockerConfigPath);
  if (fromDocker !== undefined) sources.push(fromDocker);
  return new RegistryClient({
    credentials: chainCredentials(...sources),
    insecure,
    timeoutMs: 30_000,
  });
}

/** Where the runner's Docker config lives. */
export function dockerConfigPath(env: {
  DOCKER_CONFIG?: string;
  HOME?: string;
}): string | undefined {
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, "config.json");
  return env.HOME ? join(env.HOME, ".docker", "config.json") : undefined;
}
