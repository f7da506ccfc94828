import { readFile } from "node:fs/promises";
import { errorMessage, InputError } from "../policies/errors.ts";
import { fromDockerConfig, type CredentialSource } from "../supply-chain/registry/credentials.ts";
import type { TrustMaterial } from "@sigstore/verify";
import { KeylessError, usableTrustedRoot } from "../supply-chain/verify/keyless.ts";
import { fetchTrustedRoot, TufRootError } from "../supply-chain/verify/tuf-root.ts";
import { CliError } from "./errors.ts";

/** Reads a text file the user named, or says which and why not. */
async function readNamedFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new InputError(
      "INPUT_INVALID",
      `${path}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

/**
 * Registry credentials from a Docker config JSON file (`~/.docker/config.json`, or a mounted
 * `kubernetes.io/dockerconfigjson` Secret's `.dockerconfigjson`).
 * @throws InputError INPUT_INVALID naming the file
 */
export async function readRegistryConfig(path: string): Promise<CredentialSource> {
  const text = await readNamedFile(path, "registry credentials");
  try {
    return fromDockerConfig(text, path);
  } catch (e) {
    const problems = (e as { problems?: { path: string; message: string }[] }).problems ?? [];
    throw new InputError("INPUT_INVALID", `${path}: ${errorMessage(e)}`, { problems, cause: e });
  }
}

/**
 * A sigstore trusted root (`trusted_root.json`, as `cosign` and the sigstore TUF repository ship
 * it), parsed; `obtainTrustedRoot` checks its contents.
 * @throws InputError INPUT_INVALID naming the file
 */
export async function readTrustedRoot(path: string): Promise<unknown> {
  const text = await readNamedFile(path, "the trusted root");
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError(
      "INPUT_INVALID",
      `${path}: the trusted root is not JSON (${errorMessage(e)})`,
    );
  }
}

/** Where the trusted root comes from: `--trusted-root FILE`, or `--tuf-mirror URL --tuf-root FILE`. */
export interface TrustedRootSource {
  file: string | undefined;
  tufMirror: string | undefined;
  /** The TUF root.json trusted out of band (the first one; later ones come from the mirror). */
  tufRoot: string | undefined;
  tufCache: string;
}

/**
 * The sigstore trusted root for keyless signers, read from a file or fetched and verified through
 * TUF, and checked now, so a bad one stops the command before any verification; undefined when
 * neither is configured.
 * @throws CliError USAGE or InputError INPUT_INVALID
 */
export async function obtainTrustedRoot(
  source: TrustedRootSource,
): Promise<TrustMaterial | undefined> {
  const json = await trustedRootJson(source);
  if (json === undefined) return undefined;
  try {
    return usableTrustedRoot(json);
  } catch (e) {
    if (!(e instanceof KeylessError)) throw e;
    const from = source.file ?? `the trusted root from ${source.tufMirror}`;
    throw new InputError("INPUT_INVALID", `${from}: ${e.message}`, {
      problems: e.problems,
      cause: e,
    });
  }
}

async function trustedRootJson(source: TrustedRootSource): Promise<unknown> {
  if (source.file && source.tufMirror) {
    throw new CliError("USAGE", "give either --trusted-root or --tuf-mirror, not both");
  }
  if (source.file) return readTrustedRoot(source.file);
  if (!source.tufMirror) return undefined;
  if (!source.tufRoot) {
    throw new CliError(
      "USAGE",
      "--tuf-mirror needs --tuf-root: the TUF root.json trusted out of band",
    );
  }
  try {
    return await fetchTrustedRoot({
      mirrorURL: source.tufMirror,
      initialRoot: source.tufRoot,
      cachePath: source.tufCache,
    });
  } catch (e) {
    if (e instanceof TufRootError) {
      throw new InputError(
        "INPUT_INVALID",
        `trusted root from ${source.tufMirror}: ${e.message} (${e.code})`,
        { cause: e },
      );
    }
    throw e;
  }
}
