import type { ServeEnv } from "./serve.ts";

/** What a command gets from the process: arguments, streams and the environment it reads. */
export interface Io extends Omit<ServeEnv, "stdout"> {
  argv: string[];
  stdin: AsyncIterable<Uint8Array>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Print stack traces of internal errors. */
  debug: boolean;
  /** The process environment, for a command that hands it on (the bridge's server process). */
  env?: Record<string, string | undefined>;
}

/**
 * One `mcp-warden` command. A command is this one entry in {@link COMMANDS}: `--help`, `help
 * NAME`, the command list and usage errors are all made from it.
 */
export interface Command {
  /** What the user types after `mcp-warden`. */
  name: string;
  /** One line for the command list: what the command does. */
  summary: string;
  /**
   * The synopsis, starting `mcp-warden NAME`; continuation lines indented under the arguments.
   * Printed after a usage error and at the top of the command's help.
   */
  usage: string;
  /** The rest of the help: what it does, its options, its exit status. */
  description: string;
  /** Its subcommands (`db download`): `mcp-warden NAME help` then prints the help too. */
  subcommands?: readonly string[];
  /**
   * Runs the command on the arguments after its name and returns the exit status. It imports its
   * module when it runs, so `--help` and the other commands never load what it needs.
   * @throws CliError USAGE for a wrong command line (main prints it with the usage, exit 2)
   */
  run(args: string[], io: Io): Promise<number>;
}

const REGISTRY_OPTIONS_HELP = `registry access (for keyless signers, a sigstore trusted root):
  --registry-config FILE      registry credentials, a Docker config JSON
  --insecure-registry HOST[:PORT]
                              speak plain HTTP to this registry (repeatable)
  --registry-timeout MS       the deadline of one image's whole lookup (default 10000)
  --trusted-root FILE         a sigstore trusted_root.json
  --tuf-mirror URL --tuf-root FILE
                              fetch the trusted root through TUF, trusting this root.json
  --tuf-cache DIR             where TUF metadata is cached (default ~/.cache/mcp-warden/tuf)`;

/**
 * Every command, in the order `mcp-warden --help` lists them. Add a command here and nowhere
 * else: `fix` and `generate` go after `explain`, then `gateway` and `audit`.
 */
