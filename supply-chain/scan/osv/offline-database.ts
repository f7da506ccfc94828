import { closeSync, existsSync, fstatSync, openSync, readSync, readdirSync } from "node:fs";
import { stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { basename, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { errorMessage } from "../../../policies/errors.ts";
import { ScanError } from "../errors.ts";
import type { LockedPackage, VulnerabilityMatch, VulnerabilitySource } from "../types.ts";
import { indexRecords, matchPackages, type IndexedRecord, type OsvIndex } from "./index.ts";
import {
  NUMBERS_PER_RECORD,
  chunkCount,
  claimChunk,
  claimedChunks,
  packChunk,
  stopClaims,
  taskOf,
  type PackedChunk,
  type RecordSources,
  type WorkerMessage,
} from "./load.ts";
import { parseOsvRecord } from "./record.ts";
import type { OsvRecord } from "./record-types.ts";
import { zipEntries, type ZipEntry } from "./zip.ts";

function failed(message: string, cause?: unknown): ScanError {
  return new ScanError("VULNERABILITY_SOURCE_FAILED", message, { cause });
}

/** Every `*.json` file under `dir`, at any depth, sorted. Symbolic links are not followed. */
function filesOfDirectory(dir: string): RecordSources {
  const paths: string[] = [];
  // Paths as path.join makes them: the root normalized once, then a name (never `.`, `..` or a
  // separator) per level.
  const walk = (at: string): void => {
    const prefix = at.endsWith(sep) ? at : at + sep;
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = prefix + entry.name;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith(".json")) paths.push(path);
    }
  };
  try {
    walk(join(dir));
  } catch (e) {
    throw failed(`cannot read the offline OSV database ${dir}: ${errorMessage(e)}`, e);
  }
  return { kind: "files", paths: paths.sort() };
}

/**
 * OSV's `all.zip` (`<ID>.json` entries) or a zip of an `<Ecosystem>/<ID>.json` tree: its `*.json`
 * entries, sorted by name (of two entries with one name, the later). The zip is read whole (its
 * size bounds the read) into memory the worker threads share.
 */
function entriesOfZip(zip: string): RecordSources {
  try {
    const fd = openSync(zip, "r");
    let bytes: Uint8Array;
    try {
      const { size } = fstatSync(fd);
      bytes = new Uint8Array(new SharedArrayBuffer(size));
      let at = 0;
      for (let read = -1; at < size && read !== 0; at += read)
        read = readSync(fd, bytes, at, size - at, at);
      bytes = bytes.subarray(0, at);
    } finally {
      closeSync(fd);
    }
    const byName = new Map<string, ZipEntry>();
    for (const entry of zipEntries(bytes, (name) => name.endsWith(".json")))
      byName.set(entry.name, entry);
    const names = [...byName.keys()].sort();
    return { kind: "zip", zip, bytes, entries: names.map((n) => byName.get(n) as ZipEntry) };
  } catch (e) {
    throw failed(`cannot read the offline OSV database ${zip}: ${errorMessage(e)}`, e);
  }
}

/** A record a worker validated, parsed again (from the same bytes) when a scan first needs it. */
class StoredRecord implements IndexedRecord {
  readonly id: string;
  readonly modified: string;
  readonly withdrawn: boolean;
  readonly keys: readonly string[];
  readonly #bytes: Buffer;
  readonly #start: number;
  readonly #end: number;
  #record: OsvRecord | undefined;

  constructor(
    fields: { id: string; modified: string; withdrawn: boolean; keys: string[] },
    bytes: Buffer,
    start: number,
    end: number,
  ) {
    this.id = fields.id;
    this.modified = fields.modified;
    this.withdrawn = fields.withdrawn;
    this.keys = fields.keys;
    this.#bytes = bytes;
    this.#start = start;
    this.#end = end;
  }

  record(): OsvRecord {
    this.#record ??= JSON.parse(this.#bytes.toString("utf8", this.#start, this.#end)) as OsvRecord;
    return this.#record;
  }
}

