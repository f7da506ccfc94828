/**
 * A real MinIO server (scripts/build-minio.sh) in single-drive mode on loopback, for the audit
 * trail's write-once sink: S3 with versioning and Object Lock.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";

/** `$MCP_WARDEN_MINIO_BIN/minio`, else the newest `minio-*` of the build script's cache. */
export function minioBinary(): string | undefined {
  const fromEnv = process.env.MCP_WARDEN_MINIO_BIN;
  if (fromEnv !== undefined)
    return existsSync(join(fromEnv, "minio")) ? join(fromEnv, "minio") : undefined;
  const cache = process.env.MCP_WARDEN_CACHE ?? join(homedir(), ".cache", "mcp-warden");
  if (!existsSync(cache)) return undefined;
  return readdirSync(cache)
    .filter((d) => d.startsWith("minio-"))
    .sort()
    .reverse()
    .map((d) => join(cache, d, "minio"))
    .find((p) => existsSync(p));
}

export const SKIP_NO_MINIO: string | false =
  minioBinary() === undefined
    ? "S3 sink tests skipped: MinIO is not built (run scripts/build-minio.sh)"
    : false;

const USER = "mcp-warden";
const PASSWORD = "mcp-warden-test-secret";

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Minio {
  endpoint: string;
  client: S3Client;
  /** The root credentials as the SDK reads them from the environment, for child processes. */
  credentialsEnv: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string };
  /** Stops the server (SIGKILL), keeping its data. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Makes a bucket with Object Lock enabled (and so versioning). */
  lockedBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startMinio(): Promise<Minio> {
  const bin = minioBinary();
  if (bin === undefined) throw new Error(String(SKIP_NO_MINIO));
  const dir = await mkdtemp(join(tmpdir(), "mcp-warden-minio-"));
  const [port, consolePort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = "";
  const start = async () => {
    child = spawn(
      bin,
      [
        "server",
        join(dir, "data"),
        "--address",
        `127.0.0.1:${port}`,
        "--console-address",
        `127.0.0.1:${consolePort}`,
        "--quiet",
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: dir,
          MINIO_ROOT_USER: USER,
          MINIO_ROOT_PASSWORD: PASSWORD,
          MINIO_BROWSER: "off",
          MINIO_UPDATE: "off",
        },
      },
    );
    child.stdout?.on("data", (b: Buffer) => (output += b.toString()));
    child.stderr?.on("data", (b: Buffer) => (output += b.toString()));
    // Ready when its health endpoint answers; bounded, with the server's output on failure.
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`minio exited ${child.exitCode}: ${output}`);
      // Ready answers before the object layer is up; an S3 call that succeeds is the real sign.
      const ok = await fetch(`${endpoint}/minio/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (
        ok &&
        (await probe.send(new ListBucketsCommand({})).then(
          () => true,
          () => false,
        ))
      )
        return;
      if (Date.now() > deadline) throw new Error(`minio did not become ready: ${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const kill = async () => {
    const c = child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGKILL");
    });
  };
  const client = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: USER, secretAccessKey: PASSWORD },
    // The trail retries on its own schedule; the client fails fast so a dead server is seen quickly.
    maxAttempts: 1,
  });
  const probe = client;
  await start();
  return {
    endpoint,
    client,
    credentialsEnv: { AWS_ACCESS_KEY_ID: USER, AWS_SECRET_ACCESS_KEY: PASSWORD },
    kill,
    restart: start,
    lockedBucket: async (name) => {
      await client.send(
        new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: true }),
      );
    },
    stop: async () => {
      client.destroy();
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
