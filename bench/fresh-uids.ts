import { randomUUID } from "node:crypto";

/**
 * An AdmissionReview body with a new uid each time, as the API server sends every request: a
 * webhook that reuses decisions must see past the uid, not a body it has seen before.
 */
export function withFreshUids(body: string): () => string {
  const uid = JSON.stringify((JSON.parse(body) as { request: { uid: string } }).request.uid);
  const at = body.indexOf(uid);
  if (at === -1) throw new Error(`the review's uid ${uid} is not written plainly in its body`);
  const [head, tail] = [body.slice(0, at + 1), body.slice(at + uid.length - 1)];
  return () => `${head}${randomUUID()}${tail}`;
}
