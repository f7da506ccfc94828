import { pino, type Logger } from "pino";

/** How long a logged line may wait in memory before it is written. */
const FLUSH_EVERY_MS = 1000;

/**
 * The JSON log of `serve` and `gateway`. Written asynchronously and in batches: a write per line
 * puts the log's I/O on every decision's path (a write call per line cost about a tenth of a
 * gateway call's CPU and of a webhook decision's). Lines wait in memory until 4 KiB gather or a
 * second passes, and pino writes what is left at exit. The durable records are elsewhere: the
 * gateway's audit trail, and the API server's own audit log for admission.
 */
export function bufferedLogger(level: string, service: string, dest: string | number = 1): Logger {
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
  return pino({ level, base: { service } }, stream);
}
