import type { IncomingMessage } from "node:http";
import { performance } from "node:perf_hooks";
import fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { IngressAgent } from "../policies/evaluation/predicate.ts";
import { errorMessage } from "../policies/errors.ts";
import { isRecord } from "../policies/guards.ts";
import { jsonDepthExceeds } from "../policies/json-depth.ts";
import { jsonRepeatsKeys } from "../policies/json-keys.ts";
import { grantFor, type Access, type AgentGrant } from "../policies/runtime/access.ts";
import { decideCall, filterList, granted, type TargetKind } from "../policies/runtime/decide.ts";
import { declaredAgentFor, type Identity } from "../policies/runtime/identity.ts";
import { takeToken, type Bucket, type RateLimit } from "../policies/runtime/rate-limit.ts";
import type { CallObserver, ObservedAgent, ObservedCall, ObservedServer } from "./call-observer.ts";
import { GatewayError } from "./errors.ts";
import type { HeldServer } from "./held.ts";
import type { Authenticate } from "./identity.ts";
import type { GatewayMetrics } from "./metrics.ts";
import { checkHeaders, JSONRPC } from "./protocol.ts";
import { relaySse } from "./sse.ts";
import { upstreamRequester } from "./upstream-request.ts";

export interface GatewayAppOptions {
  /** Request bodies above this many bytes are refused (413) before anything is parsed. */
  bodyLimit: number;
  /** Origins a browser may call from; a request with any other Origin gets 403. */
  allowedOrigins: readonly string[];
  /** The gateway's public URL of `/mcp`: the protected resource (RFC 9728). */
  resource: string;
  /** The OIDC issuers agents may get tokens from, for the protected-resource metadata. */
  authorizationServers: readonly string[];
  /** The header carrying a request id into the audit context. */
  requestIdHeader: string;
  /** Per caller; undefined: no limit. */
  rateLimit: RateLimit | undefined;
  /** The server, as grants name it (namespace, Deployment name) and as records describe it. */
  server: ObservedServer & { namespace: string; deployment: string };
  /** One SSE event or JSON answer from the server may not be longer. */
  maxAnswerBytes: number;
  /** JSON nesting allowed in a request body. */
  maxJsonDepth: number;
}

export const DEFAULT_GATEWAY_OPTIONS = {
  bodyLimit: 1_048_576,
  requestIdHeader: "x-request-id",
  maxAnswerBytes: 16 * 1024 * 1024,
  maxJsonDepth: 64,
} as const;

export interface GatewayDeps {
  upstream: URL;
  authenticate: Authenticate;
  held: HeldServer;
  /** The agents the signed evaluation declares. */
  agents: readonly IngressAgent[];
  /** The MCPWardenAccess objects known now. */
  grants: () => readonly Access[];
  adminNamespaces: readonly string[];
  observer: CallObserver;
  metrics: GatewayMetrics;
  logger: Logger;
  now: () => Date;
  /** `notifications/tools/list_changed` (or prompts) seen: list the server again. */
  onListChanged: () => void;
  /** Grants are synced (ready only then). */
  grantsReady: () => boolean;
  https?: { key: Buffer; cert: Buffer };
}

/** The one answer for anything not permitted: the same whether it does not exist, is not granted or not approved. */
export const NOT_PERMITTED = { code: -32003, message: "not permitted" } as const;

const CALLS: Record<string, { kind: TargetKind; field: "name" | "uri" }> = {
  "tools/call": { kind: "tool", field: "name" },
  "prompts/get": { kind: "prompt", field: "name" },
  "resources/read": { kind: "resource", field: "uri" },
  "resources/subscribe": { kind: "resource", field: "uri" },
  "resources/unsubscribe": { kind: "resource", field: "uri" },
};
const LISTS = new Set(["tools/list", "prompts/list", "resources/list", "resources/templates/list"]);
// Protocol mechanics that name nothing the agent could misuse.
const PASS = new Set(["initialize", "ping", "server/discover", "logging/setLevel"]);

