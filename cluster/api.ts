import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { ApiException, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { errorClass, WardenError } from "../policies/errors.ts";
import { isRecord } from "../policies/guards.ts";

// Plain JSON from the API server. The typed clients of @kubernetes/client-node rename fields
// (`from` → `_from`) and turn timestamps into Dates; the engine reads objects as the API server
// writes them, as a manifest or an AdmissionReview holds them.

export type ClusterErrorCode =
  /** The API server answered with an error status. */
  | "API_ERROR"
  /** The API server could not be reached, or its answer was not JSON. */
  | "API_UNREACHABLE";

/** A failed call to the API server; `status` is the HTTP status when there was an answer. */
export class ClusterError extends errorClass<ClusterErrorCode>("ClusterError") {
  status?: number;
}

/** Bounded: an answer is a page of a list or one object, never unbounded. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const PAGE_SIZE = 500;
const REQUEST_TIMEOUT_MS = 30_000;

/** Items of a list response carry no apiVersion and kind (watch events do): restore them. */
export function withKind(o: KubernetesObject, apiVersion: string, kind: string): KubernetesObject {
  return { ...o, apiVersion: o.apiVersion ?? apiVersion, kind: o.kind ?? kind };
}

/** The API server's own reason from a Status body, else the status line. */
function statusMessage(body: unknown): string {
  let parsed: unknown = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim();
    }
  }
  return isRecord(parsed) && typeof parsed.message === "string" ? parsed.message.trim() : "";
}

/** A short reason: API errors carry the whole response (headers too) in their message. */
export function describeApiError(err: unknown): string {
  if (err instanceof ApiException) {
    const message = statusMessage(err.body);
    return `HTTP ${err.code}${message ? `: ${message}` : ""}`;
  }
  if (err instanceof WardenError && err.problems.length > 0)
    return `${err.message}: ${err.problems.map((p) => `${p.path} ${p.message}`).join("; ")}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

export interface ApiRequest {
  method?: "GET" | "POST" | "PATCH" | "DELETE";
  query?: Record<string, string>;
  body?: unknown;
  contentType?: string;
}

/**
 * One call to the API server with the kubeconfig's credentials; the JSON answer.
 * @throws ClusterError API_ERROR (with `status`) or API_UNREACHABLE
 */
export async function apiRequest(
  kc: KubeConfig,
  path: string,
  req: ApiRequest = {},
): Promise<unknown> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new ClusterError("API_UNREACHABLE", "the kubeconfig names no cluster");
  const url = new URL(server.replace(/\/+$/, "") + path);
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
  const opts: RequestOptions = { method: req.method ?? "GET", headers: {} };
  await kc.applyToHTTPSOptions(opts);
  const body = req.body === undefined ? undefined : JSON.stringify(req.body);
  opts.headers = {
    ...opts.headers,
    accept: "application/json",
    ...(body !== undefined
      ? {
          "content-type": req.contentType ?? "application/json",
          "content-length": Buffer.byteLength(body),
        }
      : {}),
  };
  const send = url.protocol === "http:" ? httpRequest : httpsRequest;
  if (url.protocol === "http:") delete opts.agent;
  const what = `${opts.method} ${url.pathname}`;
  const { status, text } = await new Promise<{ status: number; text: string }>(
    (resolve, reject) => {
      const r = send(url, { ...opts, timeout: REQUEST_TIMEOUT_MS }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy(new Error(`answer larger than ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on("error", reject);
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
      });
      r.on("timeout", () => r.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      r.on("error", reject);
      r.end(body);
    },
  ).catch((err: unknown) => {
    throw new ClusterError(
      "API_UNREACHABLE",
      `${what}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  });
  if (status < 200 || status > 299) {
    const message = statusMessage(text);
    const e = new ClusterError(
      "API_ERROR",
      `${what}: HTTP ${status}${message ? `: ${message}` : ""}`,
    );
    e.status = status;
    throw e;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ClusterError("API_UNREACHABLE", `${what}: the answer is not JSON`, { cause: err });
  }
}

/**
 * Every object of a list, page by page, with apiVersion and kind restored.
 * @throws ClusterError as {@link apiRequest}
 */
export async function listAll(
  kc: KubeConfig,
  path: string,
  apiVersion: string,
  kind: string,
  query: Record<string, string> = {},
): Promise<KubernetesObject[]> {
  const out: KubernetesObject[] = [];
  let cont: string | undefined;
  do {
    const page = await apiRequest(kc, path, {
      query: { ...query, limit: String(PAGE_SIZE), ...(cont ? { continue: cont } : {}) },
    });
    if (!isRecord(page) || !Array.isArray(page.items))
      throw new ClusterError("API_UNREACHABLE", `GET ${path}: the answer is not a list`);
    for (const item of page.items as unknown[]) {
      if (isRecord(item)) out.push(withKind(item, apiVersion, kind));
    }
    const meta = isRecord(page.metadata) ? page.metadata : {};
    cont = typeof meta.continue === "string" && meta.continue !== "" ? meta.continue : undefined;
  } while (cont);
  return out;
}

/** The path of a resource collection: core (`/api/v1`) or a group, cluster-wide or in a namespace. */
export function collectionPath(apiVersion: string, plural: string, namespace?: string): string {
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace === undefined
    ? `${base}/${plural}`
    : `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
}
