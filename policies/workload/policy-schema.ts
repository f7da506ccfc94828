/**
 * JSON Schema (OpenAPI v3 compatible, Kubernetes structural) of `MCPWardenPolicy.spec`. The same
 * object is the CRD's schema (`deploy/crds/`), so a policy file and a policy object in a cluster
 * are checked alike.
 */
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
