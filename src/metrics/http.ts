// The metrics endpoint: GET /metrics (Prometheus text) and GET /healthz, on node:http, separate from the RESP port.
import * as http from "node:http";

export interface MetricsEndpoint {
  port: number;
  close(): Promise<void>;
}

export function serveMetrics(host: string, port: number, render: () => string, healthy: () => boolean): Promise<MetricsEndpoint> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    if (url === "/metrics") {
      const body = render();
      res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" }).end(req.method === "HEAD" ? undefined : body);
    } else if (url === "/healthz") {
      const ok = healthy();
      res.writeHead(ok ? 200 : 503, { "Content-Type": "text/plain" }).end(ok ? "ok\n" : "unhealthy\n");
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
    }
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const addr = server.address() as { port: number };
      resolve({
        port: addr.port,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
