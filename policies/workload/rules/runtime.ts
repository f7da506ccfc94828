import { fieldPath } from "../../field-path.ts";
import type { ServerRun } from "../../evaluation/predicate.ts";
import {
  BRIDGE_DIR,
  BRIDGE_PATH,
  GATEWAY_LABEL,
  gatewayPeerProblem,
  isGatewayImage,
} from "../gateway-contract.ts";
import { NAMESPACE_NAME_LABEL, selectorMatches } from "../label-selector.ts";
import { yamlExample, type Finding, type Rule, type RuleContext } from "../rule.ts";
import { containerLabel, type ContainerRef } from "../workload.ts";
import { effectivePolicyTypes, selectingPolicies } from "./network.ts";

const GATEWAY_REQUIRED = "runtime/gateway-required";
const GATEWAY_IDENTITY = "runtime/gateway-identity";

/** The newest verified evaluation of a container's image, when registry facts were gathered. */
function newestEvaluation(ctx: RuleContext, ref: ContainerRef) {
  const image = ref.container.image;
  if (image === undefined) return undefined;
  const evaluations = ctx.evidence?.forImage(image)?.verifiedEvaluations ?? [];
  return [...evaluations].sort((a, b) => Date.parse(b.time) - Date.parse(a.time))[0];
}

/**
 * Why the pod must sit behind its gateway, or a finding when that cannot be known. Decided by
 * the registry (a verified evaluation) and by the namespace's labels as the cluster holds them,
 * never by anything the pod's author writes on the pod.
 */
function applicability(ctx: RuleContext): { reasons: string[]; unknown?: string } {
  const reasons: string[] = [];
  for (const ref of ctx.workload.containers)
    if (newestEvaluation(ctx, ref) !== undefined)
      reasons.push(
        `${containerLabel(ref)} runs ${JSON.stringify(ref.container.image)}, which carries a verified mcp-warden evaluation`,
      );
  const selector = ctx.settings.runtime?.namespaceSelector;
  if (selector === undefined) return { reasons };
  const ns = ctx.workload.namespace;
  const unavailable = ctx.cluster.unavailable?.namespaces;
  if (unavailable !== undefined)
    return { reasons, unknown: `the labels of namespace ${ns} cannot be trusted: ${unavailable}` };
  const known = ctx.cluster.namespaces;
  const labels = known?.labelsOf(ns);
  if (labels === undefined) {
    // Offline, a namespace not among the inputs is simply not known; the cluster knows them all.
    if (known?.complete === true)
      return { reasons, unknown: `namespace ${ns} is not known to the cluster state` };
    return { reasons };
  }
  if (selectorMatches(selector, { ...labels, [NAMESPACE_NAME_LABEL]: ns }))
    reasons.push(`namespace ${ns} is selected by spec.runtime.gatewayRequired.namespaceSelector`);
  return { reasons };
}

/** The pod's NetworkPolicy ingress admits only its gateway's pods. */
function networkFindings(ctx: RuleContext, why: string): Finding[] {
  const path = fieldPath(ctx.workload.metaPath, "labels");
  const unavailable = ctx.cluster.unavailable?.networkPolicies;
  if (unavailable !== undefined)
    return [{ rule: GATEWAY_REQUIRED, path, message: `cannot be judged: ${unavailable}` }];
  const ns = ctx.workload.namespace;
  const ingress = selectingPolicies(ctx).filter((np) =>
    effectivePolicyTypes(np).includes("Ingress"),
  );
  const fix = `let in only pods labelled ${GATEWAY_LABEL} in namespace ${ns} (mcp-warden generate writes that NetworkPolicy)`;
  if (ingress.length === 0)
    return [
      {
        rule: GATEWAY_REQUIRED,
        path,
        message: `${why}, so it must be reachable only from its gateway, but no NetworkPolicy in namespace ${ns} selects it for Ingress: ${fix}`,
      },
    ];
  const findings: Finding[] = [];
  for (const np of ingress) {
    const name = np.metadata.name ?? "";
    (np.spec.ingress ?? []).forEach((rule, i) => {
      const related = [
        { kind: "NetworkPolicy", namespace: ns, name, path: `spec.ingress[${i}].from` },
      ];
      const from = rule.from ?? [];
      if (from.length === 0) {
        findings.push({
          rule: GATEWAY_REQUIRED,
          path,
          related,
          message: `${why}, so it must be reachable only from its gateway, but NetworkPolicy ${name} spec.ingress[${i}] has no from and admits every peer: ${fix}`,
        });
        return;
      }
      from.forEach((peer, j) => {
        const problem = gatewayPeerProblem(peer, ns);
        if (problem !== undefined)
          findings.push({
            rule: GATEWAY_REQUIRED,
            path,
            related: [{ ...related[0]!, path: `spec.ingress[${i}].from[${j}]` }],
            message: `${why}, so it must be reachable only from its gateway, but NetworkPolicy ${name} spec.ingress[${i}].from[${j}]: ${problem}; ${fix}`,
          });
      });
    });
  }
  return findings;
}

