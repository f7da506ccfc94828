/**
 * Fake credentials in the shape of the real formats, generated when the tests run so no
 * secret-looking literal sits in the repository. A fixed seed keeps every run the same.
 */
export function seededRandom(seed: number): (length: number, alphabet: string) => string {
  let state = seed;
  return (length, alphabet) => {
    let out = "";
    for (let i = 0; i < length; i++) {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      out += alphabet[(state >>> 8) % alphabet.length];
    }
    return out;
  };
}

export const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const LOWER = "abcdefghijklmnopqrstuvwxyz";
export const DIGITS = "0123456789";
export const ALNUM = UPPER + LOWER + DIGITS;
export const B64URL = ALNUM + "-_";
export const B64 = ALNUM + "+/";
export const HEXCHARS = "0123456789abcdef";
