/** The API server's Status message out of a client error (its body is JSON, sometimes as a string). */
export function statusMessage(err: unknown): string {
  let body: unknown = (err as { body?: unknown } | null)?.body;
  for (let i = 0; i < 2 && typeof body === "string"; i++) {
    try {
      body = JSON.parse(body);
    } catch {
      break;
    }
  }
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === "string" ? message : String(err);
}
