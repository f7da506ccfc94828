import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { InputError, WardenError } from "../policies/errors.ts";

export interface InputText {
  source: string;
  /** The text, without the UTF-8 byte order mark the file may start with. */
  text: string;
  /** The file started with a byte order mark, which `fix` writes back. */
  bom?: boolean;
}

/** Larger inputs are refused before they are read: no manifest set comes near this. */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;
const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

/** One unreadable input: collected, so every bad input is reported at once. */
function unreadable(path: string, message: string): InputError {
  return new InputError("INPUT_INVALID", `${path}: ${message}`, { problems: [{ path, message }] });
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Decodes bytes as UTF-8 text, refusing binary content. */
export function decodeText(source: string, bytes: Uint8Array): InputText {
  if (bytes.byteLength > MAX_INPUT_BYTES) {
    throw unreadable(source, `${mib(bytes.byteLength)} is over the ${mib(MAX_INPUT_BYTES)} limit`);
  }
  if (bytes.includes(0)) {
    throw unreadable(source, `binary content (NUL bytes), not YAML or JSON`);
  }
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    return { source, text, ...(bom ? { bom } : {}) };
  } catch {
    throw unreadable(source, `not UTF-8 text, not YAML or JSON`);
  }
}

/** Whether a path is one of the excluded paths or lies under one of them. */
function isExcluded(path: string, exclude: readonly string[]): boolean {
  const abs = resolve(path);
  return exclude.some((x) => {
    const root = resolve(x);
    return abs === root || abs.startsWith(root.endsWith(sep) ? root : root + sep);
  });
}

async function listManifests(dir: string, exclude: readonly string[]): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const files: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (isExcluded(path, exclude)) continue;
    if (e.isDirectory()) files.push(...(await listManifests(path, exclude)));
    else if (e.isFile() && MANIFEST_EXTENSIONS.has(extname(e.name).toLowerCase())) files.push(path);
  }
  return files;
}

async function readManifest(path: string): Promise<InputText> {
  const info = await stat(path);
  if (info.size > MAX_INPUT_BYTES) {
    throw unreadable(path, `${mib(info.size)} is over the ${mib(MAX_INPUT_BYTES)} limit`);
  }
  return decodeText(path, await readFile(path));
}

async function readStream(source: string, stream: AsyncIterable<Uint8Array>): Promise<InputText> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > MAX_INPUT_BYTES) {
      throw unreadable(source, `over the ${mib(MAX_INPUT_BYTES)} limit`);
    }
    chunks.push(chunk);
  }
  return decodeText(source, Buffer.concat(chunks));
}

/**
 * Reads the named files, directories (recursively: .yaml, .yml, .json) and `-` (stdin).
 * Files that are, or lie under, one of `exclude` (the trusted `--exceptions` and `--policy`
 * paths) are skipped, so a directory may hold its trusted exceptions apart.
 * Every unreadable input is reported, not only the first.
 * @throws InputError INPUT_INVALID
 */
export async function readInputFiles(
  paths: readonly string[],
  stdin: AsyncIterable<Uint8Array>,
  exclude: readonly string[] = [],
): Promise<InputText[]> {
  const out: InputText[] = [];
  const problems: { path: string; message: string }[] = [];
  for (const path of paths) {
    try {
      if (path === "-") {
        out.push(await readStream("<stdin>", stdin));
        continue;
      }
      const info = await stat(path).catch(() => undefined);
      if (!info) throw unreadable(path, `no such file or directory`);
      if (info.isDirectory()) {
        const files = await listManifests(path, exclude);
        if (files.length === 0) throw unreadable(path, `no .yaml, .yml or .json files`);
        for (const file of files) out.push(await readManifest(file));
      } else if (!isExcluded(path, exclude)) {
        out.push(await readManifest(path));
      }
    } catch (e) {
      if (!(e instanceof WardenError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length > 0) {
    throw new InputError("INPUT_INVALID", "cannot read the inputs", { problems });
  }
  return out;
}
