import { adminObjectParser } from "../admin-object.ts";
import { parseRfc3339 } from "../rfc3339.ts";
import { compileGlob, type Glob } from "../glob.ts";

/**
 * `MCPWardenAccess` (DESIGN.md "Runtime gateway"): which declared agents may use which tools,
 * prompts and resources of one server. Like exceptions, a grant is honoured only from the
 * policy's admin namespaces, so nobody who can only create objects in their own namespace can
 * grant themselves a tool.
 */

export const ACCESS_API_VERSION = "mcp-warden.dev/v1alpha1";
export const ACCESS_KIND = "MCPWardenAccess";

export interface Access {
  apiVersion: string;
  kind: typeof ACCESS_KIND;
  metadata: { name: string; namespace: string };
  spec: {
    server: { namespace: string; name: string };
    agents: string[];
    tools: string[];
    prompts?: string[];
    resources?: string[];
    expires?: string;
    reason: string;
  };
}

const globList = (description: string) =>
  ({
    type: "array",
    items: { type: "string", minLength: 1 },
    description,
  }) as const;

/** OpenAPI v3 / JSON Schema of `spec`; the CRD carries the same schema. */
export const accessSpecSchema = {
  type: "object",
  required: ["server", "agents", "tools", "reason"],
  additionalProperties: false,
  properties: {
    server: {
      type: "object",
      required: ["namespace", "name"],
      additionalProperties: false,
      description: "The MCP server the grant is for: its namespace and the name of its Deployment.",
      properties: {
        namespace: { type: "string", minLength: 1 },
        name: { type: "string", minLength: 1 },
      },
    },
    agents: {
      type: "array",
      minItems: 1,
      items: { type: "string", minLength: 1 },
      description:
        "Names of agents the server's signed evaluation declares (permissions.ingress.agents[].name).",
    },
    tools: globList("Tools the agents may list and call (names or * globs)."),
    prompts: globList("Prompts the agents may list and get (names or * globs)."),
    resources: globList("Resources the agents may list and read (URIs or * globs)."),
    expires: {
      type: "string",
      format: "date-time",
      description: "RFC 3339 time after which the grant allows nothing.",
    },
    reason: {
      type: "string",
      minLength: 1,
      description: "Why the grant exists; shown in decisions and logs.",
    },
  },
} as const;

/**
 * Validates an `MCPWardenAccess` object. A missing namespace means `default`, as kubectl does.
 * @throws InputError ACCESS_INVALID listing every bad field
 */
export const parseAccess: (object: unknown) => Access = adminObjectParser({
  apiVersion: ACCESS_API_VERSION,
  kind: ACCESS_KIND,
  spec: accessSpecSchema,
  code: "ACCESS_INVALID",
});

/** The server a gateway stands in front of, as grants name it. */
export interface ServerRef {
  namespace: string;
  name: string;
}

/** What one agent may use, from every grant that holds for it now. */
export interface AgentGrant {
  tools: readonly Glob[];
  prompts: readonly Glob[];
  resources: readonly Glob[];
  /** `namespace/name` of each grant that contributed. */
  from: readonly string[];
}

interface CompiledAccess {
  tools: Glob[];
  prompts: Glob[];
  resources: Glob[];
  /** Milliseconds since the epoch; undefined: no expiry. NaN never occurs (parseAccess refuses it). */
  expires: number | undefined;
}

// Compiled once per object: the grants source keeps the same objects until they change.
const compiled = new WeakMap<Access, CompiledAccess>();

function compiledOf(a: Access): CompiledAccess {
  let c = compiled.get(a);
  if (!c) {
    c = {
      tools: a.spec.tools.map(compileGlob),
      prompts: (a.spec.prompts ?? []).map(compileGlob),
      resources: (a.spec.resources ?? []).map(compileGlob),
      expires: a.spec.expires === undefined ? undefined : parseRfc3339(a.spec.expires),
    };
    compiled.set(a, c);
  }
  return c;
}

/** Why this grant allows nothing for `agent` on `server` now, or undefined when it holds. */
export function whyGrantIgnored(
  a: Access,
  server: ServerRef,
  agent: string,
  adminNamespaces: readonly string[],
  now: Date,
): string | undefined {
  const id = `${a.metadata.namespace}/${a.metadata.name}`;
  if (!adminNamespaces.includes(a.metadata.namespace))
    return `grant ${id} is outside the policy's admin namespaces (${adminNamespaces.join(", ") || "none"})`;
  if (a.spec.server.namespace !== server.namespace || a.spec.server.name !== server.name)
    return `grant ${id} is for server ${a.spec.server.namespace}/${a.spec.server.name}`;
  if (!a.spec.agents.includes(agent)) return `grant ${id} does not name agent ${agent}`;
  const { expires } = compiledOf(a);
  // An expiry that cannot be read grants nothing: it must never read as "no expiry".
  if (a.spec.expires !== undefined && (expires === undefined || expires <= now.getTime()))
    return `grant ${id} expired at ${a.spec.expires}`;
  return undefined;
}

/**
 * What `agent` may use on `server` now: the union of every grant that is in an admin namespace,
 * names this server and agent, and has not expired. Undefined when no grant holds.
 */
export function grantFor(
  accesses: readonly Access[],
  server: ServerRef,
  agent: string,
  adminNamespaces: readonly string[],
  now: Date,
): AgentGrant | undefined {
  const holding = accesses.filter(
    (a) => whyGrantIgnored(a, server, agent, adminNamespaces, now) === undefined,
  );
  if (holding.length === 0) return undefined;
  const parts = holding.map(compiledOf);
  return {
    tools: parts.flatMap((p) => p.tools),
    prompts: parts.flatMap((p) => p.prompts),
    resources: parts.flatMap((p) => p.resources),
    from: holding.map((a) => `${a.metadata.namespace}/${a.metadata.name}`),
  };
}
