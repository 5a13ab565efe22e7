// Node.js `http` peer for bench/http: GET /json -> {"message":"Hello, World!"}.
const http = require('http');
const port = +process.argv[2];
http.createServer((req, res) => {
  if (req.url === '/json') {
    const body = JSON.stringify({ message: 'Hello, World!' });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  } else {
    res.writeHead(404);
    res.end('Not Found');
  }
}).listen(port, '127.0.0.1', () => console.log(`listening ${port}`));