const FORWARDED_HEADERS = [
  "content-type",
  "accept",
  "mcp-session-id",
  "mcp-protocol-version",
  "mcp-method",
  "mcp-name",
  "last-event-id",
  "traceparent",
  "tracestate",
  "baggage",
];
const RETURNED_HEADERS = [
  "content-type",
  "mcp-session-id",
  "mcp-protocol-version",
  "cache-control",
];

type Message = Record<string, unknown>;

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function observedAgent(identity: Identity | undefined): ObservedAgent {
  if (identity === undefined) return "unknown";
  return identity.kind === "serviceAccount"
    ? {
        issuer: identity.issuer,
        subject: `system:serviceaccount:${identity.namespace}:${identity.serviceAccount}`,
        namespace: identity.namespace,
        serviceAccount: identity.serviceAccount,
      }
    : { issuer: identity.issuer, subject: identity.subject };
}

function identityKey(identity: Identity): string {
  return identity.kind === "serviceAccount"
    ? `sa\u0000${identity.namespace}\u0000${identity.serviceAccount}`
    : `oidc\u0000${identity.issuer}\u0000${identity.subject}`;
}

const encoder = new TextEncoder();
// A byte-order mark is kept, so JSON.parse refuses it as the server would.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const bytesOf = (v: unknown): Uint8Array =>
  encoder.encode(v === undefined ? "" : JSON.stringify(v));

/** A whole answer body, refused as soon as it grows past `max` bytes. */
async function bodyText(res: IncomingMessage, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      res.destroy();
      throw new Error("answer too large");
    }
    chunks.push(chunk);
  }
  if (!res.complete) throw new Error("the server closed the answer before its end");
  return Buffer.concat(chunks, size).toString("utf8");
}

