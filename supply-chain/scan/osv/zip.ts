import { crc32, gunzipSync } from "node:zlib";
import { inflateSync } from "fflate";
import { errorClass, errorMessage } from "../../../policies/errors.ts";

/**
 * Just enough of ZIP (APPNOTE 6.3) to read an offline OSV database: the central directory, and one
 * stored or deflated entry at a time, so a database never needs every record inflated at once, and
 * each entry's size is bounded before it is inflated.
 */

/** One file of the central directory. Offsets are within the zip's bytes. */
export interface ZipEntry {
  name: string;
  /** Offset of the entry's local header. */
  header: number;
  compressedSize: number;
  size: number;
  /** 0 stored, 8 deflated. */
  method: number;
  crc: number;
}

/** A zip that cannot be read; the caller names the zip. */
export class ZipError extends errorClass<"ZIP_INVALID">("ZipError") {}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u64(v: DataView, at: number): number {
  const value = v.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new ZipError("ZIP_INVALID", "a ZIP64 field is out of range");
  return Number(value);
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new ZipError("ZIP_INVALID", what);
}

/** The end of central directory record: where the directory is and how many entries it holds. */
function directoryOf(bytes: Uint8Array, v: DataView): { at: number; count: number; end: number } {
  // The record is 22 bytes plus a comment of at most 65,535 bytes, at the very end.
  let eocd = -1;
  for (let at = bytes.length - 22; at >= 0 && at >= bytes.length - 22 - 0xffff; at--)
    if (v.getUint32(at, true) === EOCD) {
      eocd = at;
      break;
    }
  check(eocd >= 0, "no end of central directory record (not a zip file)");
  let count = v.getUint16(eocd + 10, true);
  let size = v.getUint32(eocd + 12, true);
  let at = v.getUint32(eocd + 16, true);
  if (count === 0xffff || size === 0xffffffff || at === 0xffffffff) {
    const locator = eocd - 20;
    check(locator >= 0 && v.getUint32(locator, true) === EOCD64_LOCATOR, "no ZIP64 locator");
    const eocd64 = u64(v, locator + 8);
    check(
      eocd64 + 56 <= bytes.length && v.getUint32(eocd64, true) === EOCD64,
      "no ZIP64 end of central directory record",
    );
    count = u64(v, eocd64 + 32);
    size = u64(v, eocd64 + 40);
    at = u64(v, eocd64 + 48);
  }
  check(at + size <= bytes.length, "the central directory lies beyond the end of the file");
  return { at, count, end: at + size };
}

const utf8 = new TextDecoder("utf-8");
const latin1 = new TextDecoder("latin1");

/**
 * The entries of a zip's central directory whose name `keep` accepts, in directory order.
 * @throws ZipError when the directory cannot be read, or an entry kept is encrypted or compressed
 *   with a method other than stored or deflate
 */
export function zipEntries(bytes: Uint8Array, keep: (name: string) => boolean): ZipEntry[] {
  const v = view(bytes);
  const { at: start, count, end } = directoryOf(bytes, v);
  const entries: ZipEntry[] = [];
  let at = start;
  for (let i = 0; i < count; i++) {
    check(at + 46 <= end && v.getUint32(at, true) === CENTRAL, `central directory entry ${i}`);
    const flags = v.getUint16(at + 8, true);
    const method = v.getUint16(at + 10, true);
    const crc = v.getUint32(at + 16, true);
    let compressedSize = v.getUint32(at + 20, true);
    let size = v.getUint32(at + 24, true);
    const nameLength = v.getUint16(at + 28, true);
    const extraLength = v.getUint16(at + 30, true);
    const commentLength = v.getUint16(at + 32, true);
    let header = v.getUint32(at + 42, true);
    const next = at + 46 + nameLength + extraLength + commentLength;
    check(next <= end, `central directory entry ${i} runs past the directory`);
    const rawName = bytes.subarray(at + 46, at + 46 + nameLength);
    // Bit 11: the name is UTF-8; otherwise it is CP437, of which ASCII (every OSV id) is the same.
    const name = (flags & 0x800 ? utf8 : latin1).decode(rawName);
    if (keep(name)) {
      // ZIP64 extra field: the 64-bit values of the fields saturated above, in this order.
      if (size === 0xffffffff || compressedSize === 0xffffffff || header === 0xffffffff) {
        let x = at + 46 + nameLength;
        const extraEnd = x + extraLength;
        for (; x + 4 <= extraEnd; x += 4 + v.getUint16(x + 2, true)) {
          if (v.getUint16(x, true) !== 0x0001) continue;
          // Each value is read from within the field, never from what follows it.
          const fieldEnd = Math.min(extraEnd, x + 4 + v.getUint16(x + 2, true));
          let field = x + 4;
          const next64 = (): number => {
            check(field + 8 <= fieldEnd, `${name}: the ZIP64 field is shorter than its values`);
            field += 8;
            return u64(v, field - 8);
          };
          if (size === 0xffffffff) size = next64();
          if (compressedSize === 0xffffffff) compressedSize = next64();
          if (header === 0xffffffff) header = next64();
          break;
        }
      }
      check((flags & 0x1) === 0, `${name} is encrypted`);
      check(method === 0 || method === 8, `${name} uses compression method ${method}`);
      entries.push({ name, header, compressedSize, size, method, crc });
    }
    at = next;
  }
  return entries;
}