function unpack({ bytes, strings, numbers }: PackedChunk): IndexedRecord[] {
  const buffer = Buffer.from(bytes);
  const records: IndexedRecord[] = [];
  let s = 0;
  for (let n = 0; n < numbers.length; n += NUMBERS_PER_RECORD) {
    const [start = 0, end = 0, keyCount = 0, withdrawn = 0] = numbers.subarray(
      n,
      n + NUMBERS_PER_RECORD,
    );
    const id = strings[s] ?? "";
    const modified = strings[s + 1] ?? "";
    const keys = strings.slice(s + 2, s + 2 + keyCount);
    s += 2 + keyCount;
    records.push(
      new StoredRecord({ id, modified, withdrawn: withdrawn !== 0, keys }, buffer, start, end),
    );
  }
  return records;
}

// The worker's entry file sits next to this one when running from source. In the Action's bundle
// (dist/index.js) it does not, and the main thread reads every chunk itself.
const WORKER = new URL("./load-worker.ts", import.meta.url);
const workerAvailable = WORKER.protocol === "file:" && existsSync(fileURLToPath(WORKER));
/** Below this many chunks a worker's start-up costs more than it saves. */
const MIN_CHUNKS_FOR_WORKERS = 6;
const MAX_WORKERS = 3;

interface Helper {
  worker: Worker;
  ended: boolean;
}

/**
 * Worker threads, one per spare core, started before the records are listed so that they are
 * ready when the work is: a worker takes longer to start than listing 50,000 files does.
 */
function startWorkers(onMessage: (message: WorkerMessage) => void, onEnd: () => void): Helper[] {
  const count = workerAvailable ? Math.min(MAX_WORKERS, availableParallelism() - 1) : 0;
  return Array.from({ length: Math.max(0, count) }, () => {
    const helper = { worker: new Worker(WORKER), ended: false };
    helper.worker.on("message", onMessage);
    const end = (): void => {
      helper.ended = true;
      onEnd();
    };
    // A worker that cannot start (or fails) leaves its chunks to the main thread.
    helper.worker.once("error", end);
    helper.worker.once("exit", end);
    return helper;
  });
}

/**
 * Reads, parses and validates every record, the main thread and the workers claiming chunks of
 * records from a shared counter. A bad record stops the claiming; the first bad record in name
 * order is reported, as when reading in order on one thread: every chunk below a bad one was
 * claimed before it and is read to the end, and the main thread reads again (and so validates
 * itself) any chunk a worker could not read.
 */
async function readRecords(
  listSources: () => RecordSources,
  size: "small" | "unknown",
  mainReads: boolean,
): Promise<IndexedRecord[]> {
  const packed: (PackedChunk | undefined)[] = [];
  const returned: boolean[] = [];
  const errors: (ScanError | undefined)[] = [];
  let wake = (): void => {};
  const workers =
    size === "small"
      ? []
      : startWorkers(
          (message) => {
            if (message.type === "chunk") packed[message.chunk.chunk] ??= message.chunk;
            else returned[message.chunk] = true;
            wake();
          },
          () => wake(),
        );
  try {
    const sources = listSources();
    const chunks = chunkCount(sources);
    const control = new Int32Array(new SharedArrayBuffer(8));
    const helpers = chunks < MIN_CHUNKS_FOR_WORKERS ? [] : workers;
    for (const { worker } of helpers) worker.postMessage(taskOf(sources, control, chunks));

    const readHere = (chunk: number): void => {
      packed[chunk] = packChunk(sources, chunk, parseOsvRecord);
    };
    const claiming = mainReads || helpers.length === 0;
    if (claiming)
      for (let chunk = claimChunk(control, chunks); chunk >= 0; chunk = claimChunk(control, chunks))
        try {
          readHere(chunk);
        } catch (e) {
          if (!(e instanceof ScanError)) throw e;
          errors[chunk] = e;
          stopClaims(control);
        }
    // Nothing more can be claimed: wait for the chunks the workers hold, or for them to end.
    const settled = (chunk: number): boolean =>
      packed[chunk] !== undefined || returned[chunk] === true || errors[chunk] !== undefined;
    const waiting = (): boolean => {
      if (helpers.every((w) => w.ended)) return false;
      if (!claiming) return true;
      const claimed = claimedChunks(control, chunks);
      for (let chunk = 0; chunk < claimed; chunk++) if (!settled(chunk)) return true;
      return false;
    };
    while (waiting()) await new Promise<void>((resolve) => (wake = resolve));

    // In name order: the first error; chunks nobody read (a worker returned them, failed, or
    // claiming stopped early) are read here.
    const records: IndexedRecord[] = [];
    for (let chunk = 0; chunk < chunks; chunk++) {
      const error = errors[chunk];
      if (error !== undefined) throw error;
      if (packed[chunk] === undefined) readHere(chunk);
      records.push(...unpack(packed[chunk] as PackedChunk));
    }
    return records;
  } finally {
    // Idle (or still starting) workers have nothing left to do.
    await Promise.all(workers.filter((w) => !w.ended).map((w) => w.worker.terminate()));
  }
}

