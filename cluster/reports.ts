import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";
import { apiRequest, collectionPath, listAll } from "./api.ts";

/** The field manager of server-side apply, and the label on every object mcp-warden writes. */
export const FIELD_MANAGER = "mcp-warden";
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "mcp-warden" } as const;

export interface NamespacedObject extends KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
}

/**
 * Creates or updates the object by server-side apply: running again replaces what mcp-warden
 * wrote (fields it no longer sets are removed), never duplicates it.
 * @throws ClusterError (404 when the kind's CRD is not installed)
 */
export async function applyObject(
  kc: KubeConfig,
  object: NamespacedObject,
  plural: string,
): Promise<void> {
  const path = `${collectionPath(object.apiVersion, plural, object.metadata.namespace)}/${encodeURIComponent(object.metadata.name)}`;
  await apiRequest(kc, path, {
    method: "PATCH",
    query: { fieldManager: FIELD_MANAGER, force: "true" },
    body: object,
    // JSON is YAML: the apply patch type takes either.
    contentType: "application/apply-patch+yaml",
  });
}

/** The objects of a kind that mcp-warden wrote, in every namespace. */
export async function listManaged(
  kc: KubeConfig,
  apiVersion: string,
  kind: string,
  plural: string,
): Promise<KubernetesObject[]> {
  const selector = Object.entries(MANAGED_BY)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  return listAll(kc, collectionPath(apiVersion, plural), apiVersion, kind, {
    labelSelector: selector,
  });
}
