/**
 * JSON Schema (OpenAPI v3 compatible, Kubernetes structural) of `MCPWardenPolicy.spec`. The same
 * object is the CRD's schema (`deploy/crds/`), so a policy file and a policy object in a cluster
 * are checked alike.
 */
import { POD_SECURITY_VERSION_PATTERN } from "./rules/pod-security-version.ts";
import { auditSpecSchema } from "../audit/settings.ts";

export const POLICY_API_VERSION = "mcp-warden.dev/v1alpha1";
export const POLICY_KIND = "MCPWardenPolicy";

export const RULE_ACTIONS = ["enforce", "warn", "audit", "off"] as const;

const globList = (description: string) =>
  ({
    type: "array",
    items: { type: "string", pattern: "^[a-z0-9*][a-z0-9*/-]*$" },
    description,
  }) as const;

export const policySpecSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    rules: {
      type: "object",
      description:
        "Rule id or glob → action (enforce denies, warn admits with a warning, audit admits and logs, off skips). The most specific glob wins; a rule no glob matches is enforced.",
      additionalProperties: { type: "string", enum: [...RULE_ACTIONS] },
    },
    images: {
      type: "object",
      additionalProperties: false,
      properties: {
        trustedSigners: {
          type: "array",
          description: "Signers whose signatures and evaluations are trusted; one match suffices.",
          items: {
            type: "object",
            additionalProperties: false,
            properties: {
              keyless: {
                type: "object",
                additionalProperties: false,
                required: ["issuer"],
                properties: {
                  issuer: { type: "string", minLength: 1, description: "OIDC issuer URL." },
                  subject: {
                    type: "string",
                    minLength: 1,
                    description: "Exact certificate subject.",
                  },
                  subjectRegExp: {
                    type: "string",
                    minLength: 1,
                    description: "Regular expression the certificate subject must match.",
                  },
                },
              },
              key: {
                type: "object",
                additionalProperties: false,
                required: ["publicKey"],
                properties: {
                  publicKey: { type: "string", minLength: 1, description: "PEM public key." },
                },
              },
            },
          },
        },
        evaluation: {
          type: "object",
          additionalProperties: false,
          properties: {
            minTrustLevel: {
              type: "string",
              enum: ["L1", "L2", "L3", "L4"],
              description: "Lowest MCP Trust Framework level an evaluation may carry.",
            },
            maxAge: {
              type: "string",
              pattern: "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$",
              description: "Oldest evaluation accepted, as a duration (720h).",
            },
            requireImageEvidence: {
              type: "boolean",
              description:
                "Count only evaluations of the image itself: the predicate's controls must record image-inventory and image-run evidence (the image's own packages read, its entrypoint run). Default false.",
            },
          },
        },
      },
    },
    sandbox: {
      type: "object",
      additionalProperties: false,
      properties: {
        allowPersistentVolumeClaims: {
          type: "boolean",
          description: "Let sandbox/volume-isolation admit persistentVolumeClaim volumes.",
        },
      },
    },
    podSecurity: {
      type: "object",
      additionalProperties: false,
      properties: {
        version: {
          type: "string",
          pattern: POD_SECURITY_VERSION_PATTERN,
          description:
            "The Pod Security Admission policy version the pod-security/* rules judge as, like the namespace label pod-security.kubernetes.io/enforce-version: latest (the default) or v1.NN from v1.25; pin the version the cluster's API server enforces.",
        },
      },
    },
    network: {
      type: "object",
      additionalProperties: false,
      properties: {
        internetEgress: {
          type: "string",
          enum: ["allow", "deny"],
          description:
            "Admit internet egress (an ipBlock of all addresses excepting private, loopback, link-local and multicast ranges, limited by ports) for servers whose signed evaluation declares it. Default deny.",
        },
      },
    },
    runtime: {
      type: "object",
      additionalProperties: false,
      description:
        "The runtime gateway (runtime/gateway-required, runtime/gateway-identity, mcp-warden gateway).",
      properties: {
        gateway: {
          type: "object",
          additionalProperties: false,
          properties: {
            image: {
              type: "string",
              minLength: 1,
              description:
                "The signed mcp-warden image, pinned by digest (REPO@sha256:<64 hex>): the only image a pod carrying the gateway's identity label (mcp-warden.dev/gateway-for) may run, and the image whose init container copies the bridge into a stdio server's pod.",
            },
          },
        },
        gatewayRequired: {
          type: "object",
          additionalProperties: false,
          properties: {
            namespaceSelector: {
              type: "object",
              additionalProperties: false,
              description:
                "Namespaces (by the labels the cluster holds for them, never a label on the pod) whose every pod must be reachable only from its gateway, as pods whose image carries a verified evaluation always are. Absent: no namespace is selected.",
              properties: {
                matchLabels: { type: "object", additionalProperties: { type: "string" } },
                matchExpressions: {
                  type: "array",
                  items: {
                    type: "object",
                    additionalProperties: false,
                    required: ["key", "operator"],
                    properties: {
                      key: { type: "string", minLength: 1 },
                      operator: { type: "string", enum: ["In", "NotIn", "Exists", "DoesNotExist"] },
                      values: { type: "array", items: { type: "string" } },
                    },
                  },
                },
              },
            },
          },
        },
        rateLimit: {
          type: "object",
          additionalProperties: false,
          required: ["requestsPerSecond", "burst"],
          description:
            "What mcp-warden gateway lets each authenticated caller send: requests a second, refilled up to burst. Absent: no limit.",
          properties: {
            requestsPerSecond: { type: "number", minimum: 0.001 },
            burst: { type: "integer", minimum: 1 },
          },
        },
      },
    },
    audit: auditSpecSchema,
    exceptions: {
      type: "object",
      additionalProperties: false,
      properties: {
        namespaces: {
          type: "array",
          items: { type: "string", minLength: 1 },
          description:
            "Namespaces exceptions are honoured from; only cluster admins should write there.",
        },
        exemptible: globList(
          "Rules an exception may exempt from (ids or globs). rbac/* rules only through a glob that begins with rbac/.",
        ),
      },
    },
  },
} as const;

export const policySchema = {
  type: "object",
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: { const: POLICY_API_VERSION },
    kind: { const: POLICY_KIND },
    metadata: {
      type: "object",
      required: ["name"],
      properties: { name: { type: "string", minLength: 1 } },
    },
    spec: policySpecSchema,
  },
} as const;
