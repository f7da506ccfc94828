import { closeSync, openSync, readSync } from "node:fs";
import { errorMessage } from "../../../policies/errors.ts";
import { ScanError } from "../errors.ts";
import { packageKeysOf, slimOsvRecord } from "./record-shape.ts";
import type { OsvRecord } from "./record-types.ts";
import { inflateZipEntries, inflateZipEntry, type ZipEntry } from "./zip.ts";

/**
 * Reading the records of an offline OSV database, in chunks that the main thread and worker
 * threads (load-worker.ts) claim from a shared counter. Everything here runs in both.
 */

/** No OSV record comes near this; a file or zip entry larger than it is refused unread. */
export const MAX_RECORD_BYTES = 32 * 1024 * 1024;
/** Records per chunk: small enough to share the work evenly, large enough to cost no overhead. */
export const CHUNK_SIZE = 500;

/** The `*.json` files of a directory, or the `*.json` entries of a zip, sorted by name. */
export type RecordSources =
  | { kind: "files"; paths: readonly string[] }
  | { kind: "zip"; zip: string; bytes: Uint8Array; entries: readonly ZipEntry[] };

export function sourceCount(sources: RecordSources): number {
  return sources.kind === "files" ? sources.paths.length : sources.entries.length;
}

export function chunkCount(sources: RecordSources): number {
  return Math.ceil(sourceCount(sources) / CHUNK_SIZE);
}

/** Where a record comes from, as errors name it. */
function whereOf(sources: RecordSources, i: number): string {
  return sources.kind === "files"
    ? (sources.paths[i] ?? "")
    : `${sources.zip} entry ${sources.entries[i]?.name ?? ""}`;
}

function failed(message: string): ScanError {
  return new ScanError("VULNERABILITY_SOURCE_FAILED", message);
}

function tooLarge(where: string): ScanError {
  return new ScanError("OSV_RECORD_INVALID", `${where}: not an OSV record`, {
    problems: [{ path: "", message: `is larger than ${MAX_RECORD_BYTES / 1024 / 1024} MiB` }],
  });
}

/** Bytes appended one record after another, in an ArrayBuffer of their own (transferable). */
export class ByteSink {
  #memory: ArrayBuffer;
  buffer: Buffer;
  length = 0;

