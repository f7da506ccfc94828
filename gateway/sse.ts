import { Transform } from "node:stream";

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

const BOUNDARY = /\r\n\r\n|\n\n|\r\r/;

/**
 * A transform over an SSE byte stream. `onMessage` gets each JSON message and returns the message
 * to send instead (the same object to keep it), or undefined to drop the event.
 * @param maxEventBytes an event longer than this fails the stream (a server cannot make the
 *   gateway hold unbounded memory)
 */
export function sseTransform(
  onMessage: (message: unknown, raw: string) => Promise<unknown>,
  maxEventBytes: number,
  /** At the end of the stream: a last message to send (an answer the server never gave), if any. */
  onEnd?: () => unknown,
): Transform {
  let buffer = "";
  const decoder = new TextDecoder();
  const handle = async (block: string, push: (s: string) => void) => {
    const e = parseEvent(block);
    if (e.data === undefined) {
      push(`${block}\n\n`);
      return;
    }
    // An event without a message (the SDK's priming event carries an empty data line) passes as
    // it came: JSON.parse would throw on it, and an exception per answer costs CPU and memory.
    if (e.data.trim() === "") {
      push(`${block}\n\n`);
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(e.data);
    } catch {
      push(`${block}\n\n`);
      return;
    }
    const out = await onMessage(message, e.data);
    if (out === undefined) return;
    push(out === message ? `${block}\n\n` : formatEvent({ ...e, data: JSON.stringify(out) }));
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      void (async () => {
        try {
          buffer += decoder.decode(chunk, { stream: true });
          for (;;) {
            const m = BOUNDARY.exec(buffer);
            if (m === null) break;
            const block = buffer.slice(0, m.index);
            buffer = buffer.slice(m.index + m[0].length);
            await handle(block, (s) => this.push(s));
          }
          if (Buffer.byteLength(buffer) > maxEventBytes)
            throw new Error(`an event is longer than ${maxEventBytes} bytes`);
          done();
        } catch (err) {
          done(err as Error);
        }
      })();
    },
    flush(done) {
      void (async () => {
        try {
          buffer += decoder.decode();
          if (buffer.trim() !== "") await handle(buffer, (s) => this.push(s));
          const last = onEnd?.();
          if (last !== undefined)
            this.push(formatEvent({ event: "message", data: JSON.stringify(last) }));
          done();
        } catch (err) {
          done(err as Error);
        }
      })();
    },
  });
}
