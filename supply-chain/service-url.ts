const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

/**
 * A service base URL that may carry secrets or be trusted for answers: `https://`, or plain
 * `http://` on loopback only. Returns it without trailing slashes, or `undefined` when it is not
 * one.
 */
export function secureServiceUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const ok = url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
  return ok ? value.replace(/\/+$/, "") : undefined;
}
