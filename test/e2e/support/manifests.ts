import { readFileSync } from "node:fs";
import type { KubernetesObject, KubernetesObjectApi } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { compliantPodSpec } from "../../support/policies.ts";

const root = new URL("../../../", import.meta.url);

/** Every document of a YAML file in the repository (`deploy/rbac.yaml`). */
export function readYaml(path: string): KubernetesObject[] {
  return parseAllDocuments(readFileSync(new URL(path, root), "utf8"))
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
}

/** Registers the shipped ValidatingWebhookConfiguration, pointed at a webhook on loopback. */
export async function registerWebhook(
  objects: KubernetesObjectApi,
  url: string,
  caPem: string,
): Promise<void> {
  const [vwc] = readYaml("deploy/webhook.yaml") as (KubernetesObject & {
    webhooks: { clientConfig: unknown }[];
  })[];
  for (const hook of vwc!.webhooks) {
    hook.clientConfig = { url, caBundle: Buffer.from(caPem).toString("base64") };
  }
  await objects.create(vwc!);
}

/** A Deployment of one pod template, labelled `app: name`. */
export function deployment(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  annotations?: Record<string, string>,
): KubernetesObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, ...(annotations ? { annotations } : {}) },
        spec,
      },
    },
  } as KubernetesObject;
}

/** compliantPodSpec() without resource limits: denied by sandbox/resource-limits. */
export function withoutLimits(): Record<string, unknown> {
  const spec = compliantPodSpec();
  for (const c of spec.containers as Record<string, unknown>[]) delete c.resources;
  return spec;
}
