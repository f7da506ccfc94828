import { mkdir, open, readFile, rename, writeFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { Gauge, type Registry } from "prom-client";
import { signCheckpoint } from "../../policies/audit/checkpoint.ts";
import { AuditError } from "../../policies/audit/errors.ts";
import { CompactRange } from "../../policies/audit/merkle.ts";
import { verifierOf, type NoteSigner } from "../../policies/audit/note.ts";
import {
  buildRecord,
  canonicalRecord,
  parseRecordLine,
  recordLeaf,
  type ObservedCall,
} from "../../policies/audit/record.ts";
import type { AuditSettings } from "../../policies/audit/settings.ts";
import { verifyLog } from "../../policies/audit/verify.ts";
import { AuditWriteError } from "./errors.ts";
import type { AuditSink } from "./sink.ts";

export interface AuditTrailOptions {
  /** The log's origin, `mcp-warden/<namespace>/<pod>`: checkpoints name it. */
  origin: string;
  signer: NoteSigner;
  sink: AuditSink;
  /** The gateway's own emptyDir: records are synced here while the sink stores them. */
  bufferDir: string;
  settings: AuditSettings;
  /** Each record's JSON line, for the cluster's log pipeline (default: process.stdout). */
  stdout?: (line: string) => void;
  /** Where `mcp_warden_audit_sink_lag_records` is registered. */
  registry?: Registry;
  /** Records not yet acknowledged by the sink beyond which calls wait (block) or fail (deny). */
  maxLag?: number;
  /** deny: how long a call waits for the sink's acknowledgement before it fails closed. */
  sinkTimeoutMs?: number;
  /** Records sent to the sink in one object, at most. */
  maxBatch?: number;
  /** Sink failures, for the gateway's log; the trail retries them itself. */
  onSinkError?: (err: unknown) => void;
  now?: () => Date;
}

interface Pending {
  index: number;
  line: string;
  leaf: Buffer;
  done: () => void;
}

const BUFFER_FILE = "audit.jsonl";
// The buffer holds what the sink may not have yet; once all is acknowledged it starts over.
const BUFFER_ROLL_BYTES = 64 * 1024 * 1024;

/**
 * The gateway's audit trail: an append-only Merkle log of one record per call and per denial.
 * `intent` and `record` resolve only once the record is in the write-once sink, so the gateway
 * forwards a call after its intent is durable and answers after its result is. Records are
 * batched (every record waiting when a write starts goes in the next object), numbered in order,
 * and never dropped: a failing sink is retried until it acknowledges, while calls wait
 * (`onSinkFailure: block`) or fail closed (`deny`).
 */
export class AuditTrail {
  readonly origin: string;
  #o: Required<Omit<AuditTrailOptions, "registry" | "onSinkError">> &
    Pick<AuditTrailOptions, "onSinkError">;
  #range: CompactRange;
  #next: number;
  #checkpointed: number;
  #pending: Pending[] = [];
  /** Records of `#pending` already in the buffer file (re-queued from it after a restart). */
  #buffered: number;
  #buffer: FileHandle | undefined;
  #bufferBytes = 0;
  #pumping = false;
  /** The size of the batch being sent, 0 when none is. */
  #inflight = 0;
  #healthy = true;
  #closed = false;
  #drainWaiters: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;
  #checkpointing: Promise<void> = Promise.resolve();
  #intents = new WeakMap<object, number>();

  private constructor(o: AuditTrailOptions, range: CompactRange, checkpointed: number) {
    this.origin = o.origin;
    this.#o = {
      stdout: (line) => process.stdout.write(`${line}\n`),
      maxLag: 10_000,
      sinkTimeoutMs: 5_000,
      maxBatch: 512,
      now: () => new Date(),
      ...o,
    };
    this.#range = range;
    this.#next = range.size;
    this.#buffered = 0;
    this.#checkpointed = checkpointed;
  }

  /**
   * Opens the trail on what the sink holds: its records are verified against its checkpoints
   * (a trail never continues a log it cannot prove), the log resumes at the sink's tree size, and
   * records the buffer synced but the sink never acknowledged are sent again.
   * @throws AuditWriteError SINK_CORRUPT when the sink's log does not verify
   */
  static async open(o: AuditTrailOptions): Promise<AuditTrail> {
    const stored = await o.sink.read();
    let covered: number;
    try {
      covered = verifyLog(stored.lines, stored.checkpoints, verifierOf(o.signer), {
        origin: o.origin,
      }).covered;
    } catch (e) {
      if (e instanceof AuditError)
        throw new AuditWriteError(
          "SINK_CORRUPT",
          `the sink's log does not verify (${e.code}): ${e.message}`,
          {
            cause: e,
          },
        );
      throw e;
    }
    const range = new CompactRange();
    for (const l of stored.lines)
      range.append(recordLeaf(canonicalRecord(parseRecordLine(l.text, l.where))));
    const trail = new AuditTrail(o, range, covered);
    await trail.#openBuffer();
    if (o.registry !== undefined) trail.#registerMetrics(o.registry);
    trail.#timer = setInterval(() => {
      if (trail.#range.size > trail.#checkpointed) void trail.#checkpoint();
    }, o.settings.checkpointIntervalMs);
    trail.#timer.unref();
    trail.#pump();
    return trail;
  }

  /** Records not yet acknowledged by the sink. */
  get lag(): number {
    return this.#next - this.#range.size;
  }

  /** Records the sink has acknowledged: the tree size. */
  get size(): number {
    return this.#range.size;
  }

  /**
   * The intent record of a call about to be forwarded; resolves with its index once it is
   * durable in the sink. The call object is remembered so {@link record} can link its result.
   */
  async intent(call: ObservedCall, key: object = call): Promise<number> {
    const index = await this.#append(call, "intent");
    this.#intents.set(key, index);
    return index;
  }

  /** The result record of a call (or of a denial, with no intent); resolves once durable. */
  async record(call: ObservedCall, key: object = call): Promise<number> {
    return await this.#append(call, "result", this.#intents.get(key));
  }

  /** Sends what is waiting, signs a final checkpoint and stops. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    while (this.#pending.length > 0) await new Promise<void>((r) => this.#drainWaiters.push(r));
    if (this.#range.size > this.#checkpointed) await this.#checkpoint();
    await this.#checkpointing;
    await this.#buffer?.close();
  }

  async #append(call: ObservedCall, phase: "intent" | "result", intent?: number): Promise<number> {
    if (this.#closed) throw new AuditWriteError("AUDIT_CLOSED", "the audit trail is closed");
    const deny = this.#o.settings.onSinkFailure === "deny";
    if (this.lag >= this.#o.maxLag) {
      if (deny)
        throw new AuditWriteError("SINK_BEHIND", `the audit sink is ${this.lag} records behind`);
      // Back-pressure: the call waits for the sink to catch up rather than the log growing unbounded.
      while (this.lag >= this.#o.maxLag) await new Promise<void>((r) => this.#drainWaiters.push(r));
    }
    const index = this.#next++;
    const line = canonicalRecord(buildRecord(call, this.#o.settings, index, phase, intent));
    let done!: () => void;
    const durable = new Promise<void>((resolve) => (done = resolve));
    this.#pending.push({ index, line, leaf: recordLeaf(line), done });
    this.#pump();
    if (!deny) {
      await durable;
      return index;
    }
    // deny: the record stays queued and will reach the sink, but the call fails closed now.
    if (!this.#healthy)
      throw new AuditWriteError(
        "SINK_FAILED",
        `the audit sink is failing; record ${index} is queued`,
      );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AuditWriteError(
              "SINK_FAILED",
              `the audit sink did not acknowledge record ${index} in time`,
            ),
          ),
        this.#o.sinkTimeoutMs,
      );
    });
    try {
      await Promise.race([durable, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return index;
  }

  /** Writes batches in order, one at a time, retrying a failing sink with backoff until it acknowledges. */
  #pump(): void {
    if (this.#pumping || this.#pending.length === 0) return;
    this.#pumping = true;
    void (async () => {
      let backoff = 50;
      while (this.#pending.length > 0) {
        // A batch, once attempted, is resent exactly: the sink may have stored it before failing.
        const batch = this.#pending.slice(0, this.#inflight || this.#o.maxBatch);
        this.#inflight = batch.length;
        const lines = batch.map((p) => p.line);
        try {
          // Group commit: the buffer's sync and the sink's write go together, and every record
          // of the batch is acknowledged once both are done.
          await Promise.all([
            this.#toBuffer(batch),
            this.#o.sink.putRecords((batch[0] as Pending).index, lines),
          ]);
        } catch (e) {
          this.#healthy = false;
          this.#o.onSinkError?.(e);
          await new Promise((r) => setTimeout(r, backoff));
          backoff = Math.min(backoff * 2, 5_000);
          continue;
        }
        backoff = 50;
        this.#inflight = 0;
        this.#healthy = true;
        this.#pending.splice(0, batch.length);
        this.#buffered -= batch.length;
        for (const p of batch) this.#range.append(p.leaf);
        for (const p of batch) p.done();
        for (const w of this.#drainWaiters.splice(0)) w();
        // A checkpoint is signed and stored beside the next batches, not before them.
        if (this.#range.size - this.#checkpointed >= this.#o.settings.checkpointEvery)
          void this.#checkpoint();
        try {
          await this.#rollBuffer();
        } catch (e) {
          this.#o.onSinkError?.(e);
        }
      }
      this.#pumping = false;
      for (const w of this.#drainWaiters.splice(0)) w();
    })();
  }

  /** Appends the batch's records not yet in the buffer, synced, and prints them. */
  async #toBuffer(batch: readonly Pending[]): Promise<void> {
    const fresh = batch.slice(Math.max(this.#buffered, 0));
    if (fresh.length === 0) return;
    const text = fresh.map((p) => `${p.line}\n`).join("");
    const fh = this.#buffer as FileHandle;
    await fh.write(text);
    await fh.datasync();
    this.#bufferBytes += Buffer.byteLength(text);
    this.#buffered = Math.max(this.#buffered, batch.length);
    for (const p of fresh) this.#o.stdout(p.line);
  }

  async #rollBuffer(): Promise<void> {
    if (this.#pending.length > 0 || this.#bufferBytes < BUFFER_ROLL_BYTES) return;
    await this.#buffer?.close();
    this.#buffer = await open(join(this.#o.bufferDir, BUFFER_FILE), "w");
    this.#bufferBytes = 0;
    this.#buffered = 0;
  }

  /** Signs a checkpoint of the acknowledged tree; one at a time, in size order. */
  #checkpoint(): Promise<void> {
    this.#checkpointing = this.#checkpointing.then(async () => {
      const size = this.#range.size;
      if (size <= this.#checkpointed) return;
      try {
        const note = signCheckpoint(
          { origin: this.origin, size, root: this.#range.root() },
          this.#o.signer,
        );
        // The newest only, beside the buffer for whoever reads the pod's volume; the sink keeps all.
        await writeFile(join(this.#o.bufferDir, "checkpoint.note"), note);
        await this.#o.sink.putCheckpoint(size, note);
        this.#checkpointed = size;
      } catch (e) {
        // Retried by the next checkpoint: a later one covers everything this one would.
        this.#o.onSinkError?.(e);
      }
    });
    return this.#checkpointing;
  }

  /**
   * Opens the buffer file; its records past the sink's size (synced, never acknowledged, from a
   * gateway that was killed) are queued for the sink again, in order. A torn last line is dropped:
   * it was never synced, so no call waited on it.
   */
  async #openBuffer(): Promise<void> {
    await mkdir(this.#o.bufferDir, { recursive: true });
    const path = join(this.#o.bufferDir, BUFFER_FILE);
    const text = await readFile(path, "utf8").catch(() => "");
    const carried: Pending[] = [];
    for (const [i, line] of text.split("\n").entries()) {
      let index: number;
      try {
        index = parseRecordLine(line, `${path}:${i + 1}`).index;
      } catch {
        continue;
      }
      if (index === this.#next + carried.length)
        carried.push({ index, line, leaf: recordLeaf(line), done: () => undefined });
    }
    // Start the buffer over with exactly what is still owed to the sink.
    const tmp = `${path}.new`;
    await writeFile(tmp, carried.map((p) => `${p.line}\n`).join(""));
    await rename(tmp, path);
    this.#buffer = await open(path, "a");
    this.#pending.push(...carried);
    this.#buffered = carried.length;
    this.#next += carried.length;
  }

  #registerMetrics(registry: Registry): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const trail = this;
    new Gauge({
      name: "mcp_warden_audit_sink_lag_records",
      help: "Audit records written but not yet acknowledged by the write-once sink.",
      registers: [registry],
      collect() {
        this.set(trail.lag);
      },
    });
  }
}