function dataOf(bytes: Uint8Array, v: DataView, entry: ZipEntry): Uint8Array {
  const { header } = entry;
  check(header + 30 <= bytes.length && v.getUint32(header, true) === LOCAL, "no local header");
  const data = header + 30 + v.getUint16(header + 26, true) + v.getUint16(header + 28, true);
  check(data + entry.compressedSize <= bytes.length, "data beyond the end of the file");
  return bytes.subarray(data, data + entry.compressedSize);
}

// A gzip member header: deflate, no flags, no time, unknown OS.
const GZIP_HEADER = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

/**
 * The contents of several deflated entries, one after another, inflated by one call into zlib: each
 * entry's deflate data becomes a member of one gzip stream, with the directory's CRC-32 and size as
 * the member's trailer, and zlib inflates the members in turn and checks each trailer. One call per
 * few hundred entries instead of one per entry (each building a stream and an inflater) makes
 * inflating the small entries of an OSV zip several times faster.
 * @throws ZipError when an entry is not deflated, or its data is corrupt or not of the stated
 *   size or CRC (which entry is not said: `inflateZipEntry` tells)
 */
export function inflateZipEntries(bytes: Uint8Array, entries: readonly ZipEntry[]): Uint8Array {
  const v = view(bytes);
  let length = 0;
  let size = 0;
  // Each entry's data is found within the bytes before anything is allocated for it: the
  // directory's sizes are claims.
  const data: Uint8Array[] = [];
  for (const entry of entries) {
    check(entry.method === 8, `${entry.name} is not deflated`);
    data.push(dataOf(bytes, v, entry));
    length += GZIP_HEADER.length + entry.compressedSize + 8;
    size += entry.size;
  }
  if (size === 0) return new Uint8Array(0);
  const gzip = Buffer.allocUnsafe(length);
  let at = 0;
  for (const [i, entry] of entries.entries()) {
    gzip.set(GZIP_HEADER, at);
    at += GZIP_HEADER.length;
    const compressed = data[i]!;
    gzip.set(compressed, at);
    at += compressed.length;
    gzip.writeUInt32LE(entry.crc >>> 0, at);
    gzip.writeUInt32LE(entry.size % 2 ** 32, at + 4);
    at += 8;
  }
  let out: Uint8Array;
  try {
    // Bounded: zlib stops at the stated total.
    out = gunzipSync(gzip, { maxOutputLength: size });
  } catch (e) {
    throw new ZipError("ZIP_INVALID", `cannot inflate: ${errorMessage(e)}`);
  }
  check(out.length === size, `inflates to ${out.length} bytes, not ${size}`);
  return out;
}

/**
 * Inflates one entry into `out` (at least `entry.size` long) and checks it against the directory's
 * size and CRC-32; returns the entry's bytes, a view of `out`.
 * @throws ZipError when `out` is too small for the entry or its data is corrupt
 */
export function inflateZipEntry(bytes: Uint8Array, entry: ZipEntry, out: Uint8Array): Uint8Array {
  if (entry.size > out.length) throw new ZipError("ZIP_INVALID", `larger than ${out.length} bytes`);
  const compressed = dataOf(bytes, view(bytes), entry);
  const target = out.subarray(0, entry.size);
  let inflated: Uint8Array;
  if (entry.method === 0) {
    check(compressed.length === entry.size, "a stored entry of another size than stated");
    target.set(compressed);
    inflated = target;
  } else
    try {
      // fflate's inflate, straight into `target`, is what makes thousands of small entries
      // cheap: node:zlib builds a stream and a native inflater per call, whose garbage and
      // external memory cost more than the inflating. Bounded: it never writes past `target`.
      inflated = inflateSync(compressed, { out: target });
    } catch (e) {
      throw new ZipError("ZIP_INVALID", `cannot inflate: ${errorMessage(e)}`);
    }
  check(inflated.length === entry.size, `inflates to ${inflated.length} bytes, not ${entry.size}`);
  check(crc32(inflated) >>> 0 === entry.crc, "CRC-32 mismatch");
  return inflated;
}