/** A zip smaller than this holds too few records to be worth a worker. */
const SMALL_ZIP_BYTES = 256 * 1024;

/** Records loaded once, indexed once, matched on every call. */
class OfflineDatabase implements VulnerabilitySource {
  readonly description: string;
  readonly ecosystems: ReadonlySet<string>;
  readonly coverage: ReadonlyMap<string, number>;
  readonly newestModified?: string;
  readonly #index: OsvIndex;

  constructor(path: string, index: OsvIndex, records: readonly IndexedRecord[]) {
    this.#index = index;
    // Index keys start with the ecosystem: `npm\u0000left-pad`.
    this.ecosystems = new Set(
      [...index.byPackage.keys()].map((k) => k.slice(0, k.indexOf("\u0000"))),
    );
    const coverage = new Map<string, number>();
    let newest: { text: string; time: number } | undefined;
    for (const r of records) {
      const time = Date.parse(r.modified);
      if (!Number.isNaN(time) && (newest === undefined || time > newest.time))
        newest = { text: r.modified, time };
      if (r.withdrawn) continue;
      for (const e of new Set(r.keys.map((k) => k.slice(0, k.indexOf("\u0000")))))
        coverage.set(e, (coverage.get(e) ?? 0) + 1);
    }
    this.coverage = coverage;
    if (newest !== undefined) this.newestModified = newest.text;
    this.description = `offline OSV database ${basename(path)} (${index.size.toLocaleString("en-US")} records)`;
  }

  matches(
    packages: readonly LockedPackage[],
    opts: { signal?: AbortSignal } = {},
  ): Promise<VulnerabilityMatch[]> {
    if (opts.signal?.aborted === true)
      return Promise.reject(failed(`${this.description}: aborted`, opts.signal.reason));
    return Promise.resolve(matchPackages(this.#index, packages));
  }
}

/**
 * Opens an offline OSV database: a directory holding `*.json` OSV records at any depth (OSV's
 * export layout `<Ecosystem>/<ID>.json` among others) or a `.zip` of them (OSV's per-ecosystem
 * `all.zip`). Every record is validated and indexed now, so a bad database fails before a scan.
 * @throws ScanError VULNERABILITY_SOURCE_FAILED when the path cannot be read, OSV_RECORD_INVALID
 *   naming the file (and zip entry) of a bad record
 */
export async function openOfflineDatabase(path: string): Promise<VulnerabilitySource> {
  return openOfflineDatabaseWith(path, { mainReads: true });
}

/**
 * `openOfflineDatabase`, for tests: with `mainReads: false` the main thread leaves the records to
 * the workers (when any start) and reads only what they do not, so that small test databases take
 * the workers' path.
 */
export async function openOfflineDatabaseWith(
  path: string,
  { mainReads }: { mainReads: boolean },
): Promise<VulnerabilitySource> {
  let isDirectory: boolean;
  let size: number;
  try {
    const stats = await stat(path);
    isDirectory = stats.isDirectory();
    size = stats.size;
  } catch (e) {
    throw failed(`cannot read the offline OSV database ${path}: ${errorMessage(e)}`, e);
  }
  if (!isDirectory && !path.toLowerCase().endsWith(".zip"))
    throw failed(`the offline OSV database ${path} is neither a directory nor a .zip file`);
  const records = isDirectory
    ? await readRecords(() => filesOfDirectory(path), "unknown", mainReads)
    : await readRecords(
        () => entriesOfZip(path),
        size < SMALL_ZIP_BYTES ? "small" : "unknown",
        mainReads,
      );
  return new OfflineDatabase(path, indexRecords(records), records);
}