function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function trimSlash(path: string | undefined): string | undefined {
  return path?.replace(/\/+$/, "");
}

/** Why a stdio server's container does not run through the bridge as evaluated; empty when it does. */
function bridgeProblems(ctx: RuleContext, ref: ContainerRef, run: ServerRun): Finding[] {
  const c = ref.container;
  const label = containerLabel(ref);
  const evaluated = [...run.entrypoint, ...run.cmd];
  const shown = JSON.stringify(evaluated);
  const finding = (path: string, message: string): Finding => ({
    rule: GATEWAY_REQUIRED,
    path,
    message: `${label} is a stdio server (its evaluation ran ${shown}) and must run as ${BRIDGE_PATH} ... -- ${evaluated.join(" ")}: ${message}`,
  });
  if ((c.command ?? [])[0] !== BRIDGE_PATH)
    return [
      finding(
        fieldPath(ref.path, "command"),
        `its command is ${JSON.stringify(c.command ?? null)}; set command: [${BRIDGE_PATH}] and args: [--port, PORT, --, ${evaluated.join(", ")}]`,
      ),
    ];
  const findings: Finding[] = [];
  const argv = [...(c.command ?? []).slice(1), ...(c.args ?? [])];
  const split = argv.indexOf("--");
  const after = split === -1 ? [] : argv.slice(split + 1);
  if (!sameArgs(after, evaluated))
    findings.push(
      finding(
        fieldPath(ref.path, "args"),
        `after -- it runs ${JSON.stringify(after)}, not what was evaluated`,
      ),
    );
  const mounts = c.volumeMounts ?? [];
  const mountIndex = mounts.findIndex((m) => trimSlash(m.mountPath) === BRIDGE_DIR);
  const mount = mounts[mountIndex];
  if (mount === undefined || mount.readOnly !== true) {
    findings.push(
      finding(
        fieldPath(ref.path, "volumeMounts", mountIndex === -1 ? mounts.length : mountIndex),
        `mount the bridge's emptyDir at ${BRIDGE_DIR} with readOnly: true`,
      ),
    );
    return findings;
  }
  const volumes = ctx.workload.podSpec.volumes ?? [];
  const volumeIndex = volumes.findIndex((v) => v.name === mount.name);
  const volume = volumes[volumeIndex];
  const volumePath = fieldPath(ctx.workload.specPath, "volumes", Math.max(volumeIndex, 0));
  if (volume === undefined || volume.emptyDir === undefined) {
    findings.push(
      finding(volumePath, `the volume ${JSON.stringify(mount.name)} must be an emptyDir`),
    );
    return findings;
  }
  // Only init containers running the gateway image may write the bridge; every other mount reads.
  const writers = ctx.workload.containers.filter((w) =>
    (w.container.volumeMounts ?? []).some((m) => m.name === mount.name && m.readOnly !== true),
  );
  const gatewayImage = ctx.settings.runtime?.gatewayImage;
  for (const w of writers)
    if (w.kind !== "initContainers" || !isGatewayImage(w.container.image, gatewayImage))
      findings.push(
        finding(
          fieldPath(w.path, "volumeMounts"),
          `${containerLabel(w)} can write the bridge's volume; only init containers running the policy's gateway image (spec.runtime.gateway.image) may`,
        ),
      );
  if (!writers.some((w) => w.kind === "initContainers"))
    findings.push(
      finding(
        volumePath,
        "no init container from the policy's gateway image copies the bridge into it",
      ),
    );
  return findings;
}

