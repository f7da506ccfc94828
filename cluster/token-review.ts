import type { KubeConfig } from "@kubernetes/client-node";
import { isRecord } from "../policies/guards.ts";
import { apiRequest } from "./api.ts";

/** What the API server said of a bearer token (authentication.k8s.io/v1 TokenReview). */
export interface TokenReviewResult {
  authenticated: boolean;
  username?: string;
  /** The audiences the token is valid for, among those asked. */
  audiences: string[];
  error?: string;
}

/**
 * Asks the API server whether `token` is valid for one of `audiences`, with the caller's own
 * credentials (it needs `create` on `tokenreviews`). A pod-bound ServiceAccount token stops
 * authenticating when its pod is deleted; only a review sees that.
 * @throws ClusterError when the API server cannot be asked
 */
export async function reviewToken(
  kc: KubeConfig,
  token: string,
  audiences: readonly string[],
): Promise<TokenReviewResult> {
  const answer = await apiRequest(kc, "/apis/authentication.k8s.io/v1/tokenreviews", {
    method: "POST",
    body: {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      spec: { token, audiences },
    },
  });
  const status = isRecord(answer) && isRecord(answer.status) ? answer.status : {};
  const user = isRecord(status.user) ? status.user : {};
  return {
    authenticated: status.authenticated === true,
    ...(typeof user.username === "string" ? { username: user.username } : {}),
    audiences: Array.isArray(status.audiences)
      ? status.audiences.filter((a): a is string => typeof a === "string")
      : [],
    ...(typeof status.error === "string" ? { error: status.error } : {}),
  };
}
