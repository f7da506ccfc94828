/**
 * The ZIP reader of offline OSV databases, fed real zips (written by fflate, with and without
 * ZIP64 fields) with damaged bytes and claims: a value or ZipError, never a RangeError from
 * reading past the bytes, and nothing allocated for a size the bytes do not hold.
 */
import { test } from "node:test";
import fc from "fast-check";
import { strToU8, zipSync } from "fflate";
import {
  inflateZipEntries,
  inflateZipEntry,
  zipEntries,
  ZipError,
} from "../../../../../supply-chain/scan/osv/zip.ts";
import { fuzz, returnsOrThrowsTyped } from "../../../../support/fuzz.ts";

const TYPED = [ZipError];

const files = fc.dictionary(
  fc.stringMatching(/^[A-Za-z]{1,8}\/[A-Z0-9-]{1,12}\.json$/),
  fc.oneof(fc.json({ maxDepth: 2 }), fc.constant("a".repeat(5000))),
  { minKeys: 1, maxKeys: 4 },
);

type Damage =
  | { op: "byte"; at: number; value: number }
  | { op: "u32"; at: number; value: number }
  | { op: "cut"; at: number };

const damageOf: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({
    op: fc.constant("byte" as const),
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({
    op: fc.constant("u32" as const),
    at: fc.nat(),
    value: fc.constantFrom(0, 1, 0xffff, 0xffffffff, 0x7fffffff, 0x10000000),
  }),
  fc.record({ op: fc.constant("cut" as const), at: fc.nat() }),
);

function damaged(zip: Uint8Array, damages: readonly Damage[], aimAtDirectory: boolean): Uint8Array {
  let out = Buffer.from(zip);
  // Most damage lands in the central directory and the end record, where the claims are.
  const from = aimAtDirectory ? Math.max(0, out.lastIndexOf(Buffer.from([0x50, 0x4b, 1, 2]))) : 0;
  for (const d of damages) {
    const span = out.length - from;
    if (span <= 0) break;
    const at = from + (d.at % span);
    if (d.op === "byte") out[at] = d.value;
    else if (d.op === "u32" && at + 4 <= out.length) out.writeUInt32LE(d.value, at);
    else if (d.op === "cut") out = out.subarray(0, at);
  }
  return out;
}

test("damaged OSV zips: entries listed and inflated, or ZIP_INVALID", async (t) => {
  await fuzz(
    t,
    fc.property(
      files,
      fc.array(damageOf, { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      fc.boolean(),
      (contents, damages, aim, deflate) => {
        const zip = zipSync(
          Object.fromEntries(Object.entries(contents).map(([k, v]) => [k, strToU8(v)])),
          { level: deflate ? 6 : 0 },
        );
        const bytes = damaged(zip, damages, aim);
        returnsOrThrowsTyped(() => {
          const entries = zipEntries(bytes, (name) => name.endsWith(".json"));
          const out = new Uint8Array(64 * 1024);
          for (const entry of entries) {
            try {
              inflateZipEntry(bytes, entry, out);
            } catch (e) {
              if (!(e instanceof ZipError)) throw e;
            }
          }
          const deflated = entries.filter((e) => e.method === 8 && e.size < 1024 * 1024);
          if (deflated.length > 0) inflateZipEntries(bytes, deflated);
        }, TYPED);
      },
    ),
    150,
  );
});
