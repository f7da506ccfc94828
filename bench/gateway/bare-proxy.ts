// The floor under bench/gateway.ts's figures: a reverse proxy that decides nothing, built from the
// parts the gateway is built from (fastify over TLS, the raw body kept, the same kept-alive upstream
// pool, an SSE answer relayed by the gateway's relay with every message kept as it came, any other
// answer piped back), in its own process. What the gateway adds beyond it
// is what authentication, authorization, the schema check, SSE filtering and logging cost; what it
// adds beyond the direct path is the price of a proxy hop in Node itself.
// Configured by MCP_WARDEN_BENCH_GATEWAY (JSON: upstream, certFile, keyFile); tells its port over
// IPC; stops on SIGTERM.
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { fastify } from "fastify";
import { relaySse } from "../../gateway/sse.ts";
import { upstreamRequester } from "../../gateway/upstream-request.ts";

const config = JSON.parse(process.env.MCP_WARDEN_BENCH_GATEWAY ?? "") as {
  upstream: string;
  certFile: string;
  keyFile: string;
};
const upstream = upstreamRequester(new URL(config.upstream));
const app = fastify({
  logger: false,
  https: { key: await readFile(config.keyFile), cert: await readFile(config.certFile) },
});
app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req, body, done) =>
  done(null, body),
);
const PASSED = ["content-type", "accept", "mcp-session-id", "mcp-protocol-version"];
app.route({
  method: ["POST", "GET", "DELETE"],
  url: "/mcp",
  handler: async (request, reply) => {
    const headers: Record<string, string> = {};
    for (const name of PASSED) {
      const v = request.headers[name];
      if (typeof v === "string") headers[name] = v;
    }
    const body = Buffer.isBuffer(request.body) ? request.body : undefined;
    const res = await upstream.send(request.method, headers, body, new AbortController().signal);
    const returned: Record<string, string> = {};
    for (const name of ["content-type", "mcp-session-id"]) {
      const v = res.headers[name];
      if (typeof v === "string") returned[name] = v;
    }
    if (returned["content-type"]?.includes("text/event-stream")) {
      reply.hijack();
      reply.raw.writeHead(res.statusCode ?? 502, returned);
      relaySse(res, reply.raw, {
        onMessage: (m) => m,
        maxEventBytes: 16 * 1024 * 1024,
        onBroken: () => undefined,
        onDone: () => undefined,
      });
      return reply;
    }
    reply.code(res.statusCode ?? 502).headers(returned);
    return reply.send(res);
  },
});
await app.listen({ port: 0, host: "127.0.0.1" });
process.once("SIGTERM", () => {
  void app.close().then(() => process.exit(0));
});
process.send?.({ port: (app.server.address() as AddressInfo).port });
