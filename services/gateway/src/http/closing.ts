import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";

/**
 * On close, Node ends only the connections idle at that moment; one whose
 * request finishes later would hold the shutdown for its keep-alive time. So
 * idle connections are ended again until the server has closed. Node does
 * not count a connection that has not sent a request yet as idle (it waits
 * for its headers, up to `headersTimeout`): one that never sends any (a port
 * probe, a client's spare connection) held the shutdown for a minute or more.
 * Those are ended too; a request whose headers were still on their way is
 * sent again by the client, to a replica that is not stopping. (The server
 * speaks plain HTTP, so a request's socket is the connection's own.)
 */
export function closeConnectionsAsTheyIdle(app: FastifyInstance): void {
  const unused = new Set<Socket>();
  app.server.on("connection", (socket: Socket) => {
    unused.add(socket);
    socket.once("close", () => unused.delete(socket));
  });
  app.server.on("request", (request: IncomingMessage) => unused.delete(request.socket));

  let sweep: NodeJS.Timeout | undefined;
  app.addHook("preClose", async () => {
    const endIdle = () => {
      app.server.closeIdleConnections();
      for (const socket of unused) socket.destroy();
    };
    endIdle();
    sweep = setInterval(endIdle, 100);
  });
  app.addHook("onClose", async () => clearInterval(sweep));
}
