import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import { createRemoteJWKSet } from "jose";
import type { KubeConfig } from "@kubernetes/client-node";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { TrustMaterial } from "@sigstore/verify";
import { errorMessage } from "../policies/errors.ts";
import type { Access } from "../policies/runtime/access.ts";
import type { CompiledPolicy } from "../policies/workload/policy.ts";
import { AccessWatch } from "../cluster/access-watch.ts";
import { reviewToken } from "../cluster/token-review.ts";
import type { RegistryClient } from "../supply-chain/registry/client.ts";
import type { EvidenceProvider } from "../supply-chain/verify/evidence.ts";
import { buildApp, DEFAULT_GATEWAY_OPTIONS } from "./app.ts";
import { NO_OBSERVER, type CallObserver } from "./call-observer.ts";
import { GatewayError } from "./errors.ts";
import { approvedEvaluation } from "./evaluation.ts";
import { readAccessFile } from "./grants.ts";
import { HeldServer } from "./held.ts";
import {
  createAuthenticator,
  discoverIssuer,
  keysUrl,
  type ServiceAccountCheck,
} from "./identity.ts";
import { createGatewayMetrics } from "./metrics.ts";
import { listUpstream } from "./upstream.ts";
import { auditObserver, openAuditTrail, type AuditConfig } from "./audit/open.ts";
import type { AuditTrail } from "./audit/trail.ts";

export interface GatewayInputs {
  upstream: URL;
  tlsCert: string;
  tlsKey: string;
  port: number;
  host: string;
  /** Prometheus metrics on their own port (plain HTTP); undefined: not served. */
  metricsPort: number | undefined;
  serverImage: string;
  audience: string;
  /** ServiceAccount tokens: TokenReview, the cluster issuer's JWKS, or not accepted. */
  serviceAccounts: { kind: "token-review" } | { kind: "jwks"; url: string } | { kind: "none" };
  oidc: { issuer: string; audiences: string[] }[];
  clockSkewSeconds: number;
  allowedOrigins: string[];
  bodyLimit: number;
  requestIdHeader: string;
  /** The gateway's public URL of /mcp; default https://<host>:<port>/mcp. */
  resource: string | undefined;
  policy: CompiledPolicy;
  /** Grants from a file, or watched in the cluster. */
  access: { file: string } | { cluster: true };
  kubeConfig: KubeConfig | undefined;
  server: { namespace: string; deployment: string; pod: string };
  registry: {
    provide: EvidenceProvider;
    client: RegistryClient;
    trustedRoot: TrustMaterial | undefined;
    timeoutMs: number;
  };
  /**
   * The audit trail (docs/audit.md): signer key, buffer and sink; undefined: no trail. Its origin is
   * `mcp-warden/<server.namespace>/<server.pod>` and the policy's `spec.audit` applies.
   */
  audit?: Pick<AuditConfig, "keyFile" | "bufferDir" | "sink">;
  /** Replaces the trail's observer (tests). */
  observer?: CallObserver;
}

export interface RunningGateway {
  app: FastifyInstance;
  port: number;
  metricsPort: number | undefined;
  close(): Promise<void>;
}

/**
 * Starts the gateway: verifies the server image's signature and evaluation, lists the server and
 * checks it against the pins, loads the grants, then serves HTTPS. Refuses to start when any of
 * these fails: a gateway that cannot hold the server to its evaluation lets nobody through.
 * @throws GatewayError
 */
