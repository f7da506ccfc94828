import { pino, type Logger } from "pino";

/**
 * The gateway's JSON log. Written asynchronously: a synchronous write per line puts the log's
 * I/O on every call's path. Lines wait in memory only while a write is under way, and pino
 * flushes them at exit; the audit trail, not this log, is the durable record of calls.
 */
export function gatewayLogger(level: string, dest: string | number = 1): Logger {
  return pino(
    { level, base: { service: "mcp-warden-gateway" } },
    pino.destination({ dest, sync: false }),
  );
}
