import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/**
 * The proxy's requests to the server it fronts, over a pool of kept-alive connections: a new
 * TCP (or TLS) connection per call would be paid on every call. Node's own HTTP client, whose
 * answer is a Node stream the proxy pipes on as it arrives (no web-stream adapter on the path).
 */
export interface UpstreamRequester {
  /** Resolves with the server's answer once its headers are in; its body is still streaming. */
  send(
    method: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
    signal: AbortSignal,
  ): Promise<IncomingMessage>;
  /** Closes the idle connections. */
  close(): void;
}

export function upstreamRequester(upstream: URL): UpstreamRequester {
  const tls = upstream.protocol === "https:";
  // LIFO: a burst's connections are reused from the warmest, the rest age out when idle.
  // No Nagle delay: a small request is sent at once, not held for the previous one's ACK.
  const options = {
    keepAlive: true,
    noDelay: true,
    scheduling: "lifo" as const,
    maxFreeSockets: 256,
  };
  const agent = tls ? new HttpsAgent(options) : new HttpAgent(options);
  const request = tls ? httpsRequest : httpRequest;
  // Computed once: a URL given to request() is converted again on every call.
  const target = {
    protocol: upstream.protocol,
    hostname: upstream.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: upstream.port === "" ? (tls ? 443 : 80) : Number(upstream.port),
    path: `${upstream.pathname}${upstream.search}`,
  };
  return {
    send: (method, headers, body, signal) =>
      new Promise((resolve, reject) => {
        const req = request({
          ...target,
          method,
          agent,
          headers: body === undefined ? headers : { ...headers, "content-length": body.length },
        });
        // A listener of its own rather than request()'s `signal` option, which watches the
        // request's end with a stream helper on every call.
        const abort = () => req.destroy(new Error("the request was aborted"));
        if (signal.aborted) abort();
        else {
          signal.addEventListener("abort", abort, { once: true });
          req.once("close", () => signal.removeEventListener("abort", abort));
        }
        req.once("response", resolve);
        req.once("error", reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}
