/**
 * A TCP proxy on loopback in front of a real server (a registry, an API server), whose behaviour a
 * test switches while clients use it: pass bytes through, refuse (connections reset at once),
 * down (nothing listens: connection refused), hang (accepted and never answered, as a server
 * stuck past every deadline), or flap (every other connection reset). The port stays the same
 * throughout, so clients recover from the fault on the address they already hold.
 *
 *   const proxy = await startFaultProxy(registry.host);
 *   proxy.set("hang"); ... proxy.set("pass");
 */
import { createServer, Socket, type AddressInfo, type Server } from "node:net";

export type FaultMode = "pass" | "refuse" | "down" | "hang" | "flap";

export interface FaultProxy {
  /** `127.0.0.1:PORT` */
  host: string;
  port: number;
  mode(): FaultMode;
  /** Switches behaviour for new connections; open ones are cut unless the new mode is "pass". */
  set(mode: FaultMode): Promise<void>;
  /** Connections accepted so far (not counting "down", where none are). */
  connections(): number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const [targetHost = "127.0.0.1", targetPort = ""] = target.split(":");
  const open = new Set<Socket>();
  let mode: FaultMode = "pass";
  let accepted = 0;
  let server: Server;

  const onConnection = (client: Socket): void => {
    accepted++;
    open.add(client);
    client.on("close", () => open.delete(client));
    client.on("error", () => client.destroy());
    if (mode === "refuse" || (mode === "flap" && accepted % 2 === 0)) {
      client.resetAndDestroy();
      return;
    }
    if (mode === "hang") return; // held open, never answered, until the mode changes
    const upstream = new Socket();
    open.add(upstream);
    upstream.on("close", () => {
      open.delete(upstream);
      client.destroy();
    });
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.connect(Number(targetPort), targetHost, () => {
      client.pipe(upstream);
      upstream.pipe(client);
    });
  };

  const listen = (port: number): Promise<Server> =>
    new Promise((resolve, reject) => {
      const s = createServer(onConnection);
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => resolve(s));
    });
  const stopListening = (): Promise<void> =>
    new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));

  server = await listen(0);
  const port = (server.address() as AddressInfo).port;

  return {
    host: `127.0.0.1:${port}`,
    port,
    mode: () => mode,
    async set(next) {
      const was = mode;
      mode = next;
      if (next !== "pass") for (const s of open) s.destroy();
      if (next === "down" && was !== "down") await stopListening();
      if (next !== "down" && was === "down") {
        // Take the port again; another process could grab it meanwhile, which a loopback test
        // would see at once as a failure to listen.
        server = await listen(port);
      }
    },
    connections: () => accepted,
    async close() {
      for (const s of open) s.destroy();
      await stopListening();
    },
  };
}
