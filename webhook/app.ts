import Fastify, { LogController } from "fastify";
import type { Logger } from "pino";
import { ADMISSION_ERROR } from "../policies/workload/catalogue.ts";
import { admissionResponse, type AdmissionOutcome } from "./admission.ts";
import { admit, type Admission, type CredentialsFor } from "./decide.ts";
import type { DecisionCache } from "./decision-cache.ts";
import { jsonDepthExceeds } from "../policies/json-depth.ts";
import type { WebhookMetrics } from "./metrics.ts";
import type { StateSource } from "./state.ts";
import type { CachedEvidence, EvidenceProvider } from "../supply-chain/verify/evidence.ts";

export interface AppOptions {
  logger: Logger;
  /** Largest request body accepted, in bytes. */
  bodyLimit: number;
  /** Deepest JSON nesting accepted. Kubernetes objects stay far below it. */
  maxJsonDepth: number;
  /** Every request is answered within this, well inside the API server's webhook timeout. */
  deadlineMs: number;
  /** Serve HTTPS with this key and certificate; plain HTTP (tests with inject) without. */
  tls?: { key: Buffer; cert: Buffer } | undefined;
}

export interface AppDeps {
  state: StateSource;
  metrics: WebhookMetrics;
  now?: () => Date;
  /** Registry facts for the rules that need a registry; without it those rules deny. */
  evidence?: EvidenceProvider | undefined;
  /** The same facts when every image's are cached, at once: the warm path. */
  cachedEvidence?: CachedEvidence | undefined;
  /** The pod's pull-secret credentials for those lookups (from the API server). */
  credentialsFor?: CredentialsFor | undefined;
  /** Decisions reused for reviews equal but for their uid; none without it. */
  decisions?: DecisionCache | undefined;
}

export const DEFAULT_APP_OPTIONS = {
  bodyLimit: 3 * 1024 * 1024,
  maxJsonDepth: 64,
  deadlineMs: 8000,
} as const;

const reviewResponseSchema = {
  type: "object",
  required: ["apiVersion", "kind", "response"],
  properties: {
    apiVersion: { type: "string" },
    kind: { type: "string" },
    response: {
      type: "object",
      required: ["uid", "allowed"],
      properties: {
        uid: { type: "string" },
        allowed: { type: "boolean" },
        status: {
          type: "object",
          properties: {
            code: { type: "integer" },
            reason: { type: "string" },
            message: { type: "string" },
          },
        },
        warnings: { type: "array", items: { type: "string" } },
      },
    },
  },
} as const;

const errorSchema = {
  type: "object",
  properties: { error: { type: "string" }, message: { type: "string" } },
} as const;

function decisionLabel(o: AdmissionOutcome): string {
  if (!o.evaluated) return o.rules.includes(ADMISSION_ERROR) ? "error" : "skipped";
  return o.allowed ? "allowed" : "denied";
}

/**
 * The admission webhook as a fastify app: routes, limits and logging, never listening itself
 * (tests inject requests; `server.ts` binds it to TLS).
 */