export const COMMANDS: readonly Command[] = [
  {
    name: "check",
    summary: "judge Kubernetes manifests against the policy, offline",
    usage: `mcp-warden check [PATH|-]... [--policy FILE] [--exceptions PATH]... [--trust-inputs]
                 [--rules GLOB[,GLOB...]] [--format text|json|sarif] [--now ISO8601]
                 [--verify-images [--registry-config FILE] [--insecure-registry HOST[:PORT]]...
                                  [--trusted-root FILE | --tuf-mirror URL --tuf-root FILE]]
mcp-warden check --cluster [--kubeconfig FILE] [--namespace NS]... [--policy FILE | --policy-name NAME]
                 [--rules GLOB[,GLOB...]] [--format text|json|sarif|policyreport] [--apply-reports]
                 [--now ISO8601] [--verify-images] [--rescan [--vulnerability-db osv|URL|PATH]]`,
    description: `Judges every workload (Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
ReplicationController) in the files, directories (read recursively) or stdin (-) against the
policy, and prints a verdict per workload with what to fix. NetworkPolicy, Role, ClusterRole,
RoleBinding, ClusterRoleBinding and ServiceAccount documents among the inputs are the cluster state,
and so are CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy and ClusterNetworkPolicy documents.

  --policy FILE               the MCPWardenPolicy (default: policies/default.yaml)
  --exceptions PATH           trusted MCPWardenExceptions, files or directories (repeatable); they
                              are left out of the judged inputs
  --trust-inputs              trust MCPWardenException and MCPWardenPolicy documents among the
                              inputs (local use); without it they are ignored, with a note
  --rules GLOB[,GLOB...]      run only the matching rules ('pod-security/*,image/digest-pinned');
                              mcp-warden rules lists them
  --format text|json|sarif    text (default), a JSON report, or SARIF 2.1.0 for code scanning
  --now ISO8601               the time exceptions expire against, for reproducible runs
  --verify-images             look every image up in its registry, so that image/signed,
                              image/evaluated, rbac/within-declared and network/within-declared are
                              judged; without it they are skipped, and a note on stderr says so

${REGISTRY_OPTIONS_HELP}

With --cluster, judges the workloads running now (controllers by their templates; ReplicaSets,
Jobs and Pods their controllers own through them) in every namespace but kube-system,
mcp-warden-system and the policy's exception namespaces, with the cluster's NetworkPolicies,
RBAC, exceptions and MCPWardenPolicy (the default policy when there is none):

  --cluster                   judge what runs in the cluster instead of files
  --kubeconfig FILE           the cluster (default: $KUBECONFIG, ~/.kube/config or in-cluster)
  --namespace NS              only this namespace (repeatable)
  --policy-name NAME          the cluster's MCPWardenPolicy to use (default "default")
  --format policyreport       also: PolicyReport objects (wgpolicyk8s.io/v1alpha2), as YAML
  --apply-reports             write a PolicyReport and an openreports.io Report per namespace
  --rescan                    match each running image's signed CycloneDX SBOM attestation
                              against today's advisories (no pull, no re-run)
  --vulnerability-db osv|URL|PATH
                              the advisories --rescan reads (default: osv)

exit status: 0 every workload allowed, 1 any denied, 2 bad input or usage`,
    run: async (args, io) => {
      // What the cluster runs now: its own module, flags and formats.
      const { isClusterCheck, runClusterCheck } = await import("./check-cluster.ts");
      if (isClusterCheck(args)) return await runClusterCheck(args, io);
      const { parseCheckArgs, runCheck } = await import("./check.ts");
      return await runCheck(parseCheckArgs(args), io);
    },
  },
  {
    name: "verify",
    summary: "check an image's signatures and evaluations in its registry",
    usage: `mcp-warden verify IMAGE [--policy FILE] [--format text|json] [--now ISO8601]
                  [--registry-config FILE] [--insecure-registry HOST[:PORT]]...
                  [--trusted-root FILE | --tuf-mirror URL --tuf-root FILE]`,
    description: `Looks IMAGE up in its registry as the admission webhook would: its signatures and evaluation
attestations (OCI referrers, the sha256-<hex> fallback index, cosign's .sig and .att tags), which
verified against the policy's trusted signers and why the others did not. Then the policy's
image/* rules decide.

  --policy FILE               the policy whose trustedSigners and image/* rules apply
                              (default: policies/default.yaml)
  --format text|json          text (default) or JSON: the facts and the findings
  --now ISO8601               the time an evaluation's age is judged at

${REGISTRY_OPTIONS_HELP}

exit status: 0 no image/* rule denies, 1 one does, 2 bad input or usage`,
    run: async (args, io) => {
      const { runVerify } = await import("./verify.ts");
      return await runVerify(args, io);
    },
  },
  {
    name: "evaluate",
    summary: "run the GitHub Action's evaluation of an MCP server release locally",
    usage: `mcp-warden evaluate [--manifest server.json] [--lockfile FILE]... [--vulnerability-db osv|URL|PATH]
                    [--ignore-file FILE] [--fail-on-severity critical|high|medium|low|none]
                    [--min-trust-level L1|L2|L3|L4] [--tool-timeout 60] [--format text|json|sarif]
                    [--now ISO8601] [--write-manifest]
                    [--image REF [--platform os/arch[/variant]] [--registry-config FILE]
                                 [--insecure-registry HOST[:PORT]]... [--registry-timeout MS]]
                    [--vulnerability-db-warn-age 7d] [--vulnerability-db-max-age DURATION]`,
    description: `Evaluates an MCP server release as the GitHub Action does: the manifest and its declared
permissions, the tools, prompts and resource templates the running server lists (over stdio), the
lockfiles next to the manifest against OSV advisories and, with --image, the packages installed in
the image's own layers. Nothing is signed, so the controls that need a signature or CI provenance
are skipped and cap the trust level.

  --manifest FILE             the server's server.json (default: server.json)
  --lockfile FILE             the lockfiles to scan (repeatable; default: those found next to the
                              manifest)
  --vulnerability-db SOURCE   osv (the OSV API, default), an https:// OSV API, or the directory of
                              an offline database (mcp-warden db download)
  --vulnerability-db-warn-age AGE
                              warn when the offline database is older (default 7d)
  --vulnerability-db-max-age AGE
                              fail when it is older (default: no maximum)
  --ignore-file FILE          findings waived on purpose, each with a reason and an expiry
  --fail-on-severity LEVEL    the lowest severity of vulnerability that fails (default high)
  --min-trust-level LEVEL     the level the release must reach to exit 0 (default L2)
  --tool-timeout SECONDS      to start the server and list its tools (default 60)
  --format text|json|sarif    text (default), the evaluation predicate, or SARIF
  --now ISO8601               the evaluation's time
  --write-manifest            write what the server exposes, pinned, into the manifest's _meta
                              (and a permissions skeleton when none is declared), then evaluate it
  --image REF                 also scan the packages installed in this image (control SC-04)
  --platform os/arch[/variant]
                              the image's platform to pull (default linux/amd64)
  --registry-config FILE, --insecure-registry HOST[:PORT], --registry-timeout MS
                              how the image's registry is reached

exit status: 0 the verdict passes at --min-trust-level or above, 1 it does not, 2 bad input or
usage`,
    run: async (args, io) => {
      // The scanners and the MCP client load only here: check and serve never need them.
      const { runEvaluate } = await import("./evaluate.ts");
      return await runEvaluate(args, io);
    },
  },
  {
    name: "serve",
    summary: "run the validating admission webhook",
    usage: `mcp-warden serve --tls-cert FILE --tls-key FILE [--port 8443] [--host 0.0.0.0]
                 [--policy FILE | --policy-name NAME] [--kubeconfig FILE] [--webhook-timeout 10]
                 [--stale-after 60s] [--body-limit BYTES] [--tls-reload-interval 10s] [--log-level info]
                 [--registry-config FILE] [--insecure-registry HOST[:PORT]]...
                 [--trusted-root FILE | --tuf-mirror URL --tuf-root FILE] [--no-pull-secrets]`,
    description: `Runs the validating admission webhook over HTTPS (POST /validate; GET /healthz, /readyz,
/metrics) until SIGTERM or SIGINT, judging workloads exactly as check does. Cluster state comes
from --kubeconfig, $KUBECONFIG or the pod's service account; without any, it serves with empty
cluster state and says so.

  --tls-cert FILE, --tls-key FILE
                              the serving certificate and key (required); re-read when they change
  --port PORT, --host ADDRESS where to listen (default 8443 on 0.0.0.0)
  --policy FILE               the policy from a file (default: policies/default.yaml)
  --policy-name NAME          or the cluster's MCPWardenPolicy of that name, watched
  --kubeconfig FILE           the cluster to watch
  --webhook-timeout SECONDS   the webhook configuration's timeoutSeconds (default 10); a decision
                              not made by 80% of it denies as admission/error
  --stale-after DURATION      a watch broken for longer makes the rules that rely on it deny
                              (default 60s)
  --body-limit BYTES          larger requests are refused (default 3 MiB)
  --tls-reload-interval DURATION
                              how often the certificate files are checked (default 10s)
  --log-level LEVEL           pino's level (default info)
  --no-pull-secrets           do not read the judged pods' imagePullSecrets

${REGISTRY_OPTIONS_HELP.replace(/\n {2}--registry-timeout.*/, "")}
(no --registry-timeout: registry calls share each admission's deadline)

exit status: 0 after a clean shutdown, 2 bad input or usage`,
    run: async (args, io) => {
      const { runServe } = await import("./serve.ts");
      return await runServe(args, io);
    },
  },
  {
    name: "bridge",
    summary: "expose a stdio MCP server as Streamable HTTP, for the gateway in front of it",
    usage: `mcp-warden bridge [--port 8080] [--host 0.0.0.0] [--max-sessions 16] [--body-limit BYTES]
                  [--idle-timeout 30m] -- CMD [ARG...]
mcp-warden-bridge --install FILE`,
    description: `Runs the stdio MCP server CMD behind MCP Streamable HTTP (protocol 2025-06-18 and 2025-11-25,
with sessions) on http://HOST:PORT/mcp. It decides nothing: no authentication, no filtering; the
gateway in front of it does, and the pod's NetworkPolicy lets only the gateway in. A stdio server
serves one client, so every session (an initialize without Mcp-Session-Id) starts its own CMD with
the bridge's environment; DELETE ends the session and kills it; when it exits, the requests it
has not answered get a JSON-RPC error (-32000) and the session is gone (404 afterwards).

  --port PORT, --host ADDRESS where to listen (default 8080 on 0.0.0.0)
  --max-sessions N            server processes at once; an initialize beyond them gets 503
                              (default 16)
  --body-limit BYTES          larger requests are refused with 413 (default 4 MiB)
  --idle-timeout DURATION     a session without a message either way for this long ends
                              (default 30m)

The self-contained executable (scripts/build-bridge.sh; /usr/local/bin/mcp-warden-bridge in the
mcp-warden image) takes the same arguments without the word bridge, and --install FILE copies
it to FILE (mode 0555): the init container of a generated stdio server's pod runs that.

exit status: 0 after SIGTERM or SIGINT, 2 bad usage or an address that cannot be bound`,
    run: async (args, io) => {
      const { runBridge } = await import("./bridge.ts");
      return await runBridge(args, { ...io, env: io.env ?? {} });
    },
  },
  {
    name: "db",
    summary: "download OSV's advisories for offline evaluation",
    usage: `mcp-warden db download DIR [--ecosystem NAME]... [--base-url URL]`,
    subcommands: ["download"],
    description: `download DIR fetches OSV's per-ecosystem exports (<base-url>/<ecosystem>/all.zip, default base
https://osv-vulnerabilities.storage.googleapis.com) into DIR as <Ecosystem>/<ID>.json, the
layout --vulnerability-db DIR reads. An interrupted download is resumed (HTTP Range) when run
again; each zip is checked whole (every entry's CRC-32) before it replaces the previous copy.
Progress goes to stderr, one line per ecosystem to stdout.

  --ecosystem NAME            an OSV ecosystem to download (repeatable; default npm, PyPI, Go,
                              Debian, Alpine)
  --base-url URL              another mirror of the exports (https://, or http:// on loopback)

exit status: 0 every ecosystem downloaded and checked, 2 a failure or bad usage`,
    run: async (args, io) => {
      const { runDb } = await import("./db.ts");
      return await runDb(args, io);
    },
  },
  {
    name: "rules",
    summary: "list the rules, and what the policy does with each",
    usage: `mcp-warden rules [--policy FILE] [--format text|json]`,
    description: `Lists every rule a policy can name: its id, what the policy does with it (enforce denies, warn
admits with a warning, audit only reports, off skips), whether an MCPWardenException can exempt
from it, whether it needs a registry (check judges those only with --verify-images), and what it
requires.

  --policy FILE               the policy whose actions are shown (default: policies/default.yaml)
  --format text|json          a table (default), or a JSON array of
                              {id, title, action, enabled, exemptible, needsRegistry}

mcp-warden explain RULE tells what a rule guards against and how to pass it.

exit status: 0, 2 a policy that cannot be read or bad usage`,
    run: async (args, io) => {
      const { runRules } = await import("./rules.ts");
      return await runRules(args, io);
    },
  },
  {
    name: "explain",
    summary: "what a rule checks, why, and how to fix what it finds",
    usage: `mcp-warden explain RULE|GLOB... [--format text|json]`,
    description: `Explains a rule: what it checks, the risk it guards against, how to fix a workload it denies,
and an example that passes it (YAML; a document without a kind is part of a Deployment). RULE is
an id from mcp-warden rules (pod-security/privileged); a glob ('sandbox/*') explains every rule
it matches.

  --format text|json          text (default), or a JSON array of
                              {id, title, needsRegistry, why, fix, example}

exit status: 0, 2 for a rule that does not exist (the closest ones are suggested)`,
    run: async (args, io) => {
      const { runExplain } = await import("./rules.ts");
      return await runExplain(args, io);
    },
  },
  {
    name: "fix",
    summary: "write corrected copies of manifests and list what needs a person's decision",
    usage: `mcp-warden fix PATH... [--out DIR | --in-place] [--resolve-digests] [--format text|json]
               [--policy FILE] [--exceptions PATH]...
               [--registry-config FILE] [--insecure-registry HOST[:PORT]]... [--registry-timeout MS]`,
    description: `Judges the inputs as check does and edits each workload's YAML, keeping comments and layout:
the restricted pod and container security context, a read-only root with an emptyDir at /tmp,
automountServiceAccountToken: false (a projected API token when the service account has RBAC
grants among the inputs), placeholder resources, digests (--resolve-digests), and a default-deny
NetworkPolicy with DNS egress for a workload that none isolates. What could break the workload
(hostPath, privileged, an explicit runAsNonRoot: false), RBAC grants and the peers only an
operator knows are listed as decisions, not guessed. The output is checked again before exit.

  --out DIR                   write the fixed copies under DIR
  --in-place                  rewrite the inputs
  --resolve-digests           pin every image by the digest its tag has in the registry now
  --format text|json          decisions on stderr (default), or {"decisions", "remaining",
                              "files"} as JSON on stdout
  --policy FILE               the MCPWardenPolicy (default: policies/default.yaml)
  --exceptions PATH           trusted MCPWardenExceptions, files or directories (repeatable)

registry access (--resolve-digests):
  --registry-config FILE      registry credentials, a Docker config JSON
  --insecure-registry HOST[:PORT]
                              speak plain HTTP to this registry (repeatable)
  --registry-timeout MS       the deadline of one image's lookup (default 10000)

One input without --out or --in-place: the fixed YAML on stdout.

exit status: 0 the output passes check, 1 decisions or findings remain, 2 bad input or usage`,
    run: async (args, io) => {
      const { parseFixArgs, runFix } = await import("./fix.ts");
      return await runFix(parseFixArgs(args), io);
    },
  },
  {
    name: "generate",
    summary: "write the Deployment, ServiceAccount and NetworkPolicies for a server's manifest",
    usage: `mcp-warden generate --manifest server.json --image REF [--resolve-digest] [--namespace NS]
                    [--network kubernetes|cilium] [--out DIR] [--registry-config FILE] [--insecure-registry HOST[:PORT]]...
                    [--registry-timeout MS]
                    [--gateway-image REF@sha256:... [--evaluation FILE] [--api-server-cidr CIDR]...
                                                    [--registry-cidr CIDR]... [--access-namespace NS]
                                                    [--policy-name NAME]]`,
    description: `Writes the ServiceAccount, Deployment and NetworkPolicies the GitHub Action generates for the
server's declared permissions: the restricted security context, resource limits from the
manifest, no service-account token, and a default-deny NetworkPolicy that allows only the
declared agents and endpoints. The output passes mcp-warden check.

  --manifest FILE             the server's server.json
  --image REF                 the image, pinned by digest (REF@sha256:...)
  --resolve-digest            look a tag up in the registry and pin its digest
  --namespace NS              the namespace of the objects
  --network kubernetes|cilium kubernetes (default): NetworkPolicy only, hosts declared by name are
                              listed in an annotation; cilium: also a CiliumNetworkPolicy that
                              allows them by name (toFQDNs) with DNS through Cilium's DNS proxy
  --out DIR                   write DIR/NAME.yaml instead of printing the documents

With --gateway-image (the signed mcp-warden image, pinned; needs --namespace), the server runs
behind its gateway: the gateway's ServiceAccount (bound only to system:auth-delegator),
Deployment, Service and NetworkPolicy, a Service for the server, the server's ingress narrowed
to the gateway's pods, and an MCPWardenAccess skeleton for the declared agents. The output passes
check under a policy whose spec.runtime.gateway.image is that image.

  --gateway-image REF         the mcp-warden image the gateway and the bridge come from
  --evaluation FILE           the evaluation predicate (evaluate --format json): a server it ran
                              over stdio runs as /mcp-warden/bridge -- <its entrypoint and command>
  --api-server-cidr CIDR      where the gateway reaches the API server for TokenReview
                              (repeatable; default the private ranges)
  --registry-cidr CIDR        where the gateway reaches the server image's registry to verify it
                              at start (repeatable; default every public address)
  --access-namespace NS       where the MCPWardenAccess goes (default mcp-warden-system)
  --policy-name NAME          the MCPWardenPolicy the gateway runs under (default default)

${REGISTRY_OPTIONS_HELP}

exit status: 0 written, 2 bad input or usage`,
    run: async (args, io) => {
      const { runGenerate } = await import("./generate.ts");
      return await runGenerate(args, io);
    },
  },
  {
    name: "gateway",
    summary:
      "the runtime proxy in front of one MCP server: every call authenticated, granted and held to the signed evaluation",
    usage: `mcp-warden gateway --upstream URL --tls-cert FILE --tls-key FILE [--port 8443]
                   --server-image REF@sha256:... --audience AUD --server-name NAME
                   [--token-review | --issuer-jwks URL] [--oidc-issuer URL --oidc-audience A]...
                   [--clock-skew 60s] [--allowed-origin O]... [--body-limit BYTES]
                   [--policy FILE | --policy-name N] [--access FILE] [--metrics-port PORT]
                   [--audit-key FILE --audit-buffer DIR --audit-sink s3://BUCKET[/PREFIX]|dir:PATH
                    [--audit-s3-endpoint URL] [--audit-s3-region R]] [registry options]`,
    description: `Runs in its own pod in front of one MCP server (Streamable HTTP, the 2025-06-18/2025-11-25 and
2026-07-28 protocol eras) and serves it on https://HOST:PORT/mcp. At start it verifies
--server-image as admission does and takes the approved tool and prompt definitions from its
signed evaluation; it refuses to start when that fails. Every request needs a bearer token: a
projected ServiceAccount token with --audience (TokenReview, or the cluster issuer's keys) or a
JWT from an --oidc-issuer. A call is allowed only when the evaluation declares the agent, an
MCPWardenAccess grant in the policy's admin namespaces allows it, the server's definition is the
pinned one and the arguments validate against its inputSchema. See docs/gateway.md.

  --upstream URL              the server's Streamable HTTP endpoint (http://127.0.0.1:3001/mcp)
  --tls-cert FILE --tls-key FILE
                              the gateway's serving certificate and key (PEM)
  --port PORT                 HTTPS port (default 8443); --host ADDRESS (default 0.0.0.0)
  --server-image REF@sha256:...
                              the server's image, pinned by digest
  --server-name NAME          the server's Deployment name, as grants name it (default
                              $MCP_WARDEN_SERVER_NAME); --server-namespace NS (default $POD_NAMESPACE)
  --audience AUD              the audience ServiceAccount tokens must carry
  --token-review              check ServiceAccount tokens with TokenReview (the gateway's own
                              credentials need create on tokenreviews)
  --issuer-jwks URL           check them offline against the cluster issuer's keys instead
  --oidc-issuer URL           accept JWTs from this OpenID issuer (discovery, JWKS; repeatable)
  --oidc-audience A           the audience OIDC tokens must carry (repeatable)
  --clock-skew DURATION       tolerated clock difference for exp/nbf (default 60s)
  --allowed-origin ORIGIN     an Origin a browser may call from (repeatable); any other: 403
  --body-limit BYTES          larger request bodies are refused with 413 (default 1048576)
  --request-id-header NAME    the header carried into audit records as requestId (default x-request-id)
  --resource URL              the gateway's public /mcp URL, for protected-resource metadata
  --policy FILE               the MCPWardenPolicy (default: policies/default.yaml)
  --policy-name NAME          the cluster's MCPWardenPolicy instead
  --access FILE               MCPWardenAccess grants from a file instead of the cluster
  --kubeconfig FILE           the cluster (default: $KUBECONFIG, or the pod's service account)
  --metrics-port PORT         serve Prometheus metrics on this port (plain HTTP, /metrics)
  --log-level LEVEL           pino log level (default info)
  --pod NAME                  the gateway's pod (default $POD_NAME), in audit records and the log's origin

The audit trail (docs/audit.md), all three or none: every call and denial is recorded, durable in
the sink before the call is forwarded and before it is answered, and printed on stdout.
  --audit-key FILE            the checkpoint signer key (signed-note format; mcp-warden audit keygen)
  --audit-buffer DIR          the pod's own emptyDir: records are synced here first
  --audit-sink SINK           s3://BUCKET[/PREFIX] (Object Lock, compliance mode; the log is kept
                              under PREFIX/<namespace>/<pod>/) or dir:PATH (a volume only the
                              gateway mounts)
  --audit-s3-endpoint URL     an S3-compatible endpoint (path-style); credentials from
                              AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the SDK's default chain
  --audit-s3-region REGION    default $AWS_REGION, else us-east-1

${REGISTRY_OPTIONS_HELP}

exit status: 0 stopped by a signal, 2 bad usage or a server that cannot be verified`,
    run: async (args, io) => {
      const { runGateway } = await import("./gateway.ts");
      return await runGateway(args, io);
    },
  },
  {
    name: "audit",
    summary: "verify a gateway's audit log against its signed checkpoints; make checkpoint keys",
    usage: `mcp-warden audit verify LOG --checkpoints DIR --key VERIFIER [--record N] [--origin ORIGIN]
                        [--format text|json]
mcp-warden audit keygen NAME [--out PREFIX]`,
    subcommands: ["verify", "keygen"],
    description: `verify checks an audit log (a JSON-lines file, or a directory of them such as a sink's records/)
against its signed checkpoints (C2SP tlog-checkpoint signed notes, one per file in DIR): each
checkpoint is signed by the key, the records are numbered in order with none missing, each
checkpoint's root is the RFC 6962 root of the log's first records, the checkpoints are consistent
with each other, and none covers more records than the log holds. A failure is reported with its
code: RECORD_CHANGED, RECORD_MISSING, LOG_REORDERED, LOG_TRUNCATED, CHECKPOINT_FORGED or
CHECKPOINT_INCONSISTENT.

  --checkpoints DIR           the signed checkpoints (a sink's checkpoints/)
  --key VERIFIER              the verifier key (name+hash+base64), or a file holding it
  --record N                  also print record N's inclusion proof under the first checkpoint
                              that covers it
  --origin ORIGIN             the log's origin (mcp-warden/<namespace>/<pod>); default: the
                              checkpoints'
  --format text|json          text (default), or {verified, origin, records, covered, checkpoints,
                              inclusion} / {verified: false, code, message}

keygen makes an Ed25519 key pair in the signed-note formats: the signer key
(PRIVATE+KEY+NAME+hash+base64, for the gateway's Secret) and the verifier key. NAME is a
schema-less URL without spaces or '+'.

  --out PREFIX                write PREFIX.key (mode 0600) and PREFIX.pub instead of printing both

exit status: 0 the log verifies, 1 it does not (or no checkpoint is signed by the key), 2 bad input
or usage`,
    run: async (args, io) => {
      const { runAudit } = await import("./audit.ts");
      return await runAudit(args, io);
    },
  },
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** The `usage:` block printed after a usage error and at the top of the help. */
export function usageOf(command: Command): string {
  return `usage:\n${command.usage.replace(/^/gm, "  ")}\n`;
}

/** `mcp-warden help COMMAND`. */
export function helpOf(command: Command): string {
  return `${usageOf(command)}\n${command.description}\n`;
}

/** `mcp-warden --help`: every command with its summary. */
export function commandList(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: mcp-warden COMMAND [ARGUMENTS...]

Keeps unsafe MCP servers out of production Kubernetes clusters: one policy engine for manifests
(check), images (verify), releases (evaluate) and admission (serve).

commands:
${lines.join("\n")}

mcp-warden help COMMAND (or COMMAND --help) shows a command's options.
mcp-warden --version prints the version.

exit status: 0 allowed or done, 1 denied, 2 bad input or usage
`;
}
