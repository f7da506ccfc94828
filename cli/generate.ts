import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateKubernetesManifests } from "../policies/deployment/kubernetes-manifests.ts";
import { errorMessage, InputError, WardenError, type FieldProblem } from "../policies/errors.ts";
import { fieldPath } from "../policies/field-path.ts";
import { parseServerManifest, PERMISSIONS_KEY } from "../policies/evaluation/server-manifest.ts";
import { parsePredicate, type ServerRun } from "../policies/evaluation/predicate.ts";
import { isDigestPinned, parseImageReference } from "../policies/workload/image-reference.ts";
import { isRegistryError, registryErrorAbout } from "../supply-chain/registry/errors.ts";
import { CliError } from "./errors.ts";
import { registryAccess, parseOptions } from "./options.ts";
import { REGISTRY_OPTIONS, registryClient, type RegistryAccess } from "./registry-access.ts";

/**
 * `mcp-warden generate`: the ServiceAccount, Deployment and NetworkPolicy the GitHub Action
 * writes (`kubernetes-manifests`), made from a local `server.json` and an image.
 */

export interface GenerateIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface GenerateInputs {
  manifest: string;
  image: string;
  /** Look the tag up in the registry; otherwise the image must already name its digest. */
  resolveDigest: boolean;
  namespace?: string;
  network: "kubernetes" | "cilium";
  /** Write `<dir>/<name>.yaml` instead of printing the stream. */
  outDir?: string;
  registry: RegistryAccess;
  /** `--gateway-image`: put the server behind its gateway. */
  gatewayImage?: string;
  /** `--evaluation`: the predicate whose `run` a stdio server is bridged with. */
  evaluation?: string;
  apiServerCidrs: string[];
  registryCidrs: string[];
  accessNamespace?: string;
  policyName?: string;
}

export function parseGenerateArgs(args: string[]): GenerateInputs {
  const { values, positionals } = parseOptions({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      manifest: { type: "string" },
      image: { type: "string" },
      "resolve-digest": { type: "boolean", default: false },
      namespace: { type: "string" },
      network: { type: "string", default: "kubernetes" },
      out: { type: "string" },
      "gateway-image": { type: "string" },
      evaluation: { type: "string" },
      "api-server-cidr": { type: "string", multiple: true, default: [] },
      "registry-cidr": { type: "string", multiple: true, default: [] },
      "access-namespace": { type: "string" },
      "policy-name": { type: "string" },
      ...REGISTRY_OPTIONS,
    },
  });
  if (positionals.length > 0)
    throw new CliError("USAGE", `generate takes no positional arguments: ${positionals.join(" ")}`);
  if (values.manifest === undefined) throw new CliError("USAGE", "generate needs --manifest FILE");
  if (values.image === undefined) throw new CliError("USAGE", "generate needs --image REF");
  const network = values.network;
  if (network !== "kubernetes" && network !== "cilium")
    throw new CliError("USAGE", `--network must be kubernetes or cilium, not ${network}`);
  const gatewayOnly = [
    "evaluation",
    "api-server-cidr",
    "registry-cidr",
    "access-namespace",
    "policy-name",
  ] as const;
  if (values["gateway-image"] === undefined)
    for (const flag of gatewayOnly)
      if (
        flag === "api-server-cidr" || flag === "registry-cidr"
          ? values[flag].length > 0
          : values[flag] !== undefined
      )
        throw new CliError("USAGE", `--${flag} goes with --gateway-image`);
  return {
    manifest: values.manifest,
    image: values.image,
    resolveDigest: values["resolve-digest"],
    network,
    ...(values.namespace === undefined ? {} : { namespace: values.namespace }),
    ...(values.out === undefined ? {} : { outDir: values.out }),
    registry: registryAccess(values),
    ...(values["gateway-image"] === undefined ? {} : { gatewayImage: values["gateway-image"] }),
    ...(values.evaluation === undefined ? {} : { evaluation: values.evaluation }),
    apiServerCidrs: values["api-server-cidr"],
    registryCidrs: values["registry-cidr"],
    ...(values["access-namespace"] === undefined
      ? {}
      : { accessNamespace: values["access-namespace"] }),
    ...(values["policy-name"] === undefined ? {} : { policyName: values["policy-name"] }),
  };
}

/** The image as `repository@sha256:…`: given so, or looked up with `--resolve-digest`. */
async function pinnedImage(inputs: GenerateInputs): Promise<string> {
  const parsed = parseImageReference(inputs.image);
  if (!parsed.ok) throw badImage(inputs.image, parsed.error);
  if (isDigestPinned(parsed.value)) return inputs.image;
  if (!inputs.resolveDigest)
    throw badImage(
      inputs.image,
      "is not pinned by digest (REF@sha256:<64 hex>); add --resolve-digest to look it up in its registry",
    );
  const client = await registryClient(inputs.registry);
  const descriptor = await client.resolve(parsed.value).catch((e: unknown) => {
    throw isRegistryError(e) ? registryErrorAbout(`--image ${inputs.image}`, e) : e;
  });
  return `${parsed.value.name}@${descriptor.digest}`;
}