  constructor(capacity: number) {
    this.#memory = new ArrayBuffer(capacity);
    this.buffer = Buffer.from(this.#memory);
  }

  /** Makes room for `free` more bytes. */
  reserve(free: number): void {
    if (this.buffer.length - this.length >= free) return;
    this.#memory = this.#memory.transfer(Math.max(this.buffer.length * 2, this.length + free));
    this.buffer = Buffer.from(this.#memory);
  }

  /** The bytes appended, as an ArrayBuffer of their own; the sink is not to be used after. */
  take(): ArrayBuffer {
    return this.#memory.transfer(this.length);
  }

  appendText(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.reserve(text.length * 3);
    this.length += this.buffer.write(text, this.length, "utf8");
  }
}

// Straight into the sink: no stat, no buffer of its own per file. For tens of thousands of small
// files, synchronous calls are several times faster than fs/promises, whose every open, read and
// close is a trip through the thread pool. A read of a regular file that returns fewer bytes than
// asked for has reached its end: a record smaller than the room offered takes one read.
function readFileInto(path: string, sink: ByteSink): void {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw failed(`cannot read ${path}: ${errorMessage(e)}`);
  }
  try {
    const start = sink.length;
    for (;;) {
      const room = start + MAX_RECORD_BYTES + 1 - sink.length;
      if (room <= 0) throw tooLarge(path);
      sink.reserve(Math.min(room, 64 * 1024));
      const asked = sink.buffer.length - sink.length;
      const read = readSync(fd, sink.buffer, sink.length, asked, null);
      sink.length += read;
      if (read < asked) break;
    }
  } catch (e) {
    if (e instanceof ScanError) throw e;
    throw failed(`cannot read ${path}: ${errorMessage(e)}`);
  } finally {
    closeSync(fd);
  }
}

function readSourceInto(sources: RecordSources, i: number, sink: ByteSink): void {
  if (sources.kind === "files") {
    readFileInto(sources.paths[i] ?? "", sink);
    return;
  }
  const entry = sources.entries[i];
  if (entry === undefined) throw new RangeError(`no zip entry ${i}`);
  if (entry.size > MAX_RECORD_BYTES) throw tooLarge(whereOf(sources, i));
  sink.reserve(entry.size);
  try {
    inflateZipEntry(sources.bytes, entry, sink.buffer.subarray(sink.length));
  } catch (e) {
    throw failed(`cannot read ${whereOf(sources, i)}: ${errorMessage(e)}`);
  }
  sink.length += entry.size;
}

/** Validates a parsed record; throws (a ScanError naming `where`) when it is not valid. */
export type RecordValidator = (value: unknown, where: string) => OsvRecord;

/** One record from the bytes of one JSON file, validated; `where` names the file (and zip entry). */
function recordOf(
  bytes: Buffer,
  start: number,
  end: number,
  where: string,
  validate: RecordValidator,
): OsvRecord {
  let value: unknown;
  try {
    // Buffer's decoder is several times faster than TextDecoder on many small files.
    value = JSON.parse(bytes.toString("utf8", start, end));
  } catch (e) {
    throw new ScanError("OSV_RECORD_INVALID", `${where}: not a JSON OSV record`, {
      problems: [{ path: "", message: `is not JSON: ${errorMessage(e)}` }],
      cause: e,
    });
  }
  return validate(value, where);
}

/** No more than this is inflated at once. */
const MAX_INFLATED_TOGETHER = 64 * 1024 * 1024;

/** The contents of zip entries [first, first + count) and where each starts, when inflating them together works. */
function inflatedTogether(
  sources: RecordSources & { kind: "zip" },
  first: number,
  count: number,
): { bytes: Buffer; offsets: number[] } | undefined {
  const entries = sources.entries.slice(first, first + count);
  const offsets = [0];
  for (const entry of entries) offsets.push((offsets.at(-1) ?? 0) + entry.size);
  if (
    entries.some((e) => e.size > MAX_RECORD_BYTES) ||
    (offsets.at(-1) ?? 0) > MAX_INFLATED_TOGETHER
  )
    return undefined;
  try {
    const out = inflateZipEntries(sources.bytes, entries);
    return { bytes: Buffer.from(out.buffer, out.byteOffset, out.byteLength), offsets };
  } catch {
    return undefined;
  }
}

/**
 * One chunk's records, read, parsed and validated in order up to the first bad one, for the main
 * thread to index without parsing them again: per record its id, `modified` and package keys
 * (`strings`), and where in `bytes` its slim form (`slimOsvRecord`, as JSON) is (`numbers`: start,
 * end, key count, withdrawn). A scan parses the slim form of the records it needs: a third of the
 * size of a record as published, and far fewer objects to build and keep.
 */
export interface PackedChunk {
  chunk: number;
  bytes: ArrayBuffer;
  strings: string[];
  numbers: Int32Array;
}

export const NUMBERS_PER_RECORD = 4;

export function packChunk(
  sources: RecordSources,
  chunk: number,
  validate: RecordValidator,
): PackedChunk {
  const first = chunk * CHUNK_SIZE;
  const count = Math.min(CHUNK_SIZE, sourceCount(sources) - first);
  const raw = new ByteSink(64 * 1024);
  const out = new ByteSink(count * 768);
  const strings: string[] = [];
  const numbers = new Int32Array(count * NUMBERS_PER_RECORD);
  // A zip's entries are inflated together; should that fail, one by one, to name the entry.
  const inflated = sources.kind === "zip" ? inflatedTogether(sources, first, count) : undefined;
  for (let i = first; i < first + count; i++) {
    let record: OsvRecord;
    if (inflated === undefined) {
      raw.length = 0;
      readSourceInto(sources, i, raw);
      record = recordOf(raw.buffer, 0, raw.length, whereOf(sources, i), validate);
    } else {
      const at = inflated.offsets[i - first] ?? 0;
      const end = inflated.offsets[i - first + 1] ?? 0;
      record = recordOf(inflated.bytes, at, end, whereOf(sources, i), validate);
    }
    const keys = packageKeysOf(record);
    strings.push(record.id, record.modified, ...keys);
    const start = out.length;
    out.appendText(JSON.stringify(slimOsvRecord(record)));
    numbers.set(
      [start, out.length, keys.length, record.withdrawn === undefined ? 0 : 1],
      (i - first) * NUMBERS_PER_RECORD,
    );
  }
  return { chunk, bytes: out.take(), strings, numbers };
}
/** What the main thread sends a worker: the sources (compactly) and the shared chunk counter. */
export interface WorkerTask {
  control: Int32Array;
  chunks: number;
  files?: readonly string[];
  zip?: { path: string; bytes: Uint8Array; names: string[]; table: Float64Array };
}

/**
 * What a worker sends back: a chunk read, or a chunk it could not read (a bad record, a file that
 * cannot be read), which the main thread then reads itself to raise the error.
 */
export type WorkerMessage =
  { type: "chunk"; chunk: PackedChunk } | { type: "failed"; chunk: number };

const ZIP_FIELDS = 5;

export function taskOf(sources: RecordSources, control: Int32Array, chunks: number): WorkerTask {
  if (sources.kind === "files") return { control, chunks, files: sources.paths };
  const table = new Float64Array(sources.entries.length * ZIP_FIELDS);
  sources.entries.forEach((e, i) =>
    table.set([e.header, e.compressedSize, e.size, e.method, e.crc], i * ZIP_FIELDS),
  );
  return {
    control,
    chunks,
    zip: {
      path: sources.zip,
      bytes: sources.bytes,
      names: sources.entries.map((e) => e.name),
      table,
    },
  };
}

export function sourcesOf(task: WorkerTask): RecordSources {
  if (task.files !== undefined) return { kind: "files", paths: task.files };
  if (task.zip === undefined) throw new TypeError("a worker task without sources");
  const { path, bytes, names, table } = task.zip;
  const entries = names.map((name, i) => {
    const [header = 0, compressedSize = 0, size = 0, method = 0, crc = 0] = table.subarray(
      i * ZIP_FIELDS,
      (i + 1) * ZIP_FIELDS,
    );
    return { name, header, compressedSize, size, method, crc };
  });
  return { kind: "zip", zip: path, bytes, entries };
}

// control[0]: the next chunk to claim; control[1]: 1 once a thread has found a bad record.
/** The next chunk nobody has claimed, or -1 when there is none or loading has stopped. */
export function claimChunk(control: Int32Array, chunks: number): number {
  if (Atomics.load(control, 1) !== 0) return -1;
  const chunk = Atomics.add(control, 0, 1);
  return chunk < chunks ? chunk : -1;
}

export function stopClaims(control: Int32Array): void {
  Atomics.store(control, 1, 1);
}

/** How many chunks have been claimed (every chunk below this has an owner). */
export function claimedChunks(control: Int32Array, chunks: number): number {
  return Math.min(chunks, Atomics.load(control, 0));
}
