// Reference echo server for bench/echo: Node `net`, TCP_NODELAY on.
// Usage: node node_echo.js PORT   (binds 127.0.0.1:PORT, serves until killed)
'use strict';
const net = require('net');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node node_echo.js PORT');
  process.exit(2);
}
const server = net.createServer((sock) => {
  sock.setNoDelay(true);
  sock.on('data', (chunk) => sock.write(chunk));
  sock.on('error', () => sock.destroy());
});
server.maxConnections = 1 << 20;
server.listen({ host: '127.0.0.1', port, backlog: 4096 }, () => {
  const a = server.address();
  console.log(`node echo server listening on ${a.address}:${a.port}`);
});
