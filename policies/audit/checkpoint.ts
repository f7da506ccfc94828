import { AuditError } from "./errors.ts";
import { openNote, signNote, type NoteSigner, type NoteVerifier } from "./note.ts";

/** A C2SP tlog-checkpoint body (c2sp.org/tlog-checkpoint): origin, tree size, root hash. */
export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
}

/** The origin of a gateway's log: `mcp-warden/<namespace>/<pod>`. */
export function auditOrigin(namespace: string, pod: string): string {
  return `mcp-warden/${namespace}/${pod}`;
}

export function checkpointText(c: Checkpoint): string {
  if (c.origin.length === 0 || c.origin.includes("\n"))
    throw new RangeError("origin is one non-empty line");
  return `${c.origin}\n${c.size}\n${c.root.toString("base64")}\n`;
}

export function signCheckpoint(c: Checkpoint, signer: NoteSigner): string {
  return signNote(checkpointText(c), signer);
}

/**
 * Opens a signed checkpoint with the trusted key and parses its body; extension lines after the
 * root hash are allowed and ignored, as the spec says.
 * @throws AuditError CHECKPOINT_FORGED when it is not validly signed by the key, or not a checkpoint
 */
export function openCheckpoint(note: string, verifier: NoteVerifier, origin?: string): Checkpoint {
  const text = openNote(note, verifier);
  const [o = "", sizeLine = "", rootLine = ""] = text.split("\n");
  const forged = (why: string) =>
    new AuditError("CHECKPOINT_FORGED", `not a valid checkpoint: ${why}`);
  if (o.length === 0) throw forged("no origin line");
  if (origin !== undefined && o !== origin) throw forged(`origin ${o} is not ${origin}`);
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine) || !Number.isSafeInteger(Number(sizeLine)))
    throw forged(`tree size ${JSON.stringify(sizeLine)} is not a decimal number`);
  const root = Buffer.from(rootLine, "base64");
  if (root.length !== 32 || root.toString("base64") !== rootLine)
    throw forged("the root hash is not 32 bytes in base64");
  return { origin: o, size: Number(sizeLine), root };
}