export function buildApp(opts: AppOptions, deps: AppDeps) {
  const now = deps.now ?? (() => new Date());
  const app = Fastify({
    loggerInstance: opts.logger,
    https: opts.tls ? { key: opts.tls.key, cert: opts.tls.cert, minVersion: "TLSv1.2" } : null,
    // One log line per decision, written by the route; no per-request access log, and no child
    // logger per request either (the decision line carries the review's uid).
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger) => logger,
    bodyLimit: opts.bodyLimit,
    // The request object is kept exactly as sent: no coercion, no removal of unknown fields.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  });

  app.removeContentTypeParser("application/json");
  const parseJson = app.getDefaultJsonParser("error", "error");
  // Each parsed review's text, for the decision cache's key.
  const texts = new WeakMap<object, string>();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (jsonDepthExceeds(text, opts.maxJsonDepth)) {
      const err = Object.assign(new Error(`JSON nests deeper than ${opts.maxJsonDepth} levels`), {
        statusCode: 400,
      });
      done(err, undefined);
      return;
    }
    void parseJson(request, text, (err, body: unknown) => {
      if (deps.decisions && typeof body === "object" && body !== null) texts.set(body, text);
      done(err, body);
    });
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const status =
      err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) request.log.error({ err }, "internal error");
    else request.log.warn({ status, reason: err.message, url: request.url }, "request refused");
    // 5xx details stay in the log.
    return reply.code(status).send({
      error: status >= 500 ? "internal error" : "bad request",
      message: status >= 500 ? "internal error" : err.message,
    });
  });

  app.get("/healthz", () => ({ status: "ok" }));

  app.get("/readyz", (_request, reply) => {
    const s = deps.state.snapshot(now());
    return s.ready
      ? { status: "ready" }
      : reply.code(503).send({ status: "not ready", reason: s.notReady });
  });

  app.get("/metrics", async (_request, reply) => {
    const s = deps.state.snapshot(now());
    deps.metrics.policyLoaded.set(s.policy ? 1 : 0);
    for (const w of s.watches) {
      deps.metrics.stateSynced.set(
        { resource: w.resource },
        w.synced && w.failingForMs === 0 ? 1 : 0,
      );
      deps.metrics.stateAge.set({ resource: w.resource }, w.failingForMs / 1000);
    }
    return reply
      .type(deps.metrics.registry.contentType)
      .send(await deps.metrics.registry.metrics());
  });

  app.post(
    "/validate",
    { schema: { response: { 200: reviewResponseSchema, "4xx": errorSchema, "5xx": errorSchema } } },
    async (request, reply) => {
      const started = process.hrtime.bigint();
      const body = request.body;
      const result = await admit(
        body,
        {
          state: deps.state,
          now,
          deadlineMs: opts.deadlineMs,
          evidence: deps.evidence,
          cachedEvidence: deps.cachedEvidence,
          credentialsFor: deps.credentialsFor,
          decisions: deps.decisions,
        },
        typeof body === "object" && body !== null ? texts.get(body) : undefined,
      );
      if (!result.answered) {
        request.log.warn({ reason: result.reason }, "malformed AdmissionReview without uid");
        return reply.code(400).send({ error: "bad request", message: result.reason });
      }
      if (result.failure) request.log.error({ err: result.failure.err }, "evaluation failed");
      record(opts.logger, deps.metrics, result, started);
      return admissionResponse(result.uid, result.outcome);
    },
  );

  return app;
}

export type WebhookApp = ReturnType<typeof buildApp>;

/** One structured log line and the metrics for one decision. */
function record(
  logger: Logger,
  metrics: WebhookMetrics,
  result: Extract<Admission, { answered: true }>,
  started: bigint,
): void {
  const { request: req, uid, outcome, reused } = result;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const decision = decisionLabel(outcome);
  const object = req?.object as { metadata?: { name?: string; generateName?: string } } | undefined;
  metrics.decisions.inc({
    decision,
    kind: req?.kind.kind ?? "unknown",
    operation: req?.operation ?? "unknown",
  });
  metrics.latency.observe({ decision }, seconds);
  if (reused) metrics.reusedDecisions.inc();
  for (const f of outcome.decision?.findings ?? []) {
    if (!f.exemptedBy) metrics.findings.inc({ rule: f.rule, action: f.action });
  }
  logger.info(
    {
      uid,
      user: req?.userInfo?.username,
      operation: req?.operation,
      namespace: req?.namespace,
      kind: req?.kind.kind,
      name: req?.name || object?.metadata?.name || object?.metadata?.generateName,
      subResource: req?.subResource || undefined,
      dryRun: req?.dryRun || undefined,
      images: outcome.images,
      decision,
      allowed: outcome.allowed,
      rules: outcome.rules,
      exceptionsUsed: outcome.exceptionsUsed,
      skippedBecause: outcome.skippedBecause,
      reused: reused || undefined,
      latencyMs: Math.round(seconds * 100_000) / 100,
    },
    "admission decision",
  );
}
