// Loaded with `node --import` into server-everything: every HTTP server it creates also answers
// over TLS on MCP_WARDEN_BENCH_TLS_PORT, with the same request handler in the same process. The
// bench calls the server directly over TLS, like for like with the gateway's TLS, while the
// gateway calls it over plain HTTP, as it does in its own pod next to the server's.
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";

const port = Number(process.env.MCP_WARDEN_BENCH_TLS_PORT);
const tls = {
  key: readFileSync(process.env.MCP_WARDEN_BENCH_TLS_KEY ?? ""),
  cert: readFileSync(process.env.MCP_WARDEN_BENCH_TLS_CERT ?? ""),
};
const createServer = http.createServer;
http.createServer = function (this: unknown, ...args: unknown[]) {
  const server = (createServer as (...a: unknown[]) => http.Server).apply(this, args);
  const handler = args.find((a) => typeof a === "function") as http.RequestListener;
  https.createServer(tls, handler).listen(port, "127.0.0.1", () => {
    process.stderr.write(`TLS listening on port ${port}\n`);
  });
  return server;
};
