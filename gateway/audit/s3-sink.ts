import {
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { AuditWriteError } from "./errors.ts";
import { batchLines, checkpointName, recordsName, type AuditSink, type StoredLog } from "./sink.ts";

export interface S3SinkOptions {
  client: S3Client;
  /** A bucket created with Object Lock enabled. */
  bucket: string;
  /** The log's key prefix (the origin's namespace and pod: `team-a/crm-gateway-0/`). */
  prefix: string;
  /** `spec.audit.retention`: how long each object is locked. */
  retentionDays: number;
  now?: () => Date;
}

const DAY_MS = 86_400_000;

/**
 * A sink in an S3 bucket with Object Lock: every record batch and checkpoint is put once
 * (If-None-Match: *) and locked in compliance mode until now + retention, so no one, the bucket's
 * owner included, can delete or replace it before then. Reading takes each key's first version,
 * so a later version or a delete marker cannot hide what was written.
 */
export class S3Sink implements AuditSink {
  #o: Required<S3SinkOptions>;

  constructor(o: S3SinkOptions) {
    this.#o = { now: () => new Date(), ...o };
  }

  /**
   * Refuses a bucket without Object Lock: writes to it could be deleted.
   * @throws AuditWriteError AUDIT_CONFIG_INVALID
   */
  async check(): Promise<void> {
    const r = await this.#o.client
      .send(new GetObjectLockConfigurationCommand({ Bucket: this.#o.bucket }))
      .catch((e: unknown) => {
        throw new AuditWriteError(
          "AUDIT_CONFIG_INVALID",
          `bucket ${this.#o.bucket}: no Object Lock configuration (create it with Object Lock enabled)`,
          { cause: e },
        );
      });
    if (r.ObjectLockConfiguration?.ObjectLockEnabled !== "Enabled")
      throw new AuditWriteError(
        "AUDIT_CONFIG_INVALID",
        `bucket ${this.#o.bucket}: Object Lock is not enabled`,
      );
  }

  async putRecords(first: number, lines: readonly string[]): Promise<void> {
    await this.#put(recordsName(first), lines.map((l) => `${l}\n`).join(""));
  }

  async putCheckpoint(size: number, note: string): Promise<void> {
    await this.#put(checkpointName(size), note);
  }

  async #put(name: string, text: string): Promise<void> {
    const Key = `${this.#o.prefix}${name}`;
    try {
      await this.#o.client.send(
        new PutObjectCommand({
          Bucket: this.#o.bucket,
          Key,
          Body: text,
          ContentType: name.endsWith(".jsonl") ? "application/jsonl" : "text/plain; charset=utf-8",
          IfNoneMatch: "*",
          ObjectLockMode: "COMPLIANCE",
          ObjectLockRetainUntilDate: new Date(
            this.#o.now().getTime() + this.#o.retentionDays * DAY_MS,
          ),
        }),
      );
    } catch (e) {
      // Already there: a retry of a write whose acknowledgement was lost succeeds if it is the same.
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 412) throw e;
      if ((await this.#get(Key)) !== text)
        throw new AuditWriteError(
          "SINK_CONFLICT",
          `s3://${this.#o.bucket}/${Key} exists with other content`,
          {
            cause: e,
          },
        );
    }
  }

  async #get(Key: string, VersionId?: string): Promise<string> {
    const r = await this.#o.client.send(
      new GetObjectCommand({
        Bucket: this.#o.bucket,
        Key,
        ...(VersionId === undefined ? {} : { VersionId }),
      }),
    );
    return (await r.Body?.transformToString("utf8")) ?? "";
  }

  async read(): Promise<StoredLog> {
    // The first version of every key under the prefix.
    const first = new Map<string, { version: string; at: number }>();
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    for (;;) {
      const page = await this.#o.client.send(
        new ListObjectVersionsCommand({
          Bucket: this.#o.bucket,
          Prefix: this.#o.prefix,
          ...(KeyMarker === undefined ? {} : { KeyMarker }),
          ...(VersionIdMarker === undefined ? {} : { VersionIdMarker }),
        }),
      );
      for (const v of page.Versions ?? []) {
        if (v.Key === undefined || v.VersionId === undefined) continue;
        const at = v.LastModified?.getTime() ?? 0;
        const seen = first.get(v.Key);
        if (seen === undefined || at < seen.at) first.set(v.Key, { version: v.VersionId, at });
      }
      if (page.IsTruncated !== true) break;
      KeyMarker = page.NextKeyMarker;
      VersionIdMarker = page.NextVersionIdMarker;
    }
    const names = [...first.keys()].sort();
    const log: StoredLog = { lines: [], checkpoints: [] };
    for (const key of names) {
      const name = key.slice(this.#o.prefix.length);
      const text = await this.#get(key, first.get(key)?.version);
      if (name.startsWith("records/"))
        log.lines.push(...batchLines(`s3://${this.#o.bucket}/${key}`, text));
      else if (name.startsWith("checkpoints/"))
        log.checkpoints.push({ note: text, where: `s3://${this.#o.bucket}/${key}` });
    }
    return log;
  }
}
