import { pino, type Logger } from "pino";

/** How long a logged line may wait in memory before it is written. */
const FLUSH_EVERY_MS = 1000;

/**
 * The gateway's JSON log. Written asynchronously and in batches: a write per line puts the log's
 * I/O on every call's path (a write call per line cost about a tenth of a call's CPU). Lines wait
 * in memory until 4 KiB gather or a second passes, and pino writes what is left at exit; the
 * audit trail, not this log, is the durable record of calls.
 */
export function gatewayLogger(level: string, dest: string | number = 1): Logger {
  const stream = pino.destination({ dest, sync: false, minLength: 4096 });
  const timer = setInterval(() => {
    try {
      stream.flush();
    } catch {
      clearInterval(timer); // the stream is gone
    }
  }, FLUSH_EVERY_MS);
  timer.unref();
  stream.on("close", () => clearInterval(timer));
  return pino({ level, base: { service: "mcp-warden-gateway" } }, stream);
}
