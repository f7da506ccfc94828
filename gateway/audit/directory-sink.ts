import { link, mkdir, open, readdir, readFile, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { AuditWriteError } from "./errors.ts";
import { batchLines, checkpointName, recordsName, type AuditSink, type StoredLog } from "./sink.ts";

/**
 * A sink in a directory, for a volume the MCP server cannot write: each object is created
 * whole, synced and read-only, under a name that is never reused; nothing is ever rewritten.
 */
export class DirectorySink implements AuditSink {
  readonly dir: string;
  #seq = 0;
  #made = new Set<string>();

  constructor(dir: string) {
    this.dir = dir;
  }

  async putRecords(first: number, lines: readonly string[]): Promise<void> {
    await this.#put(recordsName(first), lines.map((l) => `${l}\n`).join(""));
  }

  async putCheckpoint(size: number, note: string): Promise<void> {
    await this.#put(checkpointName(size), note);
  }

  async #put(name: string, text: string): Promise<void> {
    const path = join(this.dir, name);
    const dir = dirname(path);
    // Once per directory: each put is on a call's path.
    if (!this.#made.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.#made.add(dir);
    }
    // Written whole beside it, synced, then linked into place: link never replaces a file, so an
    // object appears complete or not at all, and only once.
    const tmp = join(dir, `.${basename(path)}.${process.pid}.${this.#seq++}`);
    const fh = await open(tmp, "wx", 0o444).catch((e: unknown) => {
      this.#made.delete(dir);
      throw e;
    });
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    let linked = true;
    try {
      await link(tmp, path);
    } catch (e) {
      await unlink(tmp);
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      if ((await readFile(path, "utf8")) !== text)
        throw new AuditWriteError("SINK_CONFLICT", `${path} exists with other content`);
      linked = false;
    }
    // The new name made durable; the temporary one, which nothing reads, goes meanwhile.
    const syncDir = async () => {
      const d = await open(dir, "r");
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    };
    await Promise.all([syncDir(), linked ? unlink(tmp) : undefined]);
  }

  async read(): Promise<StoredLog> {
    const list = async (sub: string) =>
      (await readdir(join(this.dir, sub)).catch(() => [] as string[]))
        .filter((n) => !n.startsWith("."))
        .sort();
    const lines: StoredLog["lines"] = [];
    for (const n of await list("records")) {
      lines.push(
        ...batchLines(`records/${n}`, await readFile(join(this.dir, "records", n), "utf8")),
      );
    }
    const checkpoints: StoredLog["checkpoints"] = [];
    for (const n of await list("checkpoints")) {
      checkpoints.push({
        note: await readFile(join(this.dir, "checkpoints", n), "utf8"),
        where: `checkpoints/${n}`,
      });
    }
    return { lines, checkpoints };
  }
}
