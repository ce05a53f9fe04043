#!/usr/bin/env node
// Reference servers for load.mjs --floor-baselines: what an HTTP request with the mnist body costs in node:http alone
// and in a bare Fastify app, against rnnkit-serve's own floor (the same body answered 404 by a route that runs no
// model). Each reads the body, parses it as JSON and answers 404 with a one-field JSON object, on loopback, and
// serves the one metric load.mjs reads (process CPU seconds) at GET /metrics.
//   node scripts/floor-servers.mjs node|fastify
import http from 'node:http';
import Fastify from 'fastify';

const kind = process.argv[2];
const cpuMetric = () => {
  const { user, system } = process.cpuUsage();
  return `rnnkit_process_cpu_seconds_total ${(user + system) / 1e6}\n`;
};
const listening = (port) => console.log(`${kind} floor server listening on http://127.0.0.1:${port}`);

if (kind === 'node') {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      res.end(cpuMetric());
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      let answer;
      try {
        answer = JSON.stringify({ error: `no model for a body of ${Object.keys(JSON.parse(body)).length} field(s)` });
      } catch {
        answer = '{"error":"not valid JSON"}';
      }
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(answer) });
      res.end(answer);
    });
  });
  server.listen(0, '127.0.0.1', () => listening(server.address().port));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else if (kind === 'fastify') {
  const app = Fastify();
  app.get('/metrics', async () => cpuMetric());
  app.post('/v1/:name/predict', async (req, reply) => reply.code(404).send({ error: `no model for a body of ${Object.keys(req.body ?? {}).length} field(s)` }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  listening(app.server.address().port);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
} else {
  console.error('floor-servers: give node or fastify');
  process.exit(1);
}
