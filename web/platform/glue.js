// Ferry's JS glue (--pre-js): the browser objects the C++ client uses, held by integer handle.
//
// C++ calls these through emscripten::val (Module.ferryGlue.*). Every browser event goes back
// into C++ through one exported Embind function, Module.ferryEvent(handle, kind, text, bytes),
// which only queues it; the frame loop drains the queue. Promise rejections become events of
// kind 'error' with the message, never just console output. Deleting a handle removes every
// listener, so late events of a closed object never reach C++.
'use strict';
Module['ferryGlue'] = (function () {
  const objects = new Map();  // handle -> {obj, kind}
  let nextHandle = 1;

  function emit(handle, kind, text, bytes) {
    if (!objects.has(handle) && kind !== 'closed') return;  // deleted: drop late events
    Module['ferryEvent'](handle, kind, text || '', bytes || new Uint8Array(0));
  }
  function add(obj, kind) {
    const h = nextHandle++;
    objects.set(h, { obj, kind });
    return h;
  }
  function get(h) {
    const e = objects.get(h);
    return e ? e.obj : null;
  }
  function errorText(e) {
    if (!e) return 'unknown error';
    return (e.name ? e.name + ': ' : '') + (e.message || String(e));
  }

  function chain(pc, step) {
    pc.ferryChain = (pc.ferryChain || Promise.resolve()).then(step);
  }

  function bindChannel(dc) {
    dc.binaryType = 'arraybuffer';
    const h = add(dc, 'dc');
    dc.onopen = () => emit(h, 'open');
    dc.onmessage = (ev) => {
      if (typeof ev.data === 'string') emit(h, 'text', ev.data);
      else emit(h, 'binary', '', new Uint8Array(ev.data));
    };
    dc.onbufferedamountlow = () => emit(h, 'buffered_low');
    dc.onerror = (ev) => emit(h, 'error', ev && ev.error ? errorText(ev.error) : 'data channel error');
    dc.onclose = () => { emit(h, 'closed'); objects.delete(h); };
    return h;
  }

  // --- files, gestures, quota helpers -----------------------------------------------------
  const overlays = new Map();           // widget id -> DOM element over it
  const gestureActions = new Map();     // widget id -> {action, arg}
  const pendingSaveHandles = new Map(); // file name -> FileSystemFileHandle chosen by the user

  function registerFiles(list) {
    const out = [];
    for (const f of list) out.push({ h: add(f, 'file'), name: f.name, size: f.size, type: f.type || '' });
    if (out.length) Module['ferryEvent'](0, 'files', JSON.stringify(out), new Uint8Array(0));
  }
  function gesture(id) {
    const a = gestureActions.get(id);
    if (a && a.action === 'copy') {
      navigator.clipboard.writeText(a.arg)
        .then(() => Module['ferryEvent'](0, 'copied', id, new Uint8Array(0)))
        .catch((e) => Module['ferryEvent'](0, 'gesture_error', id + ' ' + errorText(e), new Uint8Array(0)));
    } else if (a && a.action === 'save_picker') {
      window.showSaveFilePicker({ suggestedName: a.arg })
        .then((fh) => { pendingSaveHandles.set(a.arg, fh); Module['ferryEvent'](0, 'save_chosen', a.arg, new Uint8Array(0)); })
        .catch((e) => Module['ferryEvent'](0, 'gesture_error', id + ' ' + errorText(e), new Uint8Array(0)));
    }
    Module['ferryEvent'](0, 'gesture', id, new Uint8Array(0));
  }
  function quotaText(e) {
    if (e && (e.name === 'QuotaExceededError' || /quota/i.test(e.message || ''))) {
      return 'quota: this browser has no more storage for this site';
    }
    return errorText(e);
  }
  document.addEventListener('dragover', (ev) => { ev.preventDefault(); });
  document.addEventListener('drop', (ev) => {
    ev.preventDefault();
    if (ev.dataTransfer && ev.dataTransfer.files) registerFiles(ev.dataTransfer.files);
  });

  return {
    // --- WebSocket ----------------------------------------------------------------------
    // Events: open, text, binary, error, closed (text = "code reason").
    wsOpen(url, protocol) {
      let ws;
      try {
        ws = new WebSocket(url, protocol);
      } catch (e) {
        const h = add(null, 'ws');
        setTimeout(() => emit(h, 'error', errorText(e)), 0);
        return h;
      }
      ws.binaryType = 'arraybuffer';
      const h = add(ws, 'ws');
      ws.onopen = () => emit(h, 'open');
      ws.onmessage = (ev) => {
        if (typeof ev.data === 'string') emit(h, 'text', ev.data);
        else emit(h, 'binary', '', new Uint8Array(ev.data));
      };
      ws.onerror = () => emit(h, 'error', 'connection to the server failed');
      ws.onclose = (ev) => {
        emit(h, 'closed', ev.code + ' ' + (ev.reason || ''));
        objects.delete(h);
      };
      return h;
    },
    wsSend(h, text) {
      const ws = get(h);
      if (!ws || ws.readyState !== 1) return false;
      ws.send(text);
      return true;
    },
    wsClose(h, code, reason) {
      const ws = get(h);
      objects.delete(h);
      if (ws) {
        ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
        try { ws.close(code, reason); } catch (e) { /* already closing */ }
      }
    },

    // --- RTCPeerConnection ---------------------------------------------------------------
    // Events on a pc handle: local_description (JSON {type,sdp}), ice (candidate JSON, '' when
    // gathering ends), state (connectionState), datachannel (text = new channel handle),
    // path (text = "host"|"srflx"|"prflx"|"relay" of the selected pair), error.
    pcCreate(iceServersJson) {
      let pc;
      const h = add(null, 'pc');
      try {
        pc = new RTCPeerConnection({ iceServers: JSON.parse(iceServersJson || '[]') });
      } catch (e) {
        setTimeout(() => emit(h, 'error', errorText(e)), 0);
        return h;
      }
      objects.get(h).obj = pc;
      pc.onicecandidate = (ev) => emit(h, 'ice', ev.candidate ? JSON.stringify(ev.candidate.toJSON()) : '');
      pc.onconnectionstatechange = () => emit(h, 'state', pc.connectionState);
      pc.ondatachannel = (ev) => emit(h, 'datachannel', String(bindChannel(ev.channel)));
      return h;
    },
    pcCreateOffer(h, iceRestart) {
      const pc = get(h);
      if (!pc) return;
      pc.createOffer({ iceRestart: !!iceRestart })
        .then((o) => pc.setLocalDescription(o))
        .then(() => emit(h, 'local_description', JSON.stringify(pc.localDescription.toJSON())))
        .catch((e) => emit(h, 'error', 'createOffer: ' + errorText(e)));
    },
    // Remote descriptions and candidates are applied in arrival order on one promise chain:
    // a candidate that arrives while setRemoteDescription is still running must wait for it.
    pcSetRemote(h, json) {
      const pc = get(h);
      if (!pc) return;
      let desc;
      try { desc = JSON.parse(json); } catch (e) { emit(h, 'error', 'bad description'); return; }
      chain(pc, () => pc.setRemoteDescription(desc)
        .then(() => {
          if (desc.type !== 'offer') return null;
          return pc.createAnswer()
            .then((a) => pc.setLocalDescription(a))
            .then(() => emit(h, 'local_description', JSON.stringify(pc.localDescription.toJSON())));
        })
        .catch((e) => emit(h, 'error', 'setRemoteDescription: ' + errorText(e))));
    },
    pcAddIce(h, json) {
      const pc = get(h);
      if (!pc) return;
      let cand;
      try { cand = json ? JSON.parse(json) : null; } catch (e) { emit(h, 'error', 'bad candidate'); return; }
      chain(pc, () => pc.addIceCandidate(cand).catch((e) => emit(h, 'error', 'addIceCandidate: ' + errorText(e))));
    },
    // The remote a=max-message-size (0 = unknown yet).
    pcMaxMessageSize(h) {
      const pc = get(h);
      return pc && pc.sctp ? pc.sctp.maxMessageSize : 0;
    },
    pcQueryPath(h) {
      const pc = get(h);
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
        const types = [local && local.candidateType, remote && remote.candidateType];
        emit(h, 'path', types.includes('relay') ? 'relay' : types.includes('srflx') || types.includes('prflx') ? 'srflx' : 'host');
      }).catch((e) => emit(h, 'error', 'getStats: ' + errorText(e)));
    },
    pcClose(h) {
      const pc = get(h);
      objects.delete(h);
      if (pc) {
        pc.onicecandidate = pc.onconnectionstatechange = pc.ondatachannel = null;
        try { pc.close(); } catch (e) { /* closed already */ }
      }
    },

    // --- RTCDataChannel -------------------------------------------------------------------
    // Events on a dc handle: open, binary, text, buffered_low, closed, error.
    dcCreate(pcHandle, label) {
      const pc = get(pcHandle);
      if (!pc) return 0;
      return bindChannel(pc.createDataChannel(label, { ordered: true }));
    },
    dcSend(h, bytes) {  // bytes: a view onto wasm memory; the browser copies it synchronously
      const dc = get(h);
      if (!dc || dc.readyState !== 'open') return false;
      try { dc.send(bytes); } catch (e) { emit(h, 'error', 'send: ' + errorText(e)); return false; }
      return true;
    },
    dcBuffered(h) {
      const dc = get(h);
      return dc ? dc.bufferedAmount : 0;
    },
    dcSetLowThreshold(h, bytes) {
      const dc = get(h);
      if (dc) dc.bufferedAmountLowThreshold = bytes;
    },
    dcClose(h) {
      const dc = get(h);
      objects.delete(h);
      if (dc) {
        dc.onopen = dc.onmessage = dc.onclose = dc.onerror = dc.onbufferedamountlow = null;
        try { dc.close(); } catch (e) { /* closed already */ }
      }
    },

    // --- files to send ----------------------------------------------------------------------
    // Chosen files become handles. Event on handle 0: files (JSON [{h,name,size,type}]).
    // fileRead answers with read (text = request id, bytes) or read_error ("id message").
    fileRead(h, offset, length, requestId) {
      const f = get(h);
      if (!f) { setTimeout(() => emit(h, 'read_error', requestId + ' the file is no longer available'), 0); return; }
      f.slice(offset, offset + length).arrayBuffer()
        .then((buf) => emit(h, 'read', String(requestId), new Uint8Array(buf)))
        .catch((e) => emit(h, 'read_error', requestId + ' ' + errorText(e)));
    },
    fileRelease(h) { objects.delete(h); },

    // --- user-gesture overlays -----------------------------------------------------------
    // Safari allows pickers and clipboard only inside the event handler, so the ImGui buttons
    // that need one get a transparent DOM element placed over their rectangle (CSS pixels).
    // kind: 'files' (a file input), 'button' (click event: gesture on handle 0, text = id).
    overlay(id, kind, x, y, w, h, visible) {
      let el = overlays.get(id);
      if (!el) {
        if (kind === 'files') {
          el = document.createElement('input');
          el.type = 'file';
          el.multiple = true;
          el.addEventListener('change', () => { registerFiles(el.files); el.value = ''; });
        } else {
          el = document.createElement('button');
          el.addEventListener('click', () => gesture(id));
        }
        el.className = 'ferry-overlay';
        el.setAttribute('aria-label', id);
        el.dataset.ferryWidget = id;
        document.body.appendChild(el);
        overlays.set(id, el);
      }
      el.style.display = visible ? 'block' : 'none';
      el.style.left = x + 'px';
      el.style.top = y + 'px';
      el.style.width = w + 'px';
      el.style.height = h + 'px';
    },
    // Runs the action a gesture asked for, inside the same event handler (see gesture()).
    setGestureAction(id, action, arg) { gestureActions.set(id, { action, arg }); },

    // --- saving ---------------------------------------------------------------------------
    // Modes, best first: 'fsa' (File System Access: the user picks where), 'opfs' (the
    // browser's private disk, then a download), 'memory' (a Blob in RAM: small files only).
    saveModes() {
      const modes = [];
      if (window.isSecureContext && window.showSaveFilePicker) modes.push('fsa');
      if (window.isSecureContext && navigator.storage && navigator.storage.getDirectory) modes.push('opfs');
      modes.push('memory');
      return modes.join(',');
    },
    // Opens a sink; events: sink_ready, written (text = request id), sink_read (id, bytes),
    // sink_error (message; with "quota" when storage is full), saved (download offered).
    sinkOpen(mode, name, size) {
      const h = add({ mode, name, size, parts: [], writable: null, file: null }, 'sink');
      const s = get(h);
      const fail = (e) => emit(h, 'sink_error', quotaText(e));
      if (mode === 'opfs') {
        navigator.storage.getDirectory()
          .then((dir) => dir.getDirectoryHandle('ferry-incoming', { create: true }))
          .then((dir) => dir.getFileHandle(name, { create: true }))
          .then((fh) => { s.file = fh; return fh.createWritable({ keepExistingData: true }); })
          .then((w) => { s.writable = w; emit(h, 'sink_ready'); })
          .catch(fail);
      } else if (mode === 'fsa') {
        const fh = pendingSaveHandles.get(name);
        if (!fh) { setTimeout(() => emit(h, 'sink_error', 'no save location was chosen'), 0); return h; }
        pendingSaveHandles.delete(name);
        s.file = fh;
        fh.createWritable({ keepExistingData: true })
          .then((w) => { s.writable = w; emit(h, 'sink_ready'); })
          .catch(fail);
      } else {
        setTimeout(() => emit(h, 'sink_ready'), 0);
      }
      return h;
    },
    sinkWrite(h, offset, bytes, requestId) {
      const s = get(h);
      if (!s) return;
      const copy = bytes.slice();  // bytes is a view onto wasm memory: copy before going async
      if (!s.writable) {
        s.parts.push({ offset, data: copy });
        setTimeout(() => emit(h, 'written', String(requestId)), 0);
        return;
      }
      s.writable.write({ type: 'write', position: offset, data: copy })
        .then(() => emit(h, 'written', String(requestId)))
        .catch((e) => emit(h, 'sink_error', quotaText(e)));
    },
    // Finishes the file: commits the writable; for opfs and memory offers a download.
    sinkFinish(h) {
      const s = get(h);
      if (!s) return;
      const done = () => emit(h, 'finished');
      if (s.writable) {
        s.writable.close().then(() => { s.writable = null; done(); })
          .catch((e) => emit(h, 'sink_error', quotaText(e)));
      } else {
        done();
      }
    },
    // Offers the finished file as a download (inside a user gesture where possible).
    sinkDownload(h) {
      const s = get(h);
      if (!s) return;
      const start = (blob) => {
        const a = document.createElement('a');
        a.href = URL.createObjectURL(blob);
        a.download = s.name;
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 60000);
        emit(h, 'saved');
      };
      if (s.mode === 'memory') {
        s.parts.sort((p, q) => p.offset - q.offset);
        start(new Blob(s.parts.map((p) => p.data)));
      } else if (s.mode === 'opfs') {
        s.file.getFile().then(start).catch((e) => emit(h, 'sink_error', errorText(e)));
      } else {
        emit(h, 'saved');  // fsa: the file is already where the user chose
      }
    },
    sinkAbort(h) {
      const s = get(h);
      objects.delete(h);
      if (s && s.writable) s.writable.abort().catch(() => {});
    },

    // --- page ---------------------------------------------------------------------------
    location() {
      return { origin: location.origin, path: location.pathname, search: location.search, hash: location.hash };
    },
    // The fragment holds the link secret: remove it from the address bar and history once read.
    clearFragment() {
      history.replaceState(null, '', location.pathname + location.search);
    },
    announce(text) {  // the ARIA live region mirrors state and progress for screen readers
      const el = document.getElementById('ferry-live');
      if (el && el.textContent !== text) el.textContent = text;
    },
    now() { return performance.now(); },
    releaseAll() { objects.clear(); },
  };
})();
