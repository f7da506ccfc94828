/**
 * A real TUF repository for tests: root, targets, snapshot and timestamp metadata built and
 * signed with `@tufjs/models` and fresh ed25519 keys (one per role), written to a temp dir and
 * served by a static `node:http` server on 127.0.0.1 — the layout `@sigstore/tuf` fetches
 * (`N.root.json`, `timestamp.json`, `snapshot.json`, `targets.json`, `targets/<name>`, no
 * consistent snapshots). `tamper` builds repositories a client must refuse.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, normalize, sep } from "node:path";
import {
  Key,
  Metadata,
  MetaFile,
  Root,
  Signature,
  Snapshot,
  TargetFile,
  Targets,
  Timestamp,
} from "@tufjs/models";

const SPEC_VERSION = "1.0.31";
const DAY_MS = 24 * 60 * 60 * 1000;

export type TufTamper =
  /** A target's bytes are changed after targets metadata recorded its hash and length. */
  | "target-content"
  /** targets.json is signed by a key that root does not delegate to. */
  | "targets-wrong-key"
  /** timestamp.json is signed by a key that root does not delegate to. */
  | "timestamp-wrong-key"
  /** targets.json is changed after signing (signature no longer matches). */
  | "targets-modified";

export interface TufRepoOptions {
  /** Target name to content; a non-string, non-Uint8Array value is written as JSON. */
  targets: Record<string, unknown>;
  /** Expiry of timestamp.json (default: one day from now); a past date makes it expired. */
  timestampExpires?: Date;
  /** Expiry of root, targets and snapshot metadata (default: one year from now). */
  expires?: Date;
  tamper?: TufTamper;
}

export interface TufRepo {
  /** The mirror URL, `http://127.0.0.1:PORT`. */
  url: string;
  /** The repository's directory (served as is). */
  dir: string;
  /** Path to the trusted initial root (a copy of 1.root.json outside the served tree). */
  rootPath: string;
  /** The paths of the HTTP requests served so far, in order. */
  requests: string[];
  stop(): Promise<void>;
}

interface RoleKey {
  id: string;
  key: Key;
  privateKey: KeyObject;
}

function newKey(): RoleKey {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const jwk = publicKey.export({ format: "jwk" });
  const publicHex = Buffer.from(jwk.x ?? "", "base64url").toString("hex");
  // Key ID: sha256 of the key's canonical JSON (keys sorted; all values are plain strings).
  const canonical = JSON.stringify({
    keytype: "ed25519",
    keyval: { public: publicHex },
    scheme: "ed25519",
  });
  const id = createHash("sha256").update(canonical).digest("hex");
  const key = new Key({
    keyID: id,
    keyType: "ed25519",
    scheme: "ed25519",
    keyVal: { public: publicHex },
  });
  return { id, key, privateKey };
}

function signer(k: RoleKey): (data: Buffer) => Signature {
  return (data) =>
    new Signature({ keyID: k.id, sig: sign(null, data, k.privateKey).toString("hex") });
}

function bytesOf(content: unknown): Buffer {
  if (typeof content === "string") return Buffer.from(content, "utf8");
  if (content instanceof Uint8Array) return Buffer.from(content);
  return Buffer.from(JSON.stringify(content), "utf8");
}

function metaBytes(md: Metadata<Root | Targets | Snapshot | Timestamp>): Buffer {
  return Buffer.from(JSON.stringify(md.toJSON(), null, 2), "utf8");
}

