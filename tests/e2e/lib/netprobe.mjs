// Small network probes that run inside a test namespace (`ip netns exec <ns> node netprobe.mjs
// ...`), for measuring what a test link does. Each prints one JSON line when done.
//
//   echo <port>                            UDP echo server (prints {"listening":port}, runs until killed)
//   ping <host> <port> <count> <everyMs>   UDP probes; {sent, received, rttsMs} (sorted)
//   sink <port>                            TCP server; after the first connection closes:
//                                          {bytes, ms} from its first byte to its end
//   blast <host> <port> <seconds>          TCP client that writes as fast as it can, then closes
import dgram from 'node:dgram';
import net from 'node:net';

// Replies later than this after the last probe count as lost.
const kPingGraceMs = 2000;

const [mode, ...args] = process.argv.slice(2);
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');

if (mode === 'echo') {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, r) => s.send(m, r.port, r.address));
  s.bind(Number(args[0]), () => print({ listening: Number(args[0]) }));
} else if (mode === 'ping') {
  const [host, port, count, everyMs] = [args[0], Number(args[1]), Number(args[2]), Number(args[3])];
  const s = dgram.createSocket('udp4');
  const sentAt = new Map();
  const rtts = [];
  s.on('message', (m) => {
    const seq = m.readUInt32BE(0);
    if (!sentAt.has(seq)) return;
    rtts.push(Number(process.hrtime.bigint() - sentAt.get(seq)) / 1e6);
    sentAt.delete(seq);
  });
  let seq = 0;
  const timer = setInterval(() => {
    const b = Buffer.alloc(64);
    b.writeUInt32BE(seq, 0);
    sentAt.set(seq, process.hrtime.bigint());
    s.send(b, port, host);
    if (++seq === count) {
      clearInterval(timer);
      setTimeout(() => {
        print({ sent: count, received: rtts.length, rttsMs: rtts.sort((x, y) => x - y) });
        s.close();
      }, kPingGraceMs);
    }
  }, everyMs);
} else if (mode === 'sink') {
  const server = net.createServer((c) => {
    let bytes = 0;
    let t0 = 0;
    c.on('data', (d) => {
      if (bytes === 0) t0 = performance.now();
      bytes += d.length;
    });
    c.on('close', () => {
      print({ bytes, ms: performance.now() - t0 });
      server.close();
    });
  });
  server.listen(Number(args[0]), () => print({ listening: Number(args[0]) }));
} else if (mode === 'blast') {
  const [host, port, seconds] = [args[0], Number(args[1]), Number(args[2])];
  const chunk = Buffer.alloc(64 * 1024, 7);
  const c = net.connect(port, host, () => {
    const end = Date.now() + seconds * 1000;
    const pump = () => {
      while (Date.now() < end) {
        if (!c.write(chunk)) return void c.once('drain', pump);
      }
      c.end(() => print({ done: true }));
    };
    pump();
  });
} else {
  console.error(`netprobe: unknown mode ${mode}`);
  process.exit(2);
}
