import { KubeConfig } from "@kubernetes/client-node";
import { bufferedLogger } from "./log.ts";
import { readPolicyObject } from "../cluster/state.ts";
import { compilePolicy, parseDuration } from "../policies/workload/policy.ts";
import { DEFAULT_GATEWAY_OPTIONS } from "../gateway/app.ts";
import { startGateway, type GatewayInputs } from "../gateway/server.ts";
import type { ServeEnv } from "./serve.ts";
import { CliError } from "./errors.ts";
import { DEFAULT_POLICY_FILE, loadPolicyFile } from "./load-policy.ts";
import { parseOptions, registryAccess } from "./options.ts";
import { evidenceFor, REGISTRY_OPTIONS, registryClientFor } from "./registry-access.ts";

function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new CliError("USAGE", `${flag} ${value} must be a positive whole number`);
  return n;
}

function url(flag: string, value: string | undefined): URL {
  if (value === undefined) throw new CliError("USAGE", `needs ${flag} URL`);
  try {
    return new URL(value);
  } catch {
    throw new CliError("USAGE", `${flag} ${value} is not a URL`);
  }
}

const GATEWAY_FLAGS = {
  upstream: { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  port: { type: "string", default: "8443" },
  host: { type: "string", default: "0.0.0.0" },
  "metrics-port": { type: "string" },
  "server-image": { type: "string" },
  audience: { type: "string" },
  "token-review": { type: "boolean", default: false },
  "issuer-jwks": { type: "string" },
  "oidc-issuer": { type: "string", multiple: true, default: [] as string[] },
  "oidc-audience": { type: "string", multiple: true, default: [] as string[] },
  "clock-skew": { type: "string", default: "60s" },
  "allowed-origin": { type: "string", multiple: true, default: [] as string[] },
  "body-limit": { type: "string", default: String(DEFAULT_GATEWAY_OPTIONS.bodyLimit) },
  "request-id-header": { type: "string", default: DEFAULT_GATEWAY_OPTIONS.requestIdHeader },
  resource: { type: "string" },
  policy: { type: "string" },
  "policy-name": { type: "string" },
  access: { type: "string" },
  kubeconfig: { type: "string" },
  "server-namespace": { type: "string" },
  "server-name": { type: "string" },
  pod: { type: "string" },
  "log-level": { type: "string", default: "info" },
  "audit-key": { type: "string" },
  "audit-buffer": { type: "string" },
  "audit-sink": { type: "string" },
  "audit-s3-endpoint": { type: "string" },
  "audit-s3-region": { type: "string" },
  ...REGISTRY_OPTIONS,
} as const;

/**
 * `--audit-key FILE --audit-buffer DIR --audit-sink s3://BUCKET[/PREFIX] | dir:PATH`, all three or
 * none; `--audit-s3-endpoint URL` and `--audit-s3-region R` (default `$AWS_REGION`, else
 * us-east-1) for an S3-compatible store. S3 credentials come from the SDK's default chain
 * (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, web identity...).
 */
function auditInputs(
  values: {
    "audit-key"?: string | undefined;
    "audit-buffer"?: string | undefined;
    "audit-sink"?: string | undefined;
    "audit-s3-endpoint"?: string | undefined;
    "audit-s3-region"?: string | undefined;
  },
  env: { AWS_REGION?: string | undefined },
  server: { namespace: string; pod: string },
): Pick<GatewayInputs, "audit"> {
  const keyFile = values["audit-key"];
  const bufferDir = values["audit-buffer"];
  const sink = values["audit-sink"];
  const given = [keyFile, bufferDir, sink].filter((v) => v !== undefined).length;
  if (given > 0 && server.pod === "")
    throw new CliError("USAGE", "the audit trail needs the pod's name (--pod or $POD_NAME)");
  if (given === 0) {
    if (values["audit-s3-endpoint"] !== undefined || values["audit-s3-region"] !== undefined)
      throw new CliError("USAGE", "--audit-s3-endpoint and --audit-s3-region need --audit-sink");
    return {};
  }
  if (keyFile === undefined || bufferDir === undefined || sink === undefined)
    throw new CliError(
      "USAGE",
      "the audit trail needs --audit-key FILE, --audit-buffer DIR and --audit-sink SINK together",
    );
  if (sink.startsWith("dir:") && sink.length > 4) {
    if (values["audit-s3-endpoint"] !== undefined)
      throw new CliError("USAGE", "--audit-s3-endpoint is for an s3:// sink");
    return { audit: { keyFile, bufferDir, sink: { kind: "directory", dir: sink.slice(4) } } };
  }
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(sink);
  if (s3 === null)
    throw new CliError(
      "USAGE",
      `--audit-sink ${sink} is neither s3://BUCKET[/PREFIX] nor dir:PATH`,
    );
  const endpoint = values["audit-s3-endpoint"];
  if (endpoint !== undefined) url("--audit-s3-endpoint", endpoint);
  const prefix = s3[2] ?? "";
  return {
    audit: {
      keyFile,
      bufferDir,
      sink: {
        kind: "s3",
        bucket: s3[1] as string,
        // Under the given prefix, each gateway pod keeps its own log: PREFIX/<namespace>/<pod>/.
        prefix: `${prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`}${server.namespace}/${server.pod}/`,
        ...(endpoint === undefined ? {} : { endpoint, forcePathStyle: true }),
        region: values["audit-s3-region"] ?? env.AWS_REGION ?? "us-east-1",
      },
    },
  };
}

/** The environment the gateway reads beside its flags (the Downward API sets these in its pod). */
export interface GatewayEnv {
  POD_NAMESPACE?: string | undefined;
  POD_NAME?: string | undefined;
  HOSTNAME?: string | undefined;
  MCP_WARDEN_SERVER_NAME?: string | undefined;
  AWS_REGION?: string | undefined;
}

/**
 * `mcp-warden gateway`'s arguments, checked without touching a file, a registry or a cluster:
 * every usage error is found here, and what the flags resolve to is returned. The generator's
 * gateway Deployment is tested against this (test/cli/gateway-args.test.ts).
 */
export function parseGatewayOptions(args: string[], env: GatewayEnv) {
  const { values } = parseOptions({
    args,
    allowPositionals: false,
    strict: true,
    options: GATEWAY_FLAGS,
  });
  const need = (flag: string, v: string | undefined): string => {
    if (v === undefined) throw new CliError("USAGE", `needs --${flag}`);
    return v;
  };
  if (values.policy && values["policy-name"])
    throw new CliError("USAGE", "give either --policy FILE or --policy-name NAME, not both");
  if (values["token-review"] && values["issuer-jwks"])
    throw new CliError("USAGE", "give either --token-review or --issuer-jwks URL, not both");
  if (values["oidc-issuer"].length > 0 && values["oidc-audience"].length === 0)
    throw new CliError("USAGE", "--oidc-issuer needs --oidc-audience");
  if (!/^([0-9]+(ms|s|m|h))+$/.test(values["clock-skew"]))
    throw new CliError("USAGE", `--clock-skew ${values["clock-skew"]} is not a duration (60s)`);
  const upstream = url("--upstream", values.upstream);
  const tlsCert = need("tls-cert", values["tls-cert"]);
  const tlsKey = need("tls-key", values["tls-key"]);
  // The Downward API gives these in the gateway's pod; the flags win.
  const server = {
    namespace: values["server-namespace"] ?? env.POD_NAMESPACE ?? "default",
    deployment: need("server-name", values["server-name"] ?? env.MCP_WARDEN_SERVER_NAME),
    pod: values.pod ?? env.POD_NAME ?? env.HOSTNAME ?? "",
  };
  return {
    values,
    upstream,
    tlsCert,
    tlsKey,
    port: positiveInteger("--port", values.port),
    host: values.host,
    metricsPort:
      values["metrics-port"] === undefined
        ? undefined
        : positiveInteger("--metrics-port", values["metrics-port"]),
    serverImage: need("server-image", values["server-image"]),
    audience: need("audience", values.audience),
    serviceAccounts: values["token-review"]
      ? ({ kind: "token-review" } as const)
      : values["issuer-jwks"]
        ? ({ kind: "jwks", url: values["issuer-jwks"] } as const)
        : ({ kind: "none" } as const),
    oidc: values["oidc-issuer"].map((issuer) => ({ issuer, audiences: values["oidc-audience"] })),
    clockSkewSeconds: parseDuration(values["clock-skew"]) / 1000,
    allowedOrigins: values["allowed-origin"],
    bodyLimit: positiveInteger("--body-limit", values["body-limit"]),
    requestIdHeader: values["request-id-header"].toLowerCase(),
    resource: values.resource,
    access: values.access !== undefined ? { file: values.access } : ({ cluster: true } as const),
    server,
    ...auditInputs(values, env, server),
    logLevel: values["log-level"],
  };
}

export async function parseGatewayArgs(
  args: string[],
  io: ServeEnv,
): Promise<GatewayInputs & { logLevel: string }> {
  const { values, ...parsed } = parseGatewayOptions(args, process.env);
  let kubeConfig: KubeConfig | undefined;
  const kubeconfig = values.kubeconfig ?? io.kubeconfig;
  if (kubeconfig) {
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfig);
  } else if (io.inCluster) {
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromCluster();
  }
  let policy;
  if (values["policy-name"]) {
    if (!kubeConfig) throw new CliError("USAGE", "--policy-name needs a cluster (--kubeconfig)");
    const object = await readPolicyObject(kubeConfig, values["policy-name"]);
    if (!object)
      throw new CliError("USAGE", `MCPWardenPolicy ${values["policy-name"]} does not exist`);
    policy = compilePolicy(object);
  } else policy = await loadPolicyFile(values.policy ?? DEFAULT_POLICY_FILE);
  const access = registryAccess(values);
  const { provide } = await evidenceFor(access);
  const { client, trustedRoot } = await registryClientFor(access);
  return {
    ...parsed,
    policy,
    kubeConfig,
    registry: { provide, client, trustedRoot, timeoutMs: access.timeoutMs },
  };
}

/** `mcp-warden gateway`: the runtime proxy, until the process is told to stop. */
export async function runGateway(args: string[], io: ServeEnv): Promise<number> {
  const inputs = await parseGatewayArgs(args, io);
  const logger = bufferedLogger(inputs.logLevel, "mcp-warden-gateway");
  const running = await startGateway(inputs, logger);
  const signal = await io.waitForShutdown();
  logger.info({ signal }, "shutting down");
  await running.close();
  return 0;
}
