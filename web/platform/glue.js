// Ferry's JS glue (--pre-js). Emscripten 3.1.6's JS optimiser mangles destructuring in
// for-of loops: use forEach.
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

  // Transfer I/O must not wait for a rendered frame (slow on software GL, none at all in a
  // hidden tab): every event schedules one microtask that lets C++ drain the queue.
  // Counters for benchmarks and diagnosis (bench/throughput reads them).
  const stats = { events: 0, drains: 0, sent: 0, sentBytes: 0, received: 0, receivedBytes: 0, reads: 0 };
  Module['ferryStats'] = stats;
  let drainScheduled = false;
  function scheduleDrain() {
    if (drainScheduled || !Module['ferryDrain']) return;
    drainScheduled = true;
    queueMicrotask(() => {
      drainScheduled = false;
      stats.drains++;
      Module['ferryDrain']();
    });
  }
  function emit(handle, kind, text, bytes) {
    if (!objects.has(handle) && kind !== 'closed') return;  // deleted: drop late events
    stats.events++;
    Module['ferryEvent'](handle, kind, text || '', bytes || new Uint8Array(0));
    scheduleDrain();
  }
  // A network change (another Wi-Fi, a phone leaving Wi-Fi for mobile data): the session asks
  // for an ICE restart at once rather than waiting for the old path to time out.
  function onNetworkChange() {
    if (!Module['ferryEvent']) return;  // before the client runs there is nothing to restart
    Module['ferryEvent'](0, 'network', navigator.onLine === false ? 'offline' : 'online', new Uint8Array(0));
    scheduleDrain();
  }
  window.addEventListener('online', onNetworkChange);
  window.addEventListener('offline', onNetworkChange);
  if (navigator.connection && navigator.connection.addEventListener) {
    navigator.connection.addEventListener('change', onNetworkChange);
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
      else {
        stats.received++;
        stats.receivedBytes += ev.data.byteLength;
        emit(h, 'binary', '', new Uint8Array(ev.data));
      }
    };
    dc.onbufferedamountlow = () => emit(h, 'buffered_low');
    dc.onerror = (ev) => emit(h, 'error', ev && ev.error ? errorText(ev.error) : 'data channel error');
    dc.onclose = () => { emit(h, 'closed'); objects.delete(h); };
    return h;
  }

  // --- files, gestures, quota helpers -----------------------------------------------------
  const kReadBlock = 4 * 1024 * 1024;  // bytes per File read
  const kReadBlocksKept = 2;           // 8 MiB at most, all files together
  const readCache = [];                // [{h, start, end, bytes: Promise<Uint8Array>}]
  let wantWake = false;
  let wakeSentinel = null;
  const overlays = new Map();           // widget id -> DOM element over it
  const gestureActions = new Map();     // widget id -> {action, arg}

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
    } else if (a && a.action === 'download') {
      Module['ferryGlue'].sinkDownload(a.arg);
    } else if (a && a.action === 'save_as') {
      // File System Access: the user picks where; the file streams disk to disk.
      const s = objects.get(a.arg) && objects.get(a.arg).obj;
      if (s) {
        window.showSaveFilePicker({ suggestedName: s.name })
          .then((fh) => fh.createWritable())
          .then((w) => sinkBlob(s).then((blob) => blob.stream().pipeTo(w)))
          .then(() => { emit(a.arg, 'saved'); removeSaved(a.arg, 0); })
          .catch((e) => { if (!e || e.name !== 'AbortError') emit(a.arg, 'sink_error', quotaText(e)); });
      }
    }
    Module['ferryEvent'](0, 'gesture', id, new Uint8Array(0));
  }
  // A finished sink as a Blob: disk-backed for OPFS. Its type is the one C++ chose from a safe
  // list (transfer::safe_download_type), never the sender's word as such.
  function sinkBlob(s) {
    if (s.mode === 'memory') {
      const parts = [...s.parts.entries()].sort((p, q) => p[0] - q[0]).map((e) => e[1]);
      return Promise.resolve(new Blob(parts, { type: s.type }));
    }
    return navigator.storage.getDirectory()
      .then((root) => root.getDirectoryHandle(kStorageDir))
      .then((d) => d.getFileHandle(s.key))
      .then((fh) => fh.getFile())
      .then((file) => (s.type ? file.slice(0, file.size, s.type) : file));
  }
  // A download reads its Blob URL within this time (ms), plus the time to read the file at the
  // slowest rate we plan for (bytes per ms: 10 MB/s, an old USB disk); then the URL is revoked
  // and the saved file's bytes are removed from this device.
  const kDownloadReadMs = 60000;
  const kSlowestReadBytesPerMs = 10 * 1000;
  function downloadReadMs(s) { return kDownloadReadMs + Math.ceil(s.size / kSlowestReadBytesPerMs); }
  function removeNow(h) {
    if (!get(h)) return;
    emit(h, 'removed');
    Module['ferryGlue'].sinkAbort(h);
  }
  // A saved file is removed (after delayMs: a download still reads it), with the event removed.
  // A second save of the same file starts the delay again. A file whose transfer is still going
  // is kept until it is settled (its state deleted): a resume after a reload re-reads it.
  function removeSaved(h, delayMs) {
    const s = get(h);
    if (!s) return;
    clearTimeout(s.removeTimer);
    s.removeTimer = setTimeout(() => {
      if (s.settled) removeNow(h);
      else s.removeWhenSettled = true;
    }, delayMs);
  }
  // Closing the page ends its session: finished files of finished transfers cannot be offered
  // again by a later page (their states are gone), so they are removed now. Partial files (and
  // the finished files of a transfer still going) stay for a reload to resume; a later
  // session's sweep takes them if none comes. A page kept in the back-forward cache keeps
  // everything. Best effort: the worker may be stopped before it is done.
  window.addEventListener('pagehide', (ev) => {
    if (ev.persisted) return;
    objects.forEach((e, h) => {
      if (e.kind === 'sink' && e.obj.finished && e.obj.settled) Module['ferryGlue'].sinkAbort(h);
    });
  });
  const kKeepUntilSavedKey = 'ferry.keepUntilSaved';  // sessionStorage: '1' keeps files after Leave

  // --- storage worker -------------------------------------------------------------------------
  // OPFS files are written in place through FileSystemSyncAccessHandle, which only dedicated
  // workers have: shell/storage-worker.js (its message protocol is described there). It is a
  // file beside ferry.js, so the CSP's worker-src 'self' allows it; this script's own address
  // locates it (pages under /j/ load ferry.js from the root).
  const kStorageDir = 'ferry-incoming';   // must match storage-worker.js
  // Part of the worker's address: ferry.js and the worker are cached for an hour each, so a new
  // message protocol must come with a new number, or a fresh ferry.js could talk to an old worker.
  const kStorageProtocol = 1;
  const kMaxKeyChars = 200;                // far above "<room>-<transfer>-<file>"; file names stay short
  const kScriptUrl = (document.currentScript && document.currentScript.src) || location.href;
  let storage = null;                      // {worker, h, pending, broken}
  function storageMode() {
    return window.isSecureContext && navigator.storage && navigator.storage.getDirectory && window.Worker ? 'opfs' : 'memory';
  }
  // Keys become file names: keep [A-Za-z0-9_-] (a dot would let a key pose as a state file).
  function fileKey(key) {
    return String(key || '').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, kMaxKeyChars);
  }
  function storageWorker() {
    if (storage) return storage;
    storage = { worker: null, h: add({}, 'storage'), pending: 0, broken: '' };
    if (storageMode() !== 'opfs') return storage;
    const st = storage;
    const fail = (text) => {  // the worker is gone: every OPFS sink fails, nothing is pending
      st.broken = text;
      st.pending = 0;
      if (st.worker) st.worker.terminate();
      st.worker = null;
      objects.forEach((e, h) => {
        if (e.kind === 'sink' && e.obj.mode === 'opfs' && !e.obj.failed) {
          e.obj.failed = true;
          emit(h, 'sink_error', text);
        }
      });
      emit(st.h, 'storage_error', text);
    };
    try {
      st.worker = new Worker(new URL('storage-worker.js?v=' + kStorageProtocol, kScriptUrl));
    } catch (e) {
      st.broken = 'the storage worker could not start: ' + errorText(e);
      return st;
    }
    st.worker.onerror = (ev) => {
      if (ev && ev.preventDefault) ev.preventDefault();
      fail('the storage worker failed: ' + ((ev && ev.message) || 'it could not be loaded'));
    };
    st.worker.onmessage = (ev) => {
      const m = ev.data;
      const s = m.sink ? get(m.sink) : null;
      if (m.ev === 'written') {
        st.pending = Math.max(0, st.pending - m.bytes);
        scheduleDrain();  // a receiver held back by storagePending() may go on
      } else if (m.ev === 'opened') {
        emit(m.sink, 'sink_opened', String(m.size));
      } else if (m.ev === 'read') {
        emit(m.sink, 'sink_read', String(m.req), new Uint8Array(m.buf));
      } else if (m.ev === 'finished') {
        if (s) s.finished = true;
        emit(m.sink, 'finished');
      } else if (m.ev === 'error') {
        if (s && !s.failed) {
          s.failed = true;
          emit(m.sink, 'sink_error', quotaText(m));
        }
      } else if (m.ev === 'state') {
        emit(st.h, 'state', m.key, new Uint8Array(m.buf));
      } else if (m.ev === 'state_done') {
        emit(st.h, 'state_done');
      } else if (m.ev === 'swept') {
        emit(st.h, 'swept', String(m.count));
      } else if (m.ev === 'storage_error') {
        emit(st.h, 'storage_error', quotaText(m));
      }
    };
    return st;
  }
  function quotaText(e) {
    if (e && (e.name === 'QuotaExceededError' || /quota/i.test(e.message || ''))) {
      return 'quota: this browser has no more storage for this site';
    }
    return errorText(e);
  }
  // Touch: Emscripten 3.1.6's GLFW puts a tap at the old mouse position, so touch pointers
  // go straight to C++ (platform/canvas.cpp), in CSS pixels relative to the canvas.
  function touch(phase, ev) {
    if (ev.pointerType !== 'touch' || !Module['ferryTouch']) return;
    const r = ev.target.getBoundingClientRect();
    Module['ferryTouch'](phase, ev.clientX - r.left, ev.clientY - r.top);
  }
  function attachTouch() {
    const c = document.getElementById('canvas');
    if (!c) return;
    c.addEventListener('pointerdown', (ev) => touch('down', ev), { passive: true });
    c.addEventListener('pointermove', (ev) => touch('move', ev), { passive: true });
    c.addEventListener('pointerup', (ev) => touch('up', ev), { passive: true });
    c.addEventListener('pointercancel', (ev) => touch('up', ev), { passive: true });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', attachTouch);
  else attachTouch();

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
    wsSendBinary(h, bytes) {  // bytes: a view onto wasm memory; send() copies it synchronously
      const ws = get(h);
      if (!ws || ws.readyState !== 1) return false;
      ws.send(bytes);
      return true;
    },
    wsBuffered(h) {
      const ws = get(h);
      return ws ? ws.bufferedAmount : 0;
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
      // Remember what the other side said about each address: a check that arrives before its
      // candidate makes the browser call it "prflx" for good (Firefox), which is not a NAT.
      const m = cand && cand.candidate && cand.candidate.match(/ (\S+) (\d+) typ (\w+)/);
      if (m) {
        if (!pc.ferrySignalled) pc.ferrySignalled = new Map();
        pc.ferrySignalled.set(m[1] + ':' + m[2], m[3]);
      }
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
        let remoteType = remote && remote.candidateType;
        if (remoteType === 'prflx' && pc.ferrySignalled) {
          remoteType = pc.ferrySignalled.get(remote.address + ':' + remote.port) || remoteType;
        }
        const types = [local && local.candidateType, remoteType];
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
      stats.sent++;
      stats.sentBytes += bytes.length;
      try { dc.send(bytes); } catch (e) {
        // Called from C++: report asynchronously, never re-enter C++ from inside a C++ call.
        queueMicrotask(() => emit(h, 'error', 'send: ' + errorText(e)));
        return false;
      }
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
    // Reads go through a block cache: one File.slice().arrayBuffer() per 4 MiB block (each
    // costs milliseconds of IPC), and the chunk reads are served from it. A block starts where
    // a request that no cached block covers starts, so chunks never straddle two blocks. The
    // cache is shared by all files (the sender reads one file at a time): 8 MiB at most.
    fileRead(h, offset, length, requestId) {
      stats.reads++;
      const f = get(h);
      if (!f) { setTimeout(() => emit(h, 'read_error', requestId + ' the file is no longer available'), 0); return; }
      let block = readCache.find((b) => b.h === h && b.start <= offset && offset + length <= b.end);
      if (!block) {
        const end = Math.min(f.size, offset + Math.max(kReadBlock, length));
        block = { h, start: offset, end, bytes: f.slice(offset, end).arrayBuffer().then((buf) => new Uint8Array(buf)) };
        readCache.push(block);
        while (readCache.length > kReadBlocksKept) readCache.shift();
      }
      block.bytes.then((bytes) => {
        const from = offset - block.start;
        if (from + length > bytes.length) throw new Error('the file changed while it was being sent');
        emit(h, 'read', String(requestId), bytes.subarray(from, from + length));
      }).catch((e) => {
        const i = readCache.indexOf(block);
        if (i >= 0) readCache.splice(i, 1);
        emit(h, 'read_error', requestId + ' ' + errorText(e));
      });
    },

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
        } else if (kind === 'text') {
          // A real text field over the ImGui one: a tap focuses it inside the gesture, so phones
          // show their keyboard; its value is mirrored into C++ on every change.
          el = document.createElement('input');
          el.type = 'text';
          el.autocomplete = 'off';
          el.spellcheck = false;
          el.setAttribute('autocapitalize', 'none');
          el.setAttribute('enterkeyhint', 'go');
          const send = (kind2) => Module['ferryEvent'](0, kind2, id + '\n' + el.value, new Uint8Array(0));
          el.addEventListener('input', () => send('text'));
          // GLFW listens on window and swallows Backspace/Tab: keep typing inside the field.
          el.addEventListener('keydown', (ev) => {
            ev.stopPropagation();
            if (ev.key === 'Enter') send('text_enter');
          });
          el.addEventListener('keyup', (ev) => ev.stopPropagation());
          el.addEventListener('keypress', (ev) => ev.stopPropagation());
        } else {
          el = document.createElement('button');
          el.addEventListener('click', () => gesture(id));
        }
        el.className = kind === 'text' ? 'ferry-overlay ferry-text' : 'ferry-overlay';
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
    // Where received files are written while they arrive: 'opfs' (the browser's private disk,
    // written in place by the storage worker; memory stays flat for any size) or 'memory' (a
    // Blob in RAM: small files only). Saving then uses File System Access ('save_as' gesture)
    // where it exists, else a download.
    storageMode() { return storageMode(); },
    // The setting "keep received files until I save them" (off: removed when the session ends).
    keepUntilSaved() {
      try { return sessionStorage.getItem(kKeepUntilSavedKey) === '1'; } catch (e) { return false; }
    },
    setKeepUntilSaved(on) {
      try { sessionStorage.setItem(kKeepUntilSavedKey, on ? '1' : '0'); } catch (e) { /* storage disabled */ }
    },
    canSaveAs() { return !!(window.isSecureContext && window.showSaveFilePicker); },
    // Events on a sink: sink_opened (text = bytes already stored under the key), sink_read (id,
    // bytes), finished, saved, sink_error (message; it starts with "quota:" when the browser's
    // storage is full). key: stable across reloads, names ferry-incoming/<key>; keep: keep its
    // bytes (resume) rather than start empty. name is what the download is called.
    // type: the MIME type the file is offered with (already on the safe list; '' for none).
    sinkOpen(mode, key, name, size, keep, type) {
      // settled: no resume can need its bytes any more (memory: never resumed; OPFS: its
      // transfer's state was deleted, see stateDelete).
      const s = { mode, key: fileKey(key), name, size, type: type || '', parts: new Map(), failed: false, finished: false,
        settled: mode !== 'opfs' };
      const h = add(s, 'sink');
      if (mode === 'opfs') {
        const st = storageWorker();
        if (!st.worker) {
          s.failed = true;
          setTimeout(() => emit(h, 'sink_error', st.broken || 'this page has no private disk (OPFS)'), 0);
        } else {
          st.worker.postMessage({ op: 'open', sink: h, key: s.key, keep: !!keep });
        }
      } else {
        setTimeout(() => emit(h, 'sink_opened', '0'), 0);
      }
      return h;
    },
    sinkWrite(h, offset, bytes) {
      const s = get(h);
      if (!s || s.failed) return;
      const copy = bytes.slice();  // bytes is a view onto wasm memory: copy before it moves on
      if (s.mode === 'memory') { s.parts.set(offset, copy); return; }
      if (!storage.worker) return;
      storage.pending += copy.length;
      storage.worker.postMessage({ op: 'write', sink: h, at: offset, buf: copy.buffer }, [copy.buffer]);
    },
    // Reads back written bytes in place (the receiver re-hashes chunks that arrived out of
    // order, or after a resume). Answers sink_read after every write posted before it.
    sinkRead(h, offset, length, requestId) {
      const s = get(h);
      if (!s) return;
      if (s.mode === 'opfs') {
        if (storage.worker) storage.worker.postMessage({ op: 'read', sink: h, at: offset, length, req: requestId });
        return;
      }
      const out = new Uint8Array(length);
      s.parts.forEach((d, o) => {
        if (o + d.length <= offset || o >= offset + length) return;
        const from = Math.max(o, offset);
        const to = Math.min(o + d.length, offset + length);
        out.set(d.subarray(from - o, to - o), from - offset);
      });
      queueMicrotask(() => emit(h, 'sink_read', String(requestId), out));
    },
    // The file verified: flush it and close its access handle, so it can be read as a File.
    // Event: finished.
    sinkFinish(h) {
      const s = get(h);
      if (!s) return;
      if (s.mode === 'opfs') {
        if (storage.worker) storage.worker.postMessage({ op: 'finish', sink: h });
      } else {
        s.finished = true;
        queueMicrotask(() => emit(h, 'finished'));
      }
    },
    // Offers a finished file to the user: a download (from disk for OPFS, no copy in memory).
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
        setTimeout(() => URL.revokeObjectURL(a.href), downloadReadMs(s));
        emit(h, 'saved');
        removeSaved(h, downloadReadMs(s));
      };
      sinkBlob(s).then(start).catch((e) => emit(h, 'sink_error', errorText(e)));
    },
    // Drops a sink and deletes its file (after every operation posted before). Also how a saved
    // file, or one the session no longer needs, is removed.
    sinkAbort(h) {
      const s = get(h);
      objects.delete(h);
      if (!s) return;
      clearTimeout(s.removeTimer);
      s.failed = true;
      s.parts.clear();
      if (s.mode === 'opfs' && storage.worker) storage.worker.postMessage({ op: 'abort', sink: h });
    },

    // --- durable receiver state -----------------------------------------------------------
    // The storage handle: the events of the calls below arrive on it. state (text = key, bytes
    // = what stateWrite stored), state_done, swept (text = files deleted), storage_error.
    // Without OPFS these keep nothing: stateList answers state_done alone.
    storageOpen() { return storageWorker().h; },
    // Bytes posted to the storage worker and not yet written (the receiver holds back when the
    // disk is slower than the network).
    storagePending() { return storage ? storage.pending : 0; },
    // Stores ferry-incoming/<key>.state once every write posted before it is on disk and
    // flushed: a state never claims bytes the disk does not hold.
    stateWrite(key, bytes) {
      const st = storageWorker();
      if (!st.worker) return;
      const copy = bytes.slice();
      st.worker.postMessage({ op: 'stateWrite', key: fileKey(key), buf: copy.buffer }, [copy.buffer]);
    },
    // One state event per stored state whose key starts with prefix, then state_done.
    stateList(prefix) {
      const st = storageWorker();
      if (st.worker) st.worker.postMessage({ op: 'stateList', prefix: fileKey(prefix) });
      else setTimeout(() => emit(st.h, 'state_done'), 0);
    },
    stateDelete(key) {
      // The transfer is over: its files are settled, and a saved one waiting for that goes now
      // (in a microtask: this is a call from C++, which an event must not re-enter).
      const prefix = fileKey(key) + '-';
      objects.forEach((e, h) => {
        if (e.kind !== 'sink' || !e.obj.key.startsWith(prefix)) return;
        e.obj.settled = true;
        if (e.obj.removeWhenSettled) queueMicrotask(() => removeNow(h));
      });
      const st = storageWorker();
      if (st.worker) st.worker.postMessage({ op: 'stateDelete', key: fileKey(key) });
    },
    // Deletes stored files (partial files, states) whose names do not start with keepPrefix
    // ('' keeps none by name) and that were last written more than maxAgeMs ago: what
    // abandoned transfers left. Files this page has open are never deleted. Event: swept.
    storageSweep(keepPrefix, maxAgeMs) {
      const st = storageWorker();
      if (st.worker) st.worker.postMessage({ op: 'sweep', keepPrefix: fileKey(keepPrefix), maxAgeMs });
      else setTimeout(() => emit(st.h, 'swept', '0'), 0);
    },

    // Hides the overlays not placed this frame (their widgets are not on screen).
    overlaysKeep(idsCsv) {
      const keep = new Set(idsCsv ? idsCsv.split(',') : []);
      overlays.forEach((el, id) => { if (!keep.has(id)) el.style.display = 'none'; });
    },
    // Rectangles of named widgets (CSS pixels), for tests that click where a user would.
    publishWidgets(json) {
      window.ferryWidgets = JSON.parse(json);
    },

    // Keeps the screen on while a transfer runs (phones would sleep and drop the connection).
    // Browsers release the lock when the tab is hidden; it is asked for again on return.
    wakeLock(on) {
      wantWake = !!on;
      if (!navigator.wakeLock) return;
      if (wantWake && !wakeSentinel) {
        navigator.wakeLock.request('screen').then((s) => {
          wakeSentinel = s;
          s.addEventListener('release', () => { wakeSentinel = null; });
          if (!wantWake) s.release().catch(() => {});
        }).catch(() => { /* not allowed now (hidden tab); retried on the next change */ });
      } else if (!wantWake && wakeSentinel) {
        wakeSentinel.release().catch(() => {});
        wakeSentinel = null;
      }
    },

    // --- page ---------------------------------------------------------------------------
    // Secrets leave the address bar once parsed: the URL becomes `path` (no query, no
    // fragment) without a navigation or a new history entry.
    clearAddress(path) {
      try { history.replaceState(null, '', path); } catch (e) { /* sandboxed */ }
    },
    // This tab's join record (link with its secret, resume token, verification words): kept in
    // sessionStorage, so a reload of the tab resumes and a copied or synced URL carries nothing.
    loadJoin() {
      try { return sessionStorage.getItem('ferry.join') || ''; } catch (e) { return ''; }
    },
    saveJoin(text) {
      try {
        if (text) sessionStorage.setItem('ferry.join', text); else sessionStorage.removeItem('ferry.join');
      } catch (e) { /* storage off: a reload starts afresh */ }
    },
    location() {
      return { origin: location.origin, path: location.pathname, search: location.search, hash: location.hash };
    },
    // The client cannot run (no WebGL2): a plain message in the page and the live region.
    fatal(text) {
      const el = document.createElement('p');
      el.className = 'ferry-fatal';
      el.setAttribute('role', 'alert');
      el.textContent = text;
      document.body.appendChild(el);
      const canvas = document.getElementById('canvas');
      if (canvas) canvas.style.display = 'none';
    },
    logLine(text) {  // one activity line for the role=log list; the newest 200 are kept
      const el = document.getElementById('ferry-log');
      if (!el) return;
      const li = document.createElement('li');
      li.textContent = text;
      el.appendChild(li);
      while (el.childElementCount > 200) el.removeChild(el.firstChild);
    },
    announce(text) {  // the ARIA live region mirrors state and progress for screen readers
      const el = document.getElementById('ferry-live');
      if (el && el.textContent !== text) el.textContent = text;
    },
  };
})();
