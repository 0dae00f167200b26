// Raw DataChannels for the benchmarks: the ceiling Ferry is measured against. Signalling goes
// through the test process, with ICE gathered before each description is handed over (no
// trickle). Messages are Ferry's chunk frame size with an 8 MiB high-water mark per channel.

// A 64 KiB chunk plus its frame header, nonce and tag (src/app/data_plane.h).
export const kRawMessageBytes = 64 * 1024 + 63;

// In page A: `pcs` connections of `chans` channels each; returns their offers (ICE gathered).
async function rawOffers(pa, pcs, chans) {
  return pa.evaluate(async ({ pcs, chans }) => {
    window.raw = { pcs: [], dcs: [], stop: false };
    const offers = [];
    for (let i = 0; i < pcs; ++i) {
      const pc = new RTCPeerConnection();
      window.raw.pcs.push(pc);
      for (let j = 0; j < chans; ++j) {
        const dc = pc.createDataChannel(`raw${j}`);
        dc.binaryType = 'arraybuffer';
        window.raw.dcs.push(dc);
      }
      const gathered = new Promise((r) => { pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); });
      await pc.setLocalDescription(await pc.createOffer());
      await gathered;
      offers.push(pc.localDescription.toJSON());
    }
    return offers;
  }, { pcs, chans });
}

// In page B: answers, and counts every byte that arrives; the window starts at the first one.
async function rawAnswers(pb, offers, seconds) {
  return pb.evaluate(async ({ offers, seconds }) => {
    window.raw = { pcs: [], got: 0, t0: 0, result: null };
    const onMessage = (m) => {
      if (window.raw.got === 0) {
        window.raw.t0 = performance.now();
        setTimeout(() => { window.raw.result = window.raw.got / 1e6 / ((performance.now() - window.raw.t0) / 1000); }, seconds * 1000);
      }
      window.raw.got += m.data.byteLength;
    };
    const answers = [];
    for (const offer of offers) {
      const pc = new RTCPeerConnection();
      window.raw.pcs.push(pc);
      pc.ondatachannel = (e) => { e.channel.binaryType = 'arraybuffer'; e.channel.onmessage = onMessage; };
      await pc.setRemoteDescription(offer);
      const gathered = new Promise((r) => { pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); });
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered;
      answers.push(pc.localDescription.toJSON());
    }
    return answers;
  }, { offers, seconds });
}

// Raw DataChannels from page `pa` to page `pb` (Playwright pages, or Firefox pages through
// lib/firefox.mjs's shim): `pcs` connections of `chans` channels each, sending as fast as they
// can; returns the MB/s that reached pb over `seconds` from its first byte.
export async function rawRound(pa, pb, pcs, chans, seconds) {
  const offers = await rawOffers(pa, pcs, chans);
  const answers = await rawAnswers(pb, offers, seconds);
  await pa.evaluate(async ({ answers, msg }) => {
    await Promise.all(window.raw.pcs.map((pc, i) => pc.setRemoteDescription(answers[i])));
    await Promise.all(window.raw.dcs.map((dc) => (dc.readyState === 'open' ? null : new Promise((r) => { dc.onopen = r; }))));
    const buf = new Uint8Array(msg);
    for (const dc of window.raw.dcs) {
      dc.bufferedAmountLowThreshold = 2 * 1024 * 1024;
      const fill = () => { while (!window.raw.stop && dc.readyState === 'open' && dc.bufferedAmount < 8 * 1024 * 1024) dc.send(buf); };
      dc.onbufferedamountlow = fill;
      fill();
    }
  }, { answers, msg: kRawMessageBytes });
  await pb.waitForFunction(() => window.raw.result !== null, null, { timeout: (seconds + 120) * 1000, polling: 250 });
  const mbps = await pb.evaluate(() => window.raw.result);
  await pa.evaluate(() => { window.raw.stop = true; window.raw.pcs.forEach((pc) => pc.close()); });
  await pb.evaluate(() => window.raw.pcs.forEach((pc) => pc.close()));
  return mbps;
}

