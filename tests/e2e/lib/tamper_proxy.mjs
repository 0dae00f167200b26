// A hostile signalling path for e2e.tamper: proxies HTTP and the /ws WebSocket to the real
// ferry-server and flips one bit in the first sealed relay payload (kind 3) it carries, as a
// malicious server would. Usage: node tamper_proxy.mjs LISTEN_HOST LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT
import http from 'node:http';

import { WebSocket, WebSocketServer } from 'ws';

const [host, port, upHost, upPort] = process.argv.slice(2);
let tampered = 0;

const server = http.createServer((req, res) => {
  const up = http.request({ host: upHost, port: upPort, path: req.url, method: req.method, headers: req.headers }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on('error', () => { res.writeHead(502); res.end(); });
  req.pipe(up);
});

const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => [...protocols][0] });
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (client) => {
    const upstream = new WebSocket(`ws://${upHost}:${upPort}${req.url}`, client.protocol);
    const pending = [];
    upstream.on('open', () => { for (const m of pending) upstream.send(m); pending.length = 0; });
    client.on('message', (data, isBinary) => {
      const m = isBinary ? data : data.toString();
      if (upstream.readyState === WebSocket.OPEN) upstream.send(m); else pending.push(m);
    });
    upstream.on('message', (data) => {
      let text = data.toString();
      try {
        const env = JSON.parse(text);
        if (env.type === 'relay' && tampered === 0) {
          const bytes = Buffer.from(env.payload, 'base64url');
          if (bytes[0] === 3) {
            bytes[bytes.length - 1] ^= 0x01;
            env.payload = bytes.toString('base64url');
            text = JSON.stringify(env);
            tampered += 1;
            console.log('tampered with one sealed relay message');
          }
        }
      } catch { /* not JSON: pass through */ }
      client.send(text);
    });
    const close = () => { client.close(); upstream.close(); };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  });
});
server.listen(Number(port), host, () => console.log(`tamper proxy listening on ${host}:${port}`));
