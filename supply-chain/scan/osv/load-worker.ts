// A worker thread of openOfflineDatabase: claims chunks of records from the shared counter, reads,
// parses and validates them, and hands each chunk back packed (its bytes transferred, not copied).
// It loads no schema validator: records pass the quick check (record-shape.ts) or the chunk goes
// back to the main thread, which reads it again and describes what is wrong, or finds the record
// valid after all. A chunk that fails stops the claiming: the first bad record in name order is
// the one reported.
import { parentPort } from "node:worker_threads";
import {
  claimChunk,
  packChunk,
  sourcesOf,
  stopClaims,
  type RecordValidator,
  type WorkerMessage,
  type WorkerTask,
} from "./load.ts";
import { isValidOsvRecord } from "./record-shape.ts";

const port = parentPort;
if (port === null) throw new Error("load-worker.ts runs as a worker thread");

const validate: RecordValidator = (value, where) => {
  if (isValidOsvRecord(value)) return value;
  throw new Error(`${where}: not a valid OSV record`);
};

port.once("message", (task: WorkerTask) => {
  const sources = sourcesOf(task);
  const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []): void =>
    port.postMessage(message, transfer);
  for (let chunk = claimChunk(task.control, task.chunks); chunk >= 0;) {
    try {
      const packed = packChunk(sources, chunk, validate);
      post({ type: "chunk", chunk: packed }, [packed.bytes]);
    } catch {
      stopClaims(task.control);
      post({ type: "failed", chunk });
      break;
    }
    chunk = claimChunk(task.control, task.chunks);
  }
  port.close();
});
