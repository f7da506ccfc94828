import assert from "node:assert/strict";
import { test } from "node:test";
import { strToU8, zipSync } from "fflate";
import { inflateZipEntries, zipEntries, ZipError } from "../../../supply-chain/scan/osv/zip.ts";
import { assertThrowsWithCode } from "../../support/throws.ts";

/** A zip of one directory entry whose sizes are in a ZIP64 field that `extra` holds. */
function zipWithZip64Extra(extra: Buffer): Buffer {
  const name = Buffer.from("a.json");
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt32LE(0xffffffff, 20); // compressed size: in the ZIP64 field
  central.writeUInt32LE(0xffffffff, 24); // size: in the ZIP64 field
  central.writeUInt16LE(name.length, 28);
  central.writeUInt16LE(extra.length, 30);
  const directory = Buffer.concat([central, name, extra]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(directory.length, 12);
  return Buffer.concat([directory, end]);
}

test("a ZIP64 field shorter than the sizes it stands for is refused, not read from what follows it", () => {
  // Header id 1, 16 bytes announced, none there: the end record's bytes follow.
  const short = zipWithZip64Extra(Buffer.from([0x01, 0x00, 0x10, 0x00]));
  assertThrowsWithCode(() => zipEntries(short, () => true), "ZIP_INVALID", ZipError);
  const whole = Buffer.alloc(20);
  whole.writeUInt16LE(1, 0);
  whole.writeUInt16LE(16, 2);
  whole.writeBigUInt64LE(5n, 4);
  whole.writeBigUInt64LE(7n, 12);
  const [entry] = zipEntries(zipWithZip64Extra(whole), () => true);
  assert.equal(entry?.size, 5);
  assert.equal(entry?.compressedSize, 7);
});

test("inflating together checks each entry's data lies within the zip before allocating for its claimed size", () => {
  const zip = zipSync({ "a.json": strToU8('{"id":"A"}') });
  const [entry] = zipEntries(zip, () => true);
  assert.ok(entry);
  assertThrowsWithCode(
    () => inflateZipEntries(zip, [{ ...entry, compressedSize: 2 ** 40 }]),
    "ZIP_INVALID",
    ZipError,
  );
  assert.equal(Buffer.from(inflateZipEntries(zip, [entry])).toString(), '{"id":"A"}');
});
