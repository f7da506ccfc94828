import type { Readable, Writable } from "node:stream";
import { GatewayError } from "./errors.ts";

/**
 * Server-sent events passed through one event at a time, never a whole response: each complete
 * event is handed to `onMessage` (its `data` parsed as JSON when it is JSON) and what it returns
 * is written in its place; comments and events without data pass unchanged.
 */

/** One event's fields; `data` joins the data lines with "\n" as the SSE specification says. */
export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
}

export function parseEvent(block: string): SseEvent {
  const e: SseEvent = {};
  const data: string[] = [];
  for (const line of block.split(/\r\n|\r|\n/)) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "id" || field === "event" || field === "retry") e[field] = value;
  }
  if (data.length > 0) e.data = data.join("\n");
  return e;
}

export function formatEvent(e: SseEvent): string {
  const lines: string[] = [];
  if (e.event !== undefined) lines.push(`event: ${e.event}`);
  if (e.id !== undefined) lines.push(`id: ${e.id}`);
  if (e.retry !== undefined) lines.push(`retry: ${e.retry}`);
  for (const d of (e.data ?? "").split("\n")) lines.push(`data: ${d}`);
  return `${lines.join("\n")}\n\n`;
}

const BOUNDARY = /\r\n\r\n|\n\n|\r\r/g;

/** An SSE byte stream cut into its events as chunks arrive; what is left of an event is bounded. */
export class SseSplitter {
  private buffer = "";
  private readonly decoder = new TextDecoder();
  private readonly maxEventBytes: number;

  constructor(maxEventBytes: number) {
    this.maxEventBytes = maxEventBytes;
  }

  /**
   * The events `chunk` completes, in order, without their blank-line ends.
   * @throws GatewayError UPSTREAM when an event grows past `maxEventBytes` (a server cannot make
   *   the gateway hold unbounded memory)
   */
  push(chunk: Uint8Array): string[] {
    const text = this.buffer + this.decoder.decode(chunk, { stream: true });
    const events: string[] = [];
    let start = 0;
    BOUNDARY.lastIndex = 0;
    for (let m = BOUNDARY.exec(text); m !== null; m = BOUNDARY.exec(text)) {
      events.push(text.slice(start, m.index));
      start = m.index + m[0].length;
    }
    this.buffer = start === 0 ? text : text.slice(start);
    // A UTF-16 unit is at most 3 bytes of UTF-8: the exact count only when it could matter.
    if (
      this.buffer.length * 3 > this.maxEventBytes &&
      Buffer.byteLength(this.buffer) > this.maxEventBytes
    )
      throw new GatewayError("UPSTREAM", `an event is longer than ${this.maxEventBytes} bytes`);
    return events;
  }

  /** What is left at the end of the stream, when it holds more than blank lines. */
  end(): string | undefined {
    const rest = this.buffer + this.decoder.decode();
    this.buffer = "";
    return rest.trim() === "" ? undefined : rest;
  }
}

/**
 * The text to send for one event: `onMessage` gets its message (when its data is JSON) and returns
 * the message to send instead (the same object to keep the event as it came), or undefined to drop
 * it. A promise only when `onMessage` returned one.
 */
export function rewriteEvent(
  block: string,
  onMessage: (message: unknown) => unknown,
): string | Promise<string> {
  const e = parseEvent(block);
  // An event without a message (the SDK's priming event carries an empty data line) passes as
  // it came: JSON.parse would throw on it, and an exception per answer costs CPU and memory.
  if (e.data === undefined || e.data.trim() === "") return `${block}\n\n`;
  let message: unknown;
  try {
    message = JSON.parse(e.data);
  } catch {
    return `${block}\n\n`;
  }
  const text = (out: unknown): string =>
    out === undefined
      ? ""
      : out === message
        ? `${block}\n\n`
        : formatEvent({ ...e, data: JSON.stringify(out) });
  const out = onMessage(message);
  return out instanceof Promise ? out.then(text) : text(out);
}

export interface SseRelayOptions {
  /** Each JSON message; see rewriteEvent. */
  onMessage: (message: unknown) => unknown;
  maxEventBytes: number;
  /** At the end of the stream: a last message to send (an answer the server never gave), if any. */
  onEnd?: () => unknown;
  /** The source failed (an error, a close before its end, an event over the bound). */
  onBroken: (why: string) => void;
  /** Once, when the relay is over: the sink ended, closed early, or was destroyed on a failure. */
  onDone: () => void;
}

/**
 * Relays an SSE stream from `source` (the server's answer) to `sink` (the agent's response) one
 * event at a time, never a whole response, each chunk's events written in one write, with no
 * stream in between (a Transform and a second pipe cost a call more CPU than its checks). The
 * source is paused while a message is awaited or the sink is full. A source that fails ends the
 * sink as a stream that ended (so `onEnd` can give the missing answer); an event over the bound
 * destroys both.
 */
export function relaySse(source: Readable, sink: Writable, opts: SseRelayOptions): void {
  const events = new SseSplitter(opts.maxEventBytes);
  const queue: Buffer[] = [];
  let pumping = false;
  let sourceOver = false;
  let over = false;
  let paused = false;

  // Over, or nobody is reading any more: nothing more is written.
  const gone = () => over || sink.destroyed || sink.writableEnded;
  const done = () => {
    if (over) return;
    over = true;
    opts.onDone();
  };
  sink.once("close", done);
  const drained = () =>
    new Promise<void>((resolve) => {
      const go = () => {
        sink.off("drain", go);
        sink.off("close", go);
        resolve();
      };
      sink.on("drain", go);
      sink.on("close", go);
    });

  let held = "";
  let flushing = false;
  const flush = () => {
    flushing = false;
    if (held === "" || gone()) return;
    sink.write(held);
    held = "";
  };

  const finish = async () => {
    let text = "";
    const rest = events.end();
    if (rest !== undefined) {
      const r = rewriteEvent(rest, opts.onMessage);
      text += typeof r === "string" ? r : await r;
    }
    const last = opts.onEnd?.();
    if (last !== undefined) text += formatEvent({ event: "message", data: JSON.stringify(last) });
    if (!gone()) sink.end(held + text);
    held = "";
  };

  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      while (queue.length > 0 && !gone()) {
        let text = "";
        for (const block of events.push(queue.shift()!)) {
          const r = rewriteEvent(block, opts.onMessage);
          text += typeof r === "string" ? r : await r;
        }
        if (text === "" || gone()) continue;
        if (sink.writableNeedDrain) await drained();
        // Held until the loop turns: when the server's end follows in the same turn (the usual
        // answer), the events and the end leave in one write (one TLS record, one packet).
        held += text;
        if (!flushing) {
          flushing = true;
          setImmediate(flush);
        }
      }
      if (gone()) return;
      if (sourceOver) await finish();
      else if (paused) {
        paused = false;
        source.resume();
      }
    } catch (err) {
      opts.onBroken(err instanceof Error ? err.message : String(err));
      source.destroy();
      sink.destroy();
      done();
    } finally {
      pumping = false;
    }
  };

  const ended = () => {
    if (sourceOver) return;
    sourceOver = true;
    void pump();
  };
  source.on("data", (chunk: Buffer) => {
    queue.push(chunk);
    if (pumping && !paused) {
      paused = true;
      source.pause();
    }
    void pump();
  });
  source.once("end", ended);
  source.on("error", (err) => {
    opts.onBroken(err.message);
    ended();
  });
  source.once("close", () => {
    if (!source.readableEnded && !sourceOver) {
      opts.onBroken("the server closed the stream");
      ended();
    }
  });
}
