import type { IngressAgent } from "../evaluation/predicate.ts";

/**
 * Who a verified bearer token says the caller is. The edge sets `kind` from how it verified the
 * token (TokenReview or the cluster issuer's keys for a ServiceAccount, a configured OIDC issuer
 * for a subject), never from a claim, so an OIDC token cannot pose as a ServiceAccount.
 */
export type Identity =
  | { kind: "serviceAccount"; issuer: string; namespace: string; serviceAccount: string }
  | { kind: "subject"; issuer: string; subject: string };

const SA_USER =
  /^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/;

/** `system:serviceaccount:NS:NAME` as namespace and name, or undefined for any other user name. */
export function serviceAccountOf(
  username: string,
): { namespace: string; serviceAccount: string } | undefined {
  const m = SA_USER.exec(username);
  return m ? { namespace: m[1]!, serviceAccount: m[3]! } : undefined;
}

/**
 * The declared agent an identity is, by ServiceAccount (namespace and name; an agent without a
 * namespace is in the server's) or by OIDC issuer and subject. Undefined when none is declared
 * with it; the first declared agent wins when two declare the same identity.
 */
export function declaredAgentFor(
  identity: Identity,
  agents: readonly IngressAgent[],
  serverNamespace: string,
): string | undefined {
  const found = agents.find((a) =>
    identity.kind === "serviceAccount"
      ? a.serviceAccount === identity.serviceAccount &&
        (a.namespace ?? serverNamespace) === identity.namespace
      : (a.subjects ?? []).some(
          (s) => s.issuer === identity.issuer && s.subject === identity.subject,
        ),
  );
  return found?.name;
}
