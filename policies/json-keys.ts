const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/**
 * True when JSON text repeats a key within one object: `JSON.parse` keeps the last value, other
 * parsers the first or an error, so whoever forwards the text must not judge it by the last one.
 * `value` is `text` as parsed; outside strings, a colon only ever follows a key, so the text
 * names more keys than the value has exactly when one was repeated. Linear in both.
 */
export function jsonRepeatsKeys(text: string, value: unknown): boolean {
  let written = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === COLON) {
      written++;
    }
  }
  return written !== keysOf(value);
}

// Callers have bounded the nesting (jsonDepthExceeds) before parsing.
function keysOf(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) for (const item of value) n += keysOf(item);
  else for (const [, v] of Object.entries(value)) n += 1 + keysOf(v);
  return n;
}
