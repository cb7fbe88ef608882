import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

// Baseline for the /jsonsummary bench: a bare node:http server in a process of its own that
// answers every GET with the same bytes (argv[2], one real answer saved by the bench), with no
// database, no routing and no JSON building. Sends {ready: true, port}; {cmd: 'exit'} stops it.

const body = readFileSync(process.argv[2]);
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ ready: true, port: (server.address() as AddressInfo).port });
});
process.on('message', (m: { cmd?: string }) => {
  if (m.cmd === 'exit') server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
