import { parseImageReference, type ImageReference } from "./image-reference.ts";

/**
 * What the runtime gateway's pods and the servers behind them agree on, shared by the rules
 * (`rules/runtime.ts`) and the generator (`policies/deployment/`).
 */

/**
 * The gateway's identity label (its value: the name of the server it fronts). Servers admit
 * ingress only from pods carrying it, and `runtime/gateway-identity` lets only the policy's
 * gateway image carry it.
 */
export const GATEWAY_LABEL = "mcp-warden.dev/gateway-for";

/** Where the bridge's emptyDir is mounted, read-only, in a stdio server's container. */
export const BRIDGE_DIR = "/mcp-warden";
/** The bridge executable the server container runs. */
export const BRIDGE_PATH = `${BRIDGE_DIR}/bridge`;

/**
 * Whether `image` is the gateway image: the same repository and digest (a tag beside the digest
 * changes nothing). An unpinned or unparsable reference is never the gateway.
 */
export function isGatewayImage(
  image: string | undefined,
  gateway: ImageReference | undefined,
): boolean {
  if (image === undefined || gateway?.digest === undefined) return false;
  const parsed = parseImageReference(image);
  return parsed.ok && parsed.value.name === gateway.name && parsed.value.digest === gateway.digest;
}

/**
 * Where the mcp-warden image holds the self-contained bridge executable; the init container of a
 * stdio server's pod runs `<this> --install BRIDGE_PATH`.
 */
export const BRIDGE_IN_IMAGE = "/usr/local/bin/mcp-warden-bridge";