export function buildApp(opts: GatewayAppOptions, deps: GatewayDeps): FastifyInstance {
  const app = fastify({
    logger: false,
    bodyLimit: opts.bodyLimit,
    ...(deps.https ? { https: deps.https } : {}),
  }) as unknown as FastifyInstance;
  const buckets = new Map<string, Bucket>();
  const upstream = upstreamRequester(deps.upstream);
  app.addHook("onClose", (_app, done) => {
    upstream.close();
    done();
  });
  const serverRef = { namespace: opts.server.namespace, name: opts.server.deployment };
  // Read when asked: the public URL may be known only once the server listens.
  const metadataUrl = () => new URL("/.well-known/oauth-protected-resource", opts.resource).href;

  // The raw bytes are kept: the audit trail records what the agent sent.
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req, body, done) =>
    done(null, body),
  );

  const metadata = () => ({
    resource: opts.resource,
    authorization_servers: [...opts.authorizationServers],
    bearer_methods_supported: ["header"],
    resource_name: `mcp-warden gateway for ${opts.server.name}`,
  });
  app.get("/.well-known/oauth-protected-resource", (_req, reply) => reply.send(metadata()));
  app.get("/.well-known/oauth-protected-resource/mcp", (_req, reply) => reply.send(metadata()));
  app.get("/healthz", (_req, reply) => reply.send({ ok: true }));
  app.get("/readyz", (_req, reply) => {
    const ready = deps.held.ready && deps.grantsReady();
    return reply.code(ready ? 200 : 503).send({ ready });
  });

  /** Origin, token and rate limit; the identity, or undefined when the reply has been sent. */
  async function admit(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<Identity | undefined> {
    const origin = header(request, "origin");
    if (origin !== undefined && !opts.allowedOrigins.includes(origin)) {
      await reply.code(403).send({ error: "forbidden", error_description: "origin not allowed" });
      return undefined;
    }
    const auth = header(request, "authorization");
    const token = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(auth ?? "")?.[1];
    let identity: Identity;
    try {
      if (token === undefined)
        throw new GatewayError("UNAUTHENTICATED", "a bearer token is required");
      identity = await deps.authenticate(token);
    } catch (err) {
      const description =
        err instanceof GatewayError ? err.message : "the token could not be verified";
      if (!(err instanceof GatewayError)) deps.logger.error({ err }, "authentication failed");
      deps.logger.info({ event: "unauthenticated", reason: errorMessage(err) }, "401");
      const challenge =
        token === undefined
          ? `Bearer resource_metadata="${metadataUrl()}"`
          : `Bearer resource_metadata="${metadataUrl()}", error="invalid_token"`;
      await reply
        .code(401)
        .header("www-authenticate", challenge)
        .send({ error: "invalid_token", error_description: description });
      return undefined;
    }
    if (opts.rateLimit) {
      const key = identityKey(identity);
      const t = takeToken(buckets.get(key), opts.rateLimit, deps.now().getTime());
      if (buckets.size >= 10_000 && !buckets.has(key)) buckets.clear();
      buckets.set(key, t.bucket);
      if (!t.allowed) {
        await reply
          .code(429)
          .header("retry-after", String(t.retryAfterSeconds))
          .send({ error: "rate_limited" });
        return undefined;
      }
    }
    return identity;
  }

  function upstreamHeaders(request: FastifyRequest): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const v = header(request, name);
      if (v !== undefined) out[name] = v;
    }
    // SEP-2243 parameter headers mirror arguments the gateway has checked in the body.
    for (const [name, v] of Object.entries(request.headers))
      if (name.startsWith("mcp-param-") && typeof v === "string") out[name] = v;
    return out;
  }

  /**
   * Sends the request to the server and streams its answer back; `onAnswer` may replace the
   * answer to `id` (filter a list, fail a call whose record failed). The agent's Authorization
   * header is never among what is forwarded.
   */
  async function forward(
    request: FastifyRequest,
    reply: FastifyReply,
    body: Buffer | undefined,
    id: unknown,
    onAnswer: ((m: Message) => Promise<Message>) | undefined,
    onEnd?: (answered: boolean) => void,
  ): Promise<FastifyReply> {
    const controller = new AbortController();
    // The agent went away before the answer was complete: stop the server's work too.
    reply.raw.on("close", () => {
      if (!reply.raw.writableFinished) controller.abort();
    });
    let res: IncomingMessage;
    try {
      res = await upstream.send(request.method, upstreamHeaders(request), body, controller.signal);
    } catch (err) {
      deps.logger.warn({ err: errorMessage(err) }, "the server did not answer");
      onEnd?.(false);
      return reply.code(502).send({
        jsonrpc: JSONRPC,
        id: id ?? null,
        error: { code: -32603, message: "the server is unavailable" },
      });
    }
    let answered = false;
    const handle = (m: unknown): unknown => {
      if (!isRecord(m)) return m;
      if (m.id === id && id !== undefined && ("result" in m || "error" in m)) {
        answered = true;
        return onAnswer ? onAnswer(m) : m;
      }
      if (
        m.method === "notifications/tools/list_changed" ||
        m.method === "notifications/prompts/list_changed"
      )
        deps.onListChanged();
      return m;
    };
    const type = res.headers["content-type"] ?? "";
    if (type.includes("text/event-stream")) {
      // Written by the relay straight to the agent's response, not through fastify's stream
      // handling: a stream between the two costs each answer more than the gateway's checks.
      reply.hijack();
      const headers: Record<string, string> = {};
      for (const name of RETURNED_HEADERS) {
        const v = res.headers[name];
        if (typeof v === "string") headers[name] = v;
      }
      headers["cache-control"] = "no-cache";
      reply.raw.writeHead(res.statusCode ?? 502, headers);
      relaySse(res, reply.raw, {
        onMessage: handle,
        maxEventBytes: opts.maxAnswerBytes,
        // A stream that ends without the answer to a request (the server died, or closed it)
        // ends with an error answer, so the agent is not left waiting.
        onEnd: () =>
          id !== undefined && !answered
            ? {
                jsonrpc: JSONRPC,
                id,
                error: { code: -32603, message: "the server ended without answering" },
              }
            : undefined,
        onBroken: (why) => deps.logger.warn({ err: why }, "stream from the server failed"),
        onDone: () => onEnd?.(answered),
      });
      return reply;
    }
    reply.code(res.statusCode ?? 502);
    for (const name of RETURNED_HEADERS) {
      const v = res.headers[name];
      if (typeof v === "string") reply.header(name, v);
    }
    let text: string;
    try {
      text = await bodyText(res, opts.maxAnswerBytes);
    } catch (err) {
      onEnd?.(false);
      deps.logger.warn({ err: errorMessage(err) }, "the server's answer failed");
      return reply.code(502).send({
        jsonrpc: JSONRPC,
        id: id ?? null,
        error: { code: -32603, message: "the server's answer failed" },
      });
    }
    if (!type.includes("application/json") || text === "") {
      onEnd?.(answered);
      return text === "" ? reply.send() : reply.send(text);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      onEnd?.(false);
      return reply.code(502).send({
        jsonrpc: JSONRPC,
        id: id ?? null,
        error: { code: -32603, message: "the server's answer is not JSON" },
      });
    }
    const out = await handle(parsed);
    onEnd?.(answered);
    return reply.send(out);
  }

  app.post("/mcp", async (request, reply) => {
    const started = performance.now();
    const time = deps.now().toISOString();
    const identity = await admit(request, reply);
    if (identity === undefined) return reply;
    const raw = request.body;
    if (!Buffer.isBuffer(raw))
      return reply.code(415).send({ error: "the body must be application/json" });
    const invalid = (message: string, code = -32600) =>
      reply.code(400).send({ jsonrpc: JSONRPC, id: null, error: { code, message } });
    // JSON on the wire is UTF-8 (RFC 8259). Bytes that are not would be judged here as U+FFFD
    // and forwarded as they came, for the server to read some other way.
    let text: string;
    try {
      text = strictUtf8.decode(raw);
    } catch {
      return invalid("the body is not UTF-8", -32700);
    }
    if (jsonDepthExceeds(text, opts.maxJsonDepth)) return invalid("the body nests too deeply");
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return invalid("the body is not JSON", -32700);
    }
    // The server reads the bytes the gateway judged: with a key given twice, it might read the
    // other value (a tool name, an argument) than the one judged here.
    if (jsonRepeatsKeys(text, message)) return invalid("the body repeats a key in one object");
    if (Array.isArray(message)) return invalid("JSON-RPC batches are not accepted");
    if (!isRecord(message) || message.jsonrpc !== JSONRPC)
      return invalid("not a JSON-RPC 2.0 message");
    const method = typeof message.method === "string" ? message.method : undefined;
    const id = message.id;
    // MCP ids are strings or integers: any other id could never be matched to its answer, so
    // the answer would pass unfiltered.
    if (id !== undefined && typeof id !== "string" && !Number.isSafeInteger(id))
      return invalid("the id must be a string or an integer");
    // JSON-RPC runs a notification without answering it: a call sent without an id is a call
    // nonetheless, and would reach the server unchecked.
    if (method !== undefined && id === undefined && !method.startsWith("notifications/"))
      return invalid(`${method} is a request and needs an id`);
    const mismatch = checkHeaders(message, (n) => header(request, n));
    if (mismatch !== undefined)
      return reply.code(400).send({
        jsonrpc: JSONRPC,
        id: id ?? null,
        error: { code: -32020, message: `the request headers and body disagree: ${mismatch}` },
      });

    // A response to the server's request, or a notification: mechanics, forwarded as sent.
    if (method === undefined || id === undefined || method.startsWith("notifications/"))
      return forward(request, reply, raw, undefined, undefined);

    const now = deps.now();
    const agent = declaredAgentFor(identity, deps.agents, opts.server.namespace);
    const grant: AgentGrant | undefined =
      agent === undefined
        ? undefined
        : grantFor(deps.grants(), serverRef, agent, deps.adminNamespaces, now);
    const params = isRecord(message.params) ? message.params : {};
    const meta = isRecord(params._meta) ? params._meta : {};
    const fromMeta = (k: string) => (typeof meta[k] === "string" ? meta[k] : header(request, k));
    const context = {
      ...(fromMeta("traceparent") !== undefined ? { traceparent: fromMeta("traceparent")! } : {}),
      ...(fromMeta("tracestate") !== undefined ? { tracestate: fromMeta("tracestate")! } : {}),
      ...(fromMeta("baggage") !== undefined ? { baggage: fromMeta("baggage")! } : {}),
      ...(header(request, opts.requestIdHeader) !== undefined
        ? { requestId: header(request, opts.requestIdHeader)! }
        : {}),
    };
    const call = CALLS[method];

    if (LISTS.has(method)) {
      return forward(request, reply, raw, id, (answer) => {
        if (!isRecord(answer.result)) return Promise.resolve(answer);
        const name = (item: unknown) =>
          isRecord(item) && typeof item.name === "string" ? item.name : "";
        const filtered =
          method === "tools/list"
            ? filterList(
                answer.result,
                "tools",
                (t) => granted(grant, "tool", name(t)) && deps.held.admitListedTool(t),
              )
            : method === "prompts/list"
              ? filterList(
                  answer.result,
                  "prompts",
                  (p) => granted(grant, "prompt", name(p)) && deps.held.admitListedPrompt(p),
                )
              : method === "resources/list"
                ? filterList(
                    answer.result,
                    "resources",
                    (r) =>
                      isRecord(r) && typeof r.uri === "string" && granted(grant, "resource", r.uri),
                  )
                : filterList(
                    answer.result,
                    "resourceTemplates",
                    (r) =>
                      isRecord(r) &&
                      typeof r.uriTemplate === "string" &&
                      granted(grant, "resource", r.uriTemplate),
                  );
        if (filtered === undefined)
          return Promise.resolve({ jsonrpc: JSONRPC, id, error: NOT_PERMITTED });
        return Promise.resolve({ ...answer, result: filtered.result });
      });
    }
    if (PASS.has(method)) return forward(request, reply, raw, id, undefined);

    const target = call ? params[call.field] : undefined;
    const observed: ObservedCall = {
      time,
      agent: observedAgent(identity),
      ...(agent !== undefined ? { declaredAgent: agent } : {}),
      server: {
        name: opts.server.name,
        version: opts.server.version,
        imageDigest: opts.server.imageDigest,
        pod: opts.server.pod,
      },
      method,
      ...(typeof target === "string" ? { tool: target } : {}),
      input: bytesOf(message.params),
      context,
      decision: { allowed: false, reason: "" },
    };
    // A tool is a label value only when the evaluation approves it: a caller naming made-up tools
    // cannot create series.
    const label = {
      server: opts.server.name,
      tool:
        typeof target === "string" && call?.kind === "tool"
          ? deps.held.tool(target) === undefined
            ? "unknown"
            : target
          : method,
    };
    const finish = (decision: string) => {
      // Only a declared agent's name is a label value; every other caller is `unknown`.
      deps.metrics.calls.inc({ ...label, decision, agent: agent ?? "unknown" });
      deps.metrics.duration.observe({ ...label, decision }, (performance.now() - started) / 1000);
    };
    const deny = async (
      reason: string,
      error: { code: number; message: string; data?: unknown },
    ) => {
      observed.decision = { allowed: false, reason };
      deps.logger.info(
        {
          event: "call",
          method,
          tool: observed.tool,
          agent: agent ?? "unknown",
          allowed: false,
          reason,
        },
        "denied",
      );
      try {
        await deps.observer.record({
          ...observed,
          output: { bytes: new Uint8Array(), isError: true },
          latencyMs: performance.now() - started,
        });
      } catch (err) {
        deps.logger.error({ err: errorMessage(err) }, "a denial could not be recorded");
      }
      finish("denied");
      return reply.code(200).send({ jsonrpc: JSONRPC, id, error });
    };

    // Any other method names something the gateway cannot judge: not permitted.
    if (call === undefined) return deny(`method ${method} is not forwarded`, NOT_PERMITTED);
    if (typeof target !== "string")
      return deny(`${method} without params.${call.field}`, NOT_PERMITTED);
    const decision = decideCall({
      agent,
      grant,
      kind: call.kind,
      name: target,
      approved: call.kind === "prompt" ? deps.held.approvedPrompts() : deps.held.approvedTools(),
    });
    if (!decision.allowed) return deny(decision.reason, NOT_PERMITTED);
    if (call.kind === "tool") {
      const tool = deps.held.tool(target);
      const checked = tool
        ? deps.held.validators.check(tool, params.arguments)
        : ({ ok: false, kind: "unusable", reason: "no approved definition" } as const);
      if (!checked.ok && checked.kind === "unusable") return deny(checked.reason, NOT_PERMITTED);
      if (!checked.ok)
        return deny("arguments outside the pinned inputSchema", {
          code: -32602,
          message: "arguments outside the tool's inputSchema",
          data: { problems: checked.problems },
        });
    }
    observed.decision = { allowed: true, reason: decision.reason };
    try {
      await deps.observer.intent(observed);
    } catch (err) {
      deps.logger.error(
        { err: errorMessage(err) },
        "a call could not be recorded before forwarding",
      );
      finish("error");
      return reply.code(200).send({
        jsonrpc: JSONRPC,
        id,
        error: { code: -32603, message: "the call could not be recorded" },
      });
    }
    deps.logger.info(
      { event: "call", method, tool: target, agent, allowed: true, reason: decision.reason },
      "allowed",
    );
    let recorded = false;
    return forward(
      request,
      reply,
      raw,
      id,
      async (answer) => {
        const isError =
          "error" in answer || (isRecord(answer.result) && answer.result.isError === true);
        try {
          await deps.observer.record({
            ...observed,
            output: { bytes: bytesOf(answer.error ?? answer.result), isError },
            latencyMs: performance.now() - started,
            intent: observed,
          });
          recorded = true;
        } catch (err) {
          // The answer is withheld: an unrecorded call fails closed.
          deps.logger.error({ err: errorMessage(err) }, "a call's answer could not be recorded");
          finish("error");
          recorded = true;
          return {
            jsonrpc: JSONRPC,
            id,
            error: { code: -32603, message: "the call could not be recorded" },
          };
        }
        finish(isError ? "error" : "allowed");
        return answer;
      },
      (answered) => {
        if (answered || recorded) return;
        // The server died, or the agent left, before the answer: the call still leaves a record.
        finish("error");
        deps.observer
          .record({
            ...observed,
            output: { bytes: bytesOf({ message: "no answer from the server" }), isError: true },
            latencyMs: performance.now() - started,
            intent: observed,
          })
          .catch((err: unknown) =>
            deps.logger.error(
              { err: errorMessage(err) },
              "an unanswered call could not be recorded",
            ),
          );
      },
    );
  });

  app.get("/mcp", async (request, reply) => {
    const identity = await admit(request, reply);
    if (identity === undefined) return reply;
    return forward(request, reply, undefined, undefined, undefined);
  });

  app.delete("/mcp", async (request, reply) => {
    const identity = await admit(request, reply);
    if (identity === undefined) return reply;
    return forward(request, reply, undefined, undefined, undefined);
  });

  return app;
}
