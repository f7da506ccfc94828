import { readFile } from "node:fs/promises";
import { unwatchFile, watchFile } from "node:fs";
import { createSecureContext } from "node:tls";
import { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { TrustMaterial } from "@sigstore/verify";
import { errorMessage } from "../policies/errors.ts";
import type { CompiledPolicy } from "../policies/workload/policy.ts";
import { buildApp, DEFAULT_APP_OPTIONS, type WebhookApp } from "./app.ts";
import { ClusterWatch } from "./cluster-watch.ts";
import { createMetrics } from "./metrics.ts";
import { staticState, type StateSource } from "./state.ts";
import { chainCredentials, type CredentialSource } from "../supply-chain/registry/credentials.ts";
import { RegistryClient } from "../supply-chain/registry/client.ts";
import { registryEvidence } from "../supply-chain/verify/evidence.ts";
import { DecisionCache } from "./decision-cache.ts";
import { apiPullSecrets } from "./pull-secrets.ts";

export interface ServeInputs {
  tlsCert: string;
  tlsKey: string;
  port: number;
  host: string;
  /** A fixed policy (`--policy FILE`, or the default); ignored when `policyName` is set. */
  policy: CompiledPolicy | undefined;
  /** Watch this MCPWardenPolicy in the cluster (`--policy-name`). */
  policyName: string | undefined;
  /** `--kubeconfig`, else `$KUBECONFIG`; in a pod, the service account. */
  kubeconfig: string | undefined;
  inCluster: boolean;
  /** The ValidatingWebhookConfiguration's timeoutSeconds: answers come within 80% of it. */
  webhookTimeoutSeconds: number;
  staleAfterMs: number;
  bodyLimit: number;
  /** How often the certificate files are checked for rotation. */
  tlsReloadIntervalMs: number;
  /** Registries spoken to over plain HTTP (host[:port]); loopback always may be. */
  insecureRegistries: string[];
  /** Registry credentials (Docker config JSON), already read. */
  registryCredentials: CredentialSource | undefined;
  /** A sigstore trusted root for the policy's keyless signers, loaded and checked at start-up. */
  trustedRoot: TrustMaterial | undefined;
  /** Read each pod's imagePullSecrets (and its service account's) for registry lookups. */
  pullSecrets: boolean;
}

export interface RunningWebhook {
  app: WebhookApp;
  port: number;
  close(): Promise<void>;
}

function kubeConfigFor(inputs: ServeInputs): KubeConfig | undefined {
  if (inputs.kubeconfig) {
    const kc = new KubeConfig();
    kc.loadFromFile(inputs.kubeconfig);
    return kc;
  }
  if (inputs.inCluster) {
    const kc = new KubeConfig();
    kc.loadFromCluster();
    return kc;
  }
  return undefined;
}

async function readTls(inputs: ServeInputs): Promise<{ key: Buffer; cert: Buffer }> {
  const [key, cert] = await Promise.all([readFile(inputs.tlsKey), readFile(inputs.tlsCert)]);
  createSecureContext({ key, cert }); // throws now, with the reason, if they do not match
  return { key, cert };
}

/** Starts the webhook on HTTPS; certificate rotation (cert-manager) is picked up without restart. */
export async function startWebhook(inputs: ServeInputs, logger: Logger): Promise<RunningWebhook> {
  const tls = await readTls(inputs);
  // One clock for watch staleness, cache lifetimes and decisions.
  const now = () => new Date();
  const kubeConfig = kubeConfigFor(inputs);
  let state: StateSource;
  if (kubeConfig) {
    const watch = new ClusterWatch({
      kubeConfig,
      policy: inputs.policyName ? undefined : inputs.policy,
      policyName: inputs.policyName,
      staleAfterMs: inputs.staleAfterMs,
      logger,
      now,
    });
    watch.start();
    state = watch;
    logger.info(
      { server: kubeConfig.getCurrentCluster()?.server, policyName: inputs.policyName },
      "watching cluster state",
    );
  } else {
    if (!inputs.policy)
      throw new Error("--policy-name needs a cluster (--kubeconfig or in-cluster)");
    state = staticState(inputs.policy);
    logger.warn(
      "no kubeconfig and not in a cluster: serving with empty cluster state (no NetworkPolicies, no exceptions)",
    );
  }
  const deadlineMs = Math.floor(inputs.webhookTimeoutSeconds * 1000 * 0.8);
  // Each registry call gets a share of the admission deadline, so a slow registry fails the
  // lookup (and denies) instead of the API server timing the webhook out.
  const evidence = registryEvidence(
    (podCredentials) =>
      new RegistryClient({
        // The pod's own pull secrets first, as the kubelet uses them; then the webhook's.
        credentials: chainCredentials(
          ...[podCredentials, inputs.registryCredentials].filter((c) => c !== undefined),
        ),
        insecure: inputs.insecureRegistries,
        timeoutMs: Math.max(500, Math.floor(deadlineMs / 3)),
        retries: 1,
      }),
    { trustedRoot: inputs.trustedRoot, cache: { now: () => now().getTime() } },
  );
  const credentialsFor =
    kubeConfig && inputs.pullSecrets ? apiPullSecrets(kubeConfig, logger) : undefined;
  const app = buildApp(
    {
      logger,
      bodyLimit: inputs.bodyLimit,
      maxJsonDepth: DEFAULT_APP_OPTIONS.maxJsonDepth,
      deadlineMs,
      tls,
    },
    {
      state,
      now,
      metrics: createMetrics({ processMetrics: true }),
      evidence: evidence.provide,
      cachedEvidence: evidence.cached,
      credentialsFor,
      // With pull secrets a decision also depends on Secrets read per request: none is reused.
      decisions: credentialsFor ? undefined : new DecisionCache(),
    },
  );

  const reload = () => {
    readTls(inputs).then(
      (next) => {
        app.server.setSecureContext({ key: next.key, cert: next.cert, minVersion: "TLSv1.2" });
        logger.info({ cert: inputs.tlsCert }, "TLS certificate reloaded");
      },
      (err: unknown) =>
        logger.error(
          { err: errorMessage(err) },
          "TLS files changed but cannot be loaded; keeping the previous certificate",
        ),
    );
  };
  // Polling follows the symlink swaps of mounted Secrets, which fs.watch misses.
  const watchOptions = { interval: inputs.tlsReloadIntervalMs, persistent: false };
  watchFile(inputs.tlsCert, watchOptions, reload);
  watchFile(inputs.tlsKey, watchOptions, reload);

  const address = await app.listen({ port: inputs.port, host: inputs.host });
  const port = new URL(address).port;
  logger.info({ address }, "mcp-warden webhook listening");
  return {
    app,
    port: Number(port),
    async close() {
      unwatchFile(inputs.tlsCert, reload);
      unwatchFile(inputs.tlsKey, reload);
      await app.close();
      await state.close();
    },
  };
}
