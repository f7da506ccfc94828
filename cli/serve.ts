import { DEFAULT_APP_OPTIONS } from "../webhook/app.ts";
import { startWebhook, type ServeInputs } from "../webhook/server.ts";
import { CliError } from "./errors.ts";
import { DEFAULT_POLICY_FILE, loadPolicyFile } from "./load-policy.ts";
import { REGISTRY_OPTIONS } from "./registry-access.ts";
import { obtainTrustedRoot, readRegistryConfig } from "./registry-config.ts";
import { duration, parseOptions, positiveNumber, trustedRootSource } from "./options.ts";
import { bufferedLogger } from "./log.ts";

export interface ServeEnv {
  inCluster: boolean;
  kubeconfig: string | undefined;
  /** Resolves with the signal's name when the process is asked to stop. */
  waitForShutdown: () => Promise<string>;
  stdout: (text: string) => void;
}

// The webhook's registry calls share each admission's deadline (webhook/server.ts), so serve takes
// every registry option but --registry-timeout.
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- the option left out
const { "registry-timeout": _timeout, ...SERVE_REGISTRY_OPTIONS } = REGISTRY_OPTIONS;

export async function parseServeArgs(
  args: string[],
  env: ServeEnv,
): Promise<ServeInputs & { logLevel: string }> {
  const { values } = parseOptions({
    args,
    allowPositionals: false,
    strict: true,
    options: {
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      port: { type: "string", default: "8443" },
      host: { type: "string", default: "0.0.0.0" },
      policy: { type: "string" },
      "policy-name": { type: "string" },
      kubeconfig: { type: "string" },
      "webhook-timeout": { type: "string", default: "10" },
      "stale-after": { type: "string", default: "60s" },
      "body-limit": { type: "string", default: String(DEFAULT_APP_OPTIONS.bodyLimit) },
      "tls-reload-interval": { type: "string", default: "10s" },
      "log-level": { type: "string", default: "info" },
      ...SERVE_REGISTRY_OPTIONS,
      "no-pull-secrets": { type: "boolean", default: false },
    },
  });
  if (!values["tls-cert"] || !values["tls-key"]) {
    throw new CliError(
      "USAGE",
      "needs --tls-cert and --tls-key: the API server only calls webhooks over HTTPS",
    );
  }
  if (values.policy && values["policy-name"]) {
    throw new CliError("USAGE", "give either --policy FILE or --policy-name NAME, not both");
  }
  const port = positiveNumber("--port", values.port);
  const policyName = values["policy-name"];
  return {
    tlsCert: values["tls-cert"],
    tlsKey: values["tls-key"],
    port,
    host: values.host,
    policy: policyName ? undefined : await loadPolicyFile(values.policy ?? DEFAULT_POLICY_FILE),
    policyName,
    kubeconfig: values.kubeconfig ?? env.kubeconfig,
    inCluster: env.inCluster,
    webhookTimeoutSeconds: positiveNumber("--webhook-timeout", values["webhook-timeout"]),
    staleAfterMs: duration("--stale-after", values["stale-after"]),
    bodyLimit: positiveNumber("--body-limit", values["body-limit"]),
    tlsReloadIntervalMs: duration("--tls-reload-interval", values["tls-reload-interval"]),
    logLevel: values["log-level"],
    insecureRegistries: values["insecure-registry"],
    pullSecrets: !values["no-pull-secrets"],
    trustedRoot: await obtainTrustedRoot(trustedRootSource(values)),
    registryCredentials: values["registry-config"]
      ? await readRegistryConfig(values["registry-config"])
      : undefined,
  };
}

/** `mcp-warden serve`: runs the admission webhook until the process is told to stop. */
export async function runServe(args: string[], env: ServeEnv): Promise<number> {
  const inputs = await parseServeArgs(args, env);
  const logger = bufferedLogger(inputs.logLevel, "mcp-warden");
  const running = await startWebhook(inputs, logger);
  const signal = await env.waitForShutdown();
  logger.info({ signal }, "shutting down");
  await running.close();
  return 0;
}