/** Builds and signs the repository into `dir`; returns the path of the initial root copy. */
async function buildRepository(dir: string, opts: TufRepoOptions): Promise<string> {
  const expires = (opts.expires ?? new Date(Date.now() + 365 * DAY_MS)).toISOString();
  const timestampExpires = (opts.timestampExpires ?? new Date(Date.now() + DAY_MS)).toISOString();
  const keys = { root: newKey(), targets: newKey(), snapshot: newKey(), timestamp: newKey() };
  const rogue = newKey();

  // Root's default roles: every top-level role, threshold 1, no keys yet.
  const root = new Metadata(
    new Root({ version: 1, specVersion: SPEC_VERSION, expires, consistentSnapshot: false }),
  );
  for (const [role, k] of Object.entries(keys)) root.signed.addKey(k.key, role);
  root.sign(signer(keys.root));

  const targetsDir = join(dir, "targets");
  await mkdir(targetsDir, { recursive: true });
  const targetFiles: Record<string, TargetFile> = {};
  for (const [name, content] of Object.entries(opts.targets)) {
    const bytes = bytesOf(content);
    targetFiles[name] = new TargetFile({
      path: name,
      length: bytes.length,
      hashes: { sha256: createHash("sha256").update(bytes).digest("hex") },
    });
    let served = bytes;
    if (opts.tamper === "target-content") {
      // Same length, different bytes: only the hash can catch it.
      served = Buffer.from(bytes);
      served[0] = served[0] === 0x20 ? 0x0a : 0x20;
    }
    await writeFile(join(targetsDir, name), served);
  }

  const targets = new Metadata(
    new Targets({ version: 1, specVersion: SPEC_VERSION, expires, targets: targetFiles }),
  );
  targets.sign(signer(opts.tamper === "targets-wrong-key" ? rogue : keys.targets));
  let targetsBytes = metaBytes(targets);
  if (opts.tamper === "targets-modified") {
    const json = JSON.parse(targetsBytes.toString("utf8")) as { signed: Record<string, unknown> };
    json.signed["x-tampered"] = true;
    targetsBytes = Buffer.from(JSON.stringify(json, null, 2), "utf8");
  }

  const snapshot = new Metadata(
    new Snapshot({
      version: 1,
      specVersion: SPEC_VERSION,
      expires,
      meta: { "targets.json": new MetaFile({ version: 1 }) },
    }),
  );
  snapshot.sign(signer(keys.snapshot));
  const snapshotBytes = metaBytes(snapshot);

  const timestamp = new Metadata(
    new Timestamp({
      version: 1,
      specVersion: SPEC_VERSION,
      expires: timestampExpires,
      snapshotMeta: new MetaFile({
        version: 1,
        length: snapshotBytes.length,
        hashes: { sha256: createHash("sha256").update(snapshotBytes).digest("hex") },
      }),
    }),
  );
  timestamp.sign(signer(opts.tamper === "timestamp-wrong-key" ? rogue : keys.timestamp));

  const rootBytes = metaBytes(root);
  await writeFile(join(dir, "1.root.json"), rootBytes);
  await writeFile(join(dir, "targets.json"), targetsBytes);
  await writeFile(join(dir, "snapshot.json"), snapshotBytes);
  await writeFile(join(dir, "timestamp.json"), metaBytes(timestamp));
  const trustedRootPath = join(dir, "..", "trusted-tuf-root.json");
  await writeFile(trustedRootPath, rootBytes);
  return trustedRootPath;
}

function serve(dir: string, requests: string[]): Server {
  return createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    requests.push(path);
    const file = normalize(join(dir, path));
    if (req.method !== "GET" || !file.startsWith(dir + sep)) {
      res.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) => {
        res.writeHead(200, { "content-type": "application/octet-stream" }).end(body);
      },
      () => {
        res.writeHead(404).end();
      },
    );
  });
}

/** Builds a signed TUF repository in a fresh temp dir and serves it on 127.0.0.1. */
export async function startTufRepo(opts: TufRepoOptions): Promise<TufRepo> {
  const base = await mkdtemp(join(tmpdir(), "mcp-warden-tuf-"));
  const dir = join(base, "repo");
  await mkdir(dir);
  const rootPath = await buildRepository(dir, opts);
  const requests: string[] = [];
  const server = serve(dir, requests);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dir,
    rootPath,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(base, { recursive: true, force: true });
    },
  };
}
