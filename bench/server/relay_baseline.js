// Baseline for the server benchmark: a minimal Node `ws` relay speaking the same ferry.v1 subset
// the benchmark uses (create, join by token, relay), with no limits, no validation beyond
// JSON.parse and no expiry. It is what "the simplest possible relay" costs, to compare against.
'use strict';
const { WebSocketServer } = require('ws');
const crypto = require('crypto');

const port = Number(process.argv[2] || 0);
const wss = new WebSocketServer({ host: '127.0.0.1', port, handleProtocols: () => 'ferry.v1' });
const rooms = new Map(); // room id -> { token, peers: [ws, ws] }

wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    let m;
    try { m = JSON.parse(data); } catch { return; }
    if (m.type === 'create') {
      const room = crypto.randomBytes(15).toString('base64url');
      const token = crypto.randomBytes(24).toString('base64url');
      rooms.set(room, { token, peers: [ws, null] });
      ws.room = rooms.get(room);
      ws.slot = 0;
      ws.send(JSON.stringify({ v: 1, type: 'created', room, token, nameplate: '1', expires: 0, resume: token, ice_servers: [] }));
    } else if (m.type === 'join') {
      const r = rooms.get(m.room);
      if (!r || r.token !== m.token || r.peers[1]) return ws.send('{"v":1,"type":"error","code":"join_refused","message":""}');
      r.peers[1] = ws;
      ws.room = r;
      ws.slot = 1;
      ws.send(JSON.stringify({ v: 1, type: 'joined', room: m.room, resume: m.token, expires: 0, creator: false, peer: true, ice_servers: [] }));
      if (r.peers[0]) r.peers[0].send('{"v":1,"type":"peer_joined"}');
    } else if (m.type === 'relay') {
      const other = ws.room && ws.room.peers[1 - ws.slot];
      if (other) other.send(JSON.stringify({ v: 1, type: 'relay', payload: m.payload }));
    }
  });
  ws.on('close', () => {
    if (!ws.room) return;
    ws.room.peers[ws.slot] = null;
    const other = ws.room.peers[1 - ws.slot];
    if (other) other.send('{"v":1,"type":"peer_left"}');
  });
});
wss.on('listening', () => console.log(`event=listening address=127.0.0.1 port=${wss.address().port}`));
process.on('SIGTERM', () => process.exit(0));