export async function startGateway(inputs: GatewayInputs, logger: Logger): Promise<RunningGateway> {
  const [key, cert] = await Promise.all([readFile(inputs.tlsKey), readFile(inputs.tlsCert)]);
  createSecureContext({ key, cert });
  const now = () => new Date();
  const approved = await approvedEvaluation({
    image: inputs.serverImage,
    policy: inputs.policy,
    provide: inputs.registry.provide,
    client: inputs.registry.client,
    trustedRoot: inputs.registry.trustedRoot,
    timeoutMs: inputs.registry.timeoutMs,
    now: now(),
  });
  const { predicate } = approved;
  logger.info(
    {
      image: inputs.serverImage,
      signer: approved.signer,
      time: predicate.time,
      tools: predicate.tools.length,
    },
    "evaluation verified",
  );
  const metrics = createGatewayMetrics({ processMetrics: true });
  // The trail is open, and the sink's log verified, before any call can arrive.
  let trail: AuditTrail | undefined;
  if (inputs.audit !== undefined) {
    trail = await openAuditTrail({
      ...inputs.audit,
      namespace: inputs.server.namespace,
      pod: inputs.server.pod,
      ...(inputs.policy.document.spec.audit === undefined
        ? {}
        : { audit: inputs.policy.document.spec.audit }),
      registry: metrics.registry,
      onSinkError: (err) => logger.warn({ err: errorMessage(err) }, "audit sink write failed"),
    });
    logger.info({ origin: trail.origin, size: trail.size }, "audit trail open");
  }
  const held = new HeldServer(predicate, { server: predicate.server.name, metrics, logger });

  let sa: ServiceAccountCheck = { kind: "none" };
  if (inputs.serviceAccounts.kind === "token-review") {
    const kc = inputs.kubeConfig;
    if (!kc)
      throw new GatewayError(
        "CONFIG",
        "--token-review needs a kubeconfig or the pod's service account",
      );
    sa = { kind: "token-review", review: (token, audiences) => reviewToken(kc, token, audiences) };
  } else if (inputs.serviceAccounts.kind === "jwks") {
    sa = {
      kind: "jwks",
      keys: createRemoteJWKSet(keysUrl(inputs.serviceAccounts.url, "--issuer-jwks")),
    };
  }
  const oidc = await Promise.all(inputs.oidc.map((o) => discoverIssuer(o.issuer, o.audiences)));
  const authenticate = createAuthenticator({
    audience: inputs.audience,
    serviceAccounts: sa,
    oidc,
    clockSkewSeconds: inputs.clockSkewSeconds,
    now: () => Date.now(),
  });

  let grants: () => readonly Access[];
  let grantsReady: () => boolean;
  let watch: AccessWatch | undefined;
  if ("file" in inputs.access) {
    const fixed = await readAccessFile(inputs.access.file);
    grants = () => fixed;
    grantsReady = () => true;
  } else {
    if (!inputs.kubeConfig)
      throw new GatewayError(
        "CONFIG",
        "grants from the cluster need a kubeconfig (or --access FILE)",
      );
    const w = new AccessWatch(inputs.kubeConfig, inputs.policy.exceptionNamespaces, {
      onInvalid: (name, reason) => logger.warn({ grant: name, reason }, "MCPWardenAccess ignored"),
      onError: (namespace, err) =>
        logger.warn({ namespace, err: errorMessage(err) }, "MCPWardenAccess watch failed"),
    });
    await w.start();
    watch = w;
    grants = () => w.grants();
    grantsReady = () => w.ready;
  }

  // Re-listing is serialised: a burst of list_changed notifications costs one listing at a time.
  let listing: Promise<void> = Promise.resolve();
  let again = false;
  const relist = (): Promise<void> => {
    if (again) return listing;
    again = true;
    listing = listing.then(async () => {
      again = false;
      try {
        held.update(await listUpstream(inputs.upstream));
      } catch (err) {
        logger.error({ err: errorMessage(err) }, "listing the server failed");
      }
    });
    return listing;
  };
  held.update(await listUpstream(inputs.upstream));

  const appOptions = {
    bodyLimit: inputs.bodyLimit,
    allowedOrigins: inputs.allowedOrigins,
    resource: inputs.resource ?? "",
    authorizationServers: inputs.oidc.map((o) => o.issuer),
    requestIdHeader: inputs.requestIdHeader,
    rateLimit: inputs.policy.document.spec.runtime?.rateLimit,
    server: {
      name: predicate.server.name,
      version: predicate.server.version,
      imageDigest: approved.digest,
      pod: inputs.server.pod,
      namespace: inputs.server.namespace,
      deployment: inputs.server.deployment,
    },
    maxAnswerBytes: DEFAULT_GATEWAY_OPTIONS.maxAnswerBytes,
    maxJsonDepth: DEFAULT_GATEWAY_OPTIONS.maxJsonDepth,
  };
  const app = buildApp(appOptions, {
    upstream: inputs.upstream,
    authenticate,
    held,
    agents: predicate.permissions?.ingress.agents ?? [],
    grants,
    adminNamespaces: inputs.policy.exceptionNamespaces,
    observer: inputs.observer ?? (trail ? auditObserver(trail) : NO_OBSERVER),
    metrics,
    logger,
    now,
    onListChanged: () => void relist(),
    grantsReady,
    https: { key, cert },
  });
  await app.listen({ port: inputs.port, host: inputs.host });
  const port = (app.server.address() as AddressInfo).port;
  // The public URL, unless given, is known only now (--port 0 picks one).
  appOptions.resource ||= `https://${inputs.host === "0.0.0.0" ? "localhost" : inputs.host}:${port}/mcp`;

  let metricsServer: Server | undefined;
  if (inputs.metricsPort !== undefined) {
    const m = createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end();
        return;
      }
      metrics.registry
        .metrics()
        .then((text) =>
          res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
        )
        .catch(() => res.writeHead(500).end());
    });
    await new Promise<void>((resolve) => m.listen(inputs.metricsPort, inputs.host, resolve));
    metricsServer = m;
  }
  logger.info({ port, upstream: inputs.upstream.href }, "gateway listening");
  return {
    app,
    port,
    metricsPort: metricsServer ? (metricsServer.address() as AddressInfo).port : undefined,
    close: async () => {
      await app.close();
      if (metricsServer) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
      await watch?.stop();
      await listing;
      // After the proxy stops: what is queued reaches the sink, and a last checkpoint is signed.
      await trail?.close();
    },
  };
}
