import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { auditOrigin, openCheckpoint, signCheckpoint } from "../../policies/audit/checkpoint.ts";
import { AuditError } from "../../policies/audit/errors.ts";
import { rootOf, leafHash } from "../../policies/audit/merkle.ts";
import {
  keyPairFromSeed,
  openNote,
  parseSigner,
  parseVerifier,
  signNote,
} from "../../policies/audit/note.ts";

const NAME = "audit.mcp-warden.dev/team-a";

function pair(name = NAME) {
  return keyPairFromSeed(name, randomBytes(32));
}

test("a note signed with a key verifies with its verifier key, and not with another", () => {
  const k = pair();
  const note = signNote("hello\nworld\n", parseSigner(k.signer));
  assert.match(note, /^hello\nworld\n\n\u2014 audit\.mcp-warden\.dev\/team-a [A-Za-z0-9+/]+=*\n$/u);
  assert.equal(openNote(note, parseVerifier(k.verifier)), "hello\nworld\n");
  assert.throws(
    () => openNote(note, parseVerifier(pair().verifier)),
    (e: unknown) => e instanceof AuditError && e.code === "CHECKPOINT_FORGED",
  );
  const edited = note.replace("world", "w0rld");
  assert.throws(
    () => openNote(edited, parseVerifier(k.verifier)),
    (e: unknown) => e instanceof AuditError && e.code === "CHECKPOINT_FORGED",
  );
});

test("a key whose hash does not match its name and key is refused", () => {
  const k = pair();
  const [name, , key] = k.verifier.split("+");
  assert.throws(
    () => parseVerifier(`${name}+00000000+${key}`),
    (e: unknown) => e instanceof AuditError && e.code === "AUDIT_INPUT_INVALID",
  );
  assert.throws(() => keyPairFromSeed("has space", randomBytes(32)), AuditError);
  assert.throws(() => keyPairFromSeed("has+plus", randomBytes(32)), AuditError);
});

test("a checkpoint carries origin, size and base64 root, and opens only under its key and origin", () => {
  const k = pair();
  const root = rootOf([leafHash(Buffer.from("a")), leafHash(Buffer.from("b"))]);
  const origin = auditOrigin("team-a", "crm-gateway-0");
  const note = signCheckpoint({ origin, size: 2, root }, parseSigner(k.signer));
  assert.ok(
    note.startsWith(`mcp-warden/team-a/crm-gateway-0\n2\n${root.toString("base64")}\n\n\u2014 `),
  );
  assert.deepEqual(openCheckpoint(note, parseVerifier(k.verifier), origin), {
    origin,
    size: 2,
    root,
  });
  assert.throws(
    () => openCheckpoint(note, parseVerifier(k.verifier), "mcp-warden/team-b/x"),
    (e: unknown) => e instanceof AuditError && e.code === "CHECKPOINT_FORGED",
  );
});

/** golang.org/x/mod/sumdb/note built from the module cache; undefined when Go or the module is absent. */
function buildGoNote(): string | undefined {
  const out = join(mkdtempSync(join(tmpdir(), "note-go-")), "note-go");
  const r = spawnSync("go", ["build", "-o", out, "."], {
    cwd: join(import.meta.dirname, "note-go"),
    env: {
      ...process.env,
      GOPROXY: "off",
      GOFLAGS: "-mod=mod",
      GOTOOLCHAIN: "local",
      CGO_ENABLED: "0",
    },
    encoding: "utf8",
  });
  return r.status === 0 ? out : undefined;
}

test("notes and keys interoperate with golang.org/x/mod/sumdb/note in both directions", (t) => {
  const goNote = buildGoNote();
  if (goNote === undefined) {
    t.skip(
      "go or golang.org/x/mod v0.39.0 is not in the module cache (go mod download golang.org/x/mod@v0.39.0)",
    );
    return;
  }
  const text = "mcp-warden/team-a/crm-gateway-0\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
  // Ours signs, Go opens.
  const ours = pair();
  const signed = signNote(text, parseSigner(ours.signer));
  assert.equal(
    execFileSync(goNote, ["open", ours.verifier], { input: signed, encoding: "utf8" }),
    text,
  );
  // Go makes the keys and signs; ours parses the keys and opens the note.
  const [goSigner = "", goVerifier = ""] = execFileSync(goNote, ["keygen", NAME], {
    encoding: "utf8",
  })
    .trim()
    .split("\n");
  const goSigned = execFileSync(goNote, ["sign", goSigner], { input: text, encoding: "utf8" });
  assert.equal(openNote(goSigned, parseVerifier(goVerifier)), text);
  // The same signer key text makes byte-identical notes in both (Ed25519 is deterministic).
  assert.equal(signNote(text, parseSigner(goSigner)), goSigned);
  // Go rejects a note ours signed with another key.
  const r = spawnSync(goNote, ["open", goVerifier], { input: signed, encoding: "utf8" });
  assert.notEqual(r.status, 0);
});
