// A man in the middle of the signalling path: proxies HTTP and the /ws WebSocket to the real
// ferry-server. Mode "tamper" (e2e.tamper) flips one bit in the first sealed relay payload
// (kind 3) it carries, as a malicious server would. Mode "record:FILE" (e2e.server_relay)
// changes nothing and appends every binary message, in both directions, to FILE: all that the
// server's data relay saw.
// Usage: node tamper_proxy.mjs LISTEN_HOST LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT [MODE]
import fs from 'node:fs';
import http from 'node:http';

import { WebSocket, WebSocketServer } from 'ws';

const [host, port, upHost, upPort, mode = 'tamper'] = process.argv.slice(2);
const recordTo = mode.startsWith('record:') ? fs.openSync(mode.slice(7), 'a') : null;
let tampered = recordTo === null ? 0 : -1;  // -1: never tamper
let recorded = 0;
function record(data) {
  fs.writeSync(recordTo, data);
  recorded += data.length;
}

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
      if (isBinary && recordTo !== null) record(data);
      const m = isBinary ? data : data.toString();
      if (upstream.readyState === WebSocket.OPEN) upstream.send(m); else pending.push(m);
    });
    upstream.on('message', (data, isBinary) => {
      if (isBinary) {
        if (recordTo !== null) record(data);
        client.send(data);
        return;
      }
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
server.listen(Number(port), host, () => console.log(`${mode.replace(/:.*/, '')} proxy listening on ${host}:${port}`));
process.on('SIGTERM', () => {
  console.log(`recorded ${recorded} bytes`);
  process.exit(0);
});
