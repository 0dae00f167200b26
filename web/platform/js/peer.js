// Ferry's JS glue, part 3: RTCPeerConnection (platform/peer_connection.h).
// Events on a pc handle: local_description (JSON {type,sdp}), ice (candidate JSON, '' when
// gathering ends), state (connectionState), datachannel (number = the new channel's handle),
// path ("host"|"srflx"|"relay" of the selected pair; number = its currentRoundTripTime in ms,
// -1 if not known yet), error.
'use strict';
(function (core) {
  function chain(pc, step) {
    pc.ferryChain = (pc.ferryChain || Promise.resolve()).then(step);
  }
  core.provide({
    pcCreate(iceServersJson) {
      let pc;
      const h = core.add(null, 'pc');
      try {
        pc = new RTCPeerConnection({ iceServers: JSON.parse(iceServersJson || '[]') });
      } catch (e) {
        setTimeout(() => core.emit(h, 'error', core.errorText(e)), 0);
        return h;
      }
      core.objects.get(h).obj = pc;
      pc.onicecandidate = (ev) => core.emit(h, 'ice', ev.candidate ? JSON.stringify(ev.candidate.toJSON()) : '');
      pc.onconnectionstatechange = () => core.emit(h, 'state', pc.connectionState);
      pc.ondatachannel = (ev) => core.emit(h, 'datachannel', '', null, core.bindChannel(ev.channel));
      return h;
    },
    pcCreateOffer(h, iceRestart) {
      const pc = core.get(h);
      if (!pc) return;
      pc.createOffer({ iceRestart: !!iceRestart })
        .then((o) => pc.setLocalDescription(o))
        .then(() => core.emit(h, 'local_description', JSON.stringify(pc.localDescription.toJSON())))
        .catch((e) => core.emit(h, 'error', 'createOffer: ' + core.errorText(e)));
    },
    // Remote descriptions and candidates are applied in arrival order on one promise chain:
    // a candidate that arrives while setRemoteDescription is still running must wait for it.
    pcSetRemote(h, json) {
      const pc = core.get(h);
      if (!pc) return;
      let desc;
      try { desc = JSON.parse(json); } catch (e) { core.emit(h, 'error', 'bad description'); return; }
      chain(pc, () => pc.setRemoteDescription(desc)
        .then(() => {
          if (desc.type !== 'offer') return null;
          return pc.createAnswer()
            .then((a) => pc.setLocalDescription(a))
            .then(() => core.emit(h, 'local_description', JSON.stringify(pc.localDescription.toJSON())));
        })
        .catch((e) => core.emit(h, 'error', 'setRemoteDescription: ' + core.errorText(e))));
    },
    pcAddIce(h, json) {
      const pc = core.get(h);
      if (!pc) return;
      let cand;
      try { cand = json ? JSON.parse(json) : null; } catch (e) { core.emit(h, 'error', 'bad candidate'); return; }
      // Remember what the other side said about each address: a check that arrives before its
      // candidate makes the browser call it "prflx" for good (Firefox), which is not a NAT.
      const m = cand && cand.candidate && cand.candidate.match(/ (\S+) (\d+) typ (\w+)/);
      if (m) {
        if (!pc.ferrySignalled) pc.ferrySignalled = new Map();
        pc.ferrySignalled.set(m[1] + ':' + m[2], m[3]);
      }
      chain(pc, () => pc.addIceCandidate(cand).catch((e) => core.emit(h, 'error', 'addIceCandidate: ' + core.errorText(e))));
    },
    // The remote a=max-message-size (0 = unknown yet).
    pcMaxMessageSize(h) {
      const pc = core.get(h);
      return pc && pc.sctp ? pc.sctp.maxMessageSize : 0;
    },
    pcQueryPath(h) {
      const pc = core.get(h);
      if (!pc) return;
      pc.getStats().then((stats) => {
        let pair = null;
        stats.forEach((r) => {
          if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
        });
        if (!pair) stats.forEach((r) => { if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r; });
        if (!pair) return;
        const local = stats.get(pair.localCandidateId);
        const remote = stats.get(pair.remoteCandidateId);
        let remoteType = remote && remote.candidateType;
        if (remoteType === 'prflx' && pc.ferrySignalled) {
          remoteType = pc.ferrySignalled.get(remote.address + ':' + remote.port) || remoteType;
        }
        const types = [local && local.candidateType, remoteType];
        const rttMs = typeof pair.currentRoundTripTime === 'number' ? pair.currentRoundTripTime * 1000 : -1;
        core.emit(h, 'path', types.includes('relay') ? 'relay' : types.includes('srflx') || types.includes('prflx') ? 'srflx' : 'host',
          null, rttMs);
      }).catch((e) => core.emit(h, 'error', 'getStats: ' + core.errorText(e)));
    },
    pcClose(h) {
      const pc = core.get(h);
      core.objects.delete(h);
      if (pc) {
        pc.onicecandidate = pc.onconnectionstatechange = pc.ondatachannel = null;
        try { pc.close(); } catch (e) { /* closed already */ }
      }
    },
  });
})(ferryCore);
