import type {
  DeclaredPermissions,
  KubernetesPermission,
  ServerRun,
} from "../evaluation/predicate.ts";
import type { TrustLevel } from "../trust-level.ts";

/**
 * What the registry said about one image, gathered at the edge (registry client, signature
 * verification) and judged here against the policy. The core never fetches.
 */
export interface ImageFacts {
  /** The digest the reference resolved to. */
  digest?: string;
  /**
   * Set when the lookup, or part of it, failed (registry unreachable, deadline passed, an answer
   * that cannot be read). Evidence that verified next to a failed part still counts.
   */
  lookupError?: string;
  /** Signatures that verified against a trusted signer, with the signer's identity. */
  verifiedSignatures: { signer: string }[];
  /** Why candidate signatures were rejected (untrusted key, wrong identity, wrong digest...). */
  rejectedSignatures: { reason: string }[];
  /** Evaluation attestations that verified against a trusted signer. */
  verifiedEvaluations: {
    verdict: "pass" | "fail";
    trustLevel: TrustLevel;
    time: string;
    signer: string;
    /**
     * Whether the evaluation examined the image itself: its controls record `image-inventory` and
     * `image-run` evidence. Absent in facts gathered before it was recorded: treated as false.
     */
    imageEvidence?: { inventory: boolean; run: boolean };
    /**
     * How the evaluation ran the image's server (its Entrypoint and Cmd, over stdio); absent when
     * it did not run the image. `runtime/gateway-required` holds a stdio server to the bridge.
     */
    run?: ServerRun;
    /**
     * The Kubernetes API access the evaluation declares (`permissions.kubernetes`): an empty list
     * when it declares permissions but no API access; absent when it declares no permissions.
     */
    kubernetes?: KubernetesPermission[];
    /**
     * The ports of the internet egress the evaluation declares (`permissions.egress` entries with
     * `internet: true`): empty when it declares permissions but no internet egress; absent when
     * it declares no permissions.
     */
    internetEgressPorts?: number[];
    /**
     * The egress endpoints and ingress (ports, agents) the evaluation declares; absent when it
     * declares no permissions.
     */
    network?: Pick<DeclaredPermissions, "egress" | "ingress">;
  }[];
  rejectedEvaluations: { reason: string }[];
}

export interface ImageEvidence {
  /** Facts for an image reference exactly as written in the pod; undefined when not looked up. */
  forImage(reference: string): ImageFacts | undefined;
}