const gatewayRequired: Rule = {
  id: GATEWAY_REQUIRED,
  title:
    "A pod whose image carries a verified evaluation, or in a namespace the policy selects, is reachable only from its gateway, a stdio server through the bridge.",
  explain: {
    why: "An MCP server reachable from anything but its gateway can be called without authentication, without the per-agent grants and without the check that its tools are still the ones that were evaluated: one pod with network access to it bypasses every runtime control. A stdio server must run behind the bridge, with exactly the command that was evaluated, or the gateway has nothing to talk to and the container may run something else.",
    fix: "Deploy the server with mcp-warden generate (or the Action's kubernetes-manifests): the server's NetworkPolicy admits ingress only from pods labelled mcp-warden.dev/gateway-for in its own namespace, and a stdio server runs as /mcp-warden/bridge --port 8080 -- <the evaluated entrypoint and command>, the bridge copied by an init container from the policy's gateway image into an emptyDir mounted read-only at /mcp-warden. No ipBlock, no other namespace and no unlabelled pod may be let in.",
    example: yamlExample`
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata:
        name: mcp-example
        namespace: mcp-servers
      spec:
        podSelector:
          matchLabels:
            app.kubernetes.io/name: mcp-example
        policyTypes: [Ingress, Egress]
        ingress:
          - from:
              - podSelector:
                  matchLabels:
                    mcp-warden.dev/gateway-for: mcp-example
            ports:
              - port: 8080
                protocol: TCP
        egress:
          - to:
              - namespaceSelector:
                  matchLabels:
                    kubernetes.io/metadata.name: kube-system
                podSelector:
                  matchLabels:
                    k8s-app: kube-dns
            ports:
              - port: 53
                protocol: UDP
      ---
      metadata:
        namespace: mcp-servers
      spec:
        template:
          metadata:
            labels:
              app.kubernetes.io/name: mcp-example
    `,
  },
  check(ctx) {
    // A gateway is not behind a gateway; runtime/gateway-identity holds it to the gateway image.
    if (Object.hasOwn(ctx.workload.podMeta.labels ?? {}, GATEWAY_LABEL)) return [];
    const { reasons, unknown } = applicability(ctx);
    if (unknown !== undefined)
      return [
        {
          rule: GATEWAY_REQUIRED,
          path: fieldPath(ctx.workload.metaPath, "namespace"),
          message: `cannot tell whether the pod must run behind its gateway: ${unknown}`,
        },
      ];
    if (reasons.length === 0) return [];
    const findings = networkFindings(ctx, reasons.join("; "));
    for (const ref of ctx.workload.containers) {
      if (ref.kind !== "containers") continue;
      const run = newestEvaluation(ctx, ref)?.run;
      if (run?.transport === "stdio") findings.push(...bridgeProblems(ctx, ref, run));
    }
    return findings;
  },
};

const gatewayIdentity: Rule = {
  id: GATEWAY_IDENTITY,
  title: `A pod labelled ${GATEWAY_LABEL} runs only the policy's signed, digest-pinned gateway image.`,
  explain: {
    why: `MCP servers admit ingress only from pods carrying the gateway's label ${GATEWAY_LABEL}. If any pod could carry it, any pod could pose as the gateway and reach the servers directly, past authentication, grants and the schema checks. The label is only worth something when every pod that carries it runs the gateway itself.`,
    fix: "Set spec.runtime.gateway.image in the policy to the signed mcp-warden image pinned by digest, and run exactly that image in every container, init container and ephemeral container of a pod that carries the label (mcp-warden generate writes the gateway Deployment so); remove the label from any other pod. Without spec.runtime.gateway.image no pod may carry the label.",
    example: yamlExample`
      apiVersion: mcp-warden.dev/v1alpha1
      kind: MCPWardenPolicy
      metadata:
        name: default
      spec:
        runtime:
          gateway:
            image: ghcr.io/mcp-warden/mcp-warden:0.1.0@sha256:3f0c1e6b0a7d2c4e5f60718293a4b5c6d7e8f90112233445566778899aabbccd
      ---
      spec:
        template:
          metadata:
            labels:
              mcp-warden.dev/gateway-for: mcp-example
          spec:
            containers:
              - name: server # the pod's only container: the gateway
                image: ghcr.io/mcp-warden/mcp-warden:0.1.0@sha256:3f0c1e6b0a7d2c4e5f60718293a4b5c6d7e8f90112233445566778899aabbccd
    `,
  },
  check(ctx) {
    const labels = ctx.workload.podMeta.labels ?? {};
    if (!Object.hasOwn(labels, GATEWAY_LABEL)) return [];
    const gatewayImage = ctx.settings.runtime?.gatewayImage;
    if (gatewayImage === undefined)
      return [
        {
          rule: GATEWAY_IDENTITY,
          path: fieldPath(ctx.workload.metaPath, "labels", GATEWAY_LABEL),
          message: `the pod carries the gateway's label ${GATEWAY_LABEL}, but the policy names no gateway image (spec.runtime.gateway.image), so no pod may carry it`,
        },
      ];
    return ctx.workload.containers
      .filter((ref) => !isGatewayImage(ref.container.image, gatewayImage))
      .map((ref) => ({
        rule: GATEWAY_IDENTITY,
        path: fieldPath(ref.path, "image"),
        message: `the pod carries the gateway's label ${GATEWAY_LABEL}, so ${containerLabel(ref)} must run the gateway image ${gatewayImage.familiar}, not ${JSON.stringify(ref.container.image ?? null)}`,
      }));
  },
};

export const runtimeRules: readonly Rule[] = [gatewayRequired, gatewayIdentity];
