import { readFile } from "node:fs/promises";
import { WardenError } from "../policies/errors.ts";
import { fromDockerConfig, type CredentialSource } from "../supply-chain/registry/credentials.ts";

/**
 * Registry credentials from a Docker config JSON file (`~/.docker/config.json`, or a mounted
 * `kubernetes.io/dockerconfigjson` Secret's `.dockerconfigjson`).
 * @throws WardenError INPUT_INVALID naming the file
 */
export async function readRegistryConfig(path: string): Promise<CredentialSource> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new WardenError(
      "INPUT_INVALID",
      `${path}: cannot read registry credentials (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  try {
    return fromDockerConfig(text, path);
  } catch (e) {
    const problems = (e as { problems?: { path: string; message: string }[] }).problems ?? [];
    throw new WardenError(
      "INPUT_INVALID",
      `${path}: ${e instanceof Error ? e.message : String(e)}`,
      { problems, cause: e },
    );
  }
}

/**
 * A sigstore trusted root (`trusted_root.json`, as `cosign` and the sigstore TUF repository ship
 * it), parsed; its contents are checked when a policy with keyless signers first uses it.
 * @throws WardenError INPUT_INVALID naming the file
 */
export async function readTrustedRoot(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new WardenError(
      "INPUT_INVALID",
      `${path}: cannot read the trusted root (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new WardenError(
      "INPUT_INVALID",
      `${path}: the trusted root is not JSON (${(e as Error).message})`,
    );
  }
}
