import { createHash, createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { AuditError } from "./errors.ts";

/**
 * C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, and the signer and verifier key
 * texts of golang.org/x/mod/sumdb/note: `PRIVATE+KEY+<name>+<hash>+base64(0x01 || seed)` and
 * `<name>+<hash>+base64(0x01 || public key)`, where hash is the key ID in eight hex digits.
 */

const ED25519 = 0x01;
const EM_DASH = "\u2014";
// The DER prefixes that wrap a raw Ed25519 seed (PKCS#8) and public key (SPKI) for node:crypto.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export interface NoteSigner {
  name: string;
  keyId: number;
  key: KeyObject;
}

export interface NoteVerifier {
  name: string;
  keyId: number;
  publicKey: Buffer;
  key: KeyObject;
}

function invalid(message: string): AuditError {
  return new AuditError("AUDIT_INPUT_INVALID", message);
}

/** Key names are non-empty, with no Unicode space and no '+'. */
export function validKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && isNoteText(name);
}

/** UTF-8 text with no ASCII control character but newline. */
function isNoteText(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0009\u000b-\u001f]/.test(text) && text.isWellFormed();
}

/** key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4], big-endian. */
export function keyIdOf(name: string, publicKey: Uint8Array): number {
  const h = createHash("sha256")
    .update(`${name}\n`)
    .update(Buffer.from([ED25519]))
    .update(publicKey)
    .digest();
  return h.readUInt32BE(0);
}

function hex8(id: number): string {
  return id.toString(16).padStart(8, "0");
}

function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
}

function rawPublicKey(priv: KeyObject): Buffer {
  const der = createPublicKey(priv).export({ format: "der", type: "spki" });
  return der.subarray(SPKI_PREFIX.length);
}

/** A key pair in the signed-note text formats from a 32-byte seed (the randomness is the caller's). */
export function keyPairFromSeed(
  name: string,
  seed: Uint8Array,
): { signer: string; verifier: string } {
  if (!validKeyName(name))
    throw invalid(`key name ${JSON.stringify(name)} must be non-empty, without spaces or '+'`);
  if (seed.length !== 32) throw invalid("an Ed25519 seed is 32 bytes");
  const priv = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  const pub = rawPublicKey(priv);
  const id = hex8(keyIdOf(name, pub));
  const enc = (b: Uint8Array) => Buffer.concat([Buffer.from([ED25519]), b]).toString("base64");
  return {
    signer: `PRIVATE+KEY+${name}+${id}+${enc(seed)}`,
    verifier: `${name}+${id}+${enc(pub)}`,
  };
}

function decodeKeyMaterial(text: string, b64: string, what: string): Buffer {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw invalid(`${what} ${text}: the key is not base64`);
  const raw = Buffer.from(b64, "base64");
  if (raw.length !== 33 || raw[0] !== ED25519)
    throw invalid(`${what}: only Ed25519 keys (type 0x01, 32 bytes) are supported`);
  return raw.subarray(1);
}

function checkId(name: string, hash: string, pub: Uint8Array, what: string): number {
  if (!/^[0-9a-f]{8}$/.test(hash))
    throw invalid(`${what}: the key hash must be eight lowercase hex digits`);
  const id = keyIdOf(name, pub);
  if (hex8(id) !== hash)
    throw invalid(`${what}: the key hash ${hash} does not match the key (${hex8(id)})`);
  return id;
}

/** Parses `PRIVATE+KEY+<name>+<hash>+<key>`. */
export function parseSigner(text: string): NoteSigner {
  const parts = text.trim().split("+");
  // The base64 key itself may contain '+': the first four fields are fixed, the rest is the key.
  if (parts.length < 5 || parts[0] !== "PRIVATE" || parts[1] !== "KEY")
    throw invalid("a signer key is PRIVATE+KEY+<name>+<hash>+<base64 key>");
  const [, , name = "", hash = ""] = parts;
  if (!validKeyName(name)) throw invalid(`signer key name ${JSON.stringify(name)} is not valid`);
  const seed = decodeKeyMaterial("", parts.slice(4).join("+"), "signer key");
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  const keyId = checkId(name, hash, rawPublicKey(key), "signer key");
  return { name, keyId, key };
}

/** Parses `<name>+<hash>+<key>`. */
export function parseVerifier(text: string): NoteVerifier {
  const parts = text.trim().split("+");
  if (parts.length < 3) throw invalid("a verifier key is <name>+<hash>+<base64 key>");
  const [name = "", hash = ""] = parts;
  if (!validKeyName(name)) throw invalid(`verifier key name ${JSON.stringify(name)} is not valid`);
  const publicKey = decodeKeyMaterial("", parts.slice(2).join("+"), "verifier key");
  const keyId = checkId(name, hash, publicKey, "verifier key");
  return { name, keyId, publicKey, key: publicKeyObject(publicKey) };
}

/** Signs a note text (which must end in a newline) and returns the signed note. */
export function signNote(text: string, signer: NoteSigner): string {
  if (!text.endsWith("\n") || !isNoteText(text))
    throw invalid("a note text is UTF-8 ending in a newline, without control characters");
  const sig = sign(null, Buffer.from(text, "utf8"), signer.key);
  const id = Buffer.alloc(4);
  id.writeUInt32BE(signer.keyId);
  return `${text}\n${EM_DASH} ${signer.name} ${Buffer.concat([id, sig]).toString("base64")}\n`;
}

/**
 * Opens a signed note with one trusted key: returns its text when a signature by that key (name
 * and ID both) verifies. Signatures by other keys are ignored, as the spec requires; a failing
 * signature by the trusted key rejects the note.
 * @throws AuditError CHECKPOINT_FORGED when the note is malformed or not signed by the key
 */
export function openNote(note: string, verifier: NoteVerifier): string {
  const forged = (why: string) => new AuditError("CHECKPOINT_FORGED", why);
  if (!isNoteText(note) || !note.endsWith("\n"))
    throw forged("the note is not valid signed-note text");
  // The text ends at the last blank line; the signature lines follow it.
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw forged("the note has no signature block");
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split("\n");
  let verified = false;
  for (const line of lines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
    if (m === null) throw forged(`the note has a malformed signature line ${JSON.stringify(line)}`);
    const sig = Buffer.from(m[2] as string, "base64");
    if (sig.length < 5) throw forged("a signature is shorter than its key ID");
    if (m[1] !== verifier.name || sig.readUInt32BE(0) !== verifier.keyId) continue;
    if (!verify(null, Buffer.from(text, "utf8"), verifier.key, sig.subarray(4)))
      throw forged(`the signature by ${verifier.name} does not verify`);
    verified = true;
  }
  if (!verified)
    throw forged(`the note carries no signature by ${verifier.name}+${hex8(verifier.keyId)}`);
  return text;
}

/** The verifier of a signer: a writer checks what it resumes on with its own key. */
export function verifierOf(signer: NoteSigner): NoteVerifier {
  const publicKey = rawPublicKey(signer.key);
  return { name: signer.name, keyId: signer.keyId, publicKey, key: publicKeyObject(publicKey) };
}