function badImage(image: string, message: string): InputError {
  return new InputError("INPUT_INVALID", `--image ${image} cannot be deployed`, {
    problems: [{ path: "--image", message }],
  });
}

async function readManifest(path: string, what = "the manifest"): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? errorMessage(e);
    throw new InputError("INPUT_INVALID", `${path}: cannot read ${what} (${code})`);
  }
}

/** `--evaluation FILE`: the predicate (`evaluate --format json`), for the command it ran. */
async function evaluatedRun(path: string): Promise<ServerRun | undefined> {
  const text = await readManifest(path, "the evaluation");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(
      "INPUT_INVALID",
      `${path}: the evaluation is not JSON (${errorMessage(e)})`,
    );
  }
  try {
    return parsePredicate(value).run;
  } catch (e) {
    if (!(e instanceof WardenError)) throw e;
    throw new InputError("INPUT_INVALID", `${path}: ${e.message}`, {
      problems: e.problems,
      cause: e,
    });
  }
}

/**
 * The generator names fields of its own input (`permissions.filesystem[0].path`); a user edits
 * the manifest, so those are named where they are in it (`_meta["dev.mcp-warden/permissions"]…`).
 */
function inManifest(p: FieldProblem): FieldProblem {
  if (p.path === "image") return { path: "--image", message: p.message };
  if (p.path === "namespace") return { path: "--namespace", message: p.message };
  if (p.path === "gateway.image") return { path: "--gateway-image", message: p.message };
  if (p.path === "gateway.run") return { path: "--evaluation", message: p.message };
  if (p.path.startsWith("gateway.apiServerCidrs"))
    return { path: "--api-server-cidr", message: p.message };
  if (p.path.startsWith("gateway.registryCidrs"))
    return { path: "--registry-cidr", message: p.message };
  if (p.path === "gateway.policyName") return { path: "--policy-name", message: p.message };
  if (p.path === "serverName") return { path: "name", message: p.message };
  if (p.path.startsWith("permissions"))
    return {
      path: `${fieldPath("", "_meta", PERMISSIONS_KEY)}${p.path.slice("permissions".length)}`,
      message: p.message,
    };
  return p;
}

/**
 * Writes `<dir>/<name>.yaml` through a new file renamed into place: a symbolic link at that path
 * is replaced, never followed.
 */
async function writeInto(dir: string, name: string, yaml: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  const temp = join(dir, `.${name}.yaml.${process.pid}.tmp`);
  await writeFile(temp, yaml, { flag: "wx" });
  await rename(temp, file);
  return file;
}

export async function runGenerate(args: string[], io: GenerateIo): Promise<number> {
  const inputs = parseGenerateArgs(args);
  const manifest = parseServerManifest(await readManifest(inputs.manifest), inputs.manifest);
  const image = await pinnedImage(inputs);
  const run = inputs.evaluation === undefined ? undefined : await evaluatedRun(inputs.evaluation);
  let generated;
  try {
    generated = generateKubernetesManifests({
      image,
      serverName: manifest.name,
      version: manifest.version,
      ...(manifest.permissions ? { permissions: manifest.permissions } : {}),
      ...(inputs.namespace === undefined ? {} : { namespace: inputs.namespace }),
      network: inputs.network,
      ...(inputs.gatewayImage === undefined
        ? {}
        : {
            gateway: {
              image: inputs.gatewayImage,
              ...(run === undefined ? {} : { run }),
              ...(inputs.apiServerCidrs.length === 0
                ? {}
                : { apiServerCidrs: inputs.apiServerCidrs }),
              ...(inputs.registryCidrs.length === 0 ? {} : { registryCidrs: inputs.registryCidrs }),
              ...(inputs.accessNamespace === undefined
                ? {}
                : { accessNamespace: inputs.accessNamespace }),
              ...(inputs.policyName === undefined ? {} : { policyName: inputs.policyName }),
            },
          }),
    });
  } catch (e) {
    if (!(e instanceof WardenError)) throw e;
    throw new InputError("INPUT_INVALID", `${inputs.manifest}: ${e.message}`, {
      problems: e.problems.map(inManifest),
      cause: e,
    });
  }
  if (inputs.outDir === undefined) {
    io.stdout(generated.yaml);
    return 0;
  }
  const name = generated.objects[0]!.metadata.name;
  const file = await writeInto(inputs.outDir, name, generated.yaml);
  io.stdout(`wrote ${file} (${generated.objects.map((o) => o.kind).join(", ")} ${name})\n`);
  return 0;
}
