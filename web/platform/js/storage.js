// Ferry's JS glue, part 6: where received files go (sinks), the storage worker, and the
// durable receiver state.
//
// Where received files are written while they arrive: 'opfs' (the browser's private disk,
// written in place by the storage worker, shell/storage-worker.js; memory stays flat for any
// size) or 'memory' (a Blob in RAM: small files only). Saving then uses File System Access
// ('save_as' gesture) where it exists, else a download.
//
// Writes come from C++ as (ptr, len) views of wasm memory, chunk by chunk. Contiguous writes of
// a sink are gathered into one kWriteBatch buffer (the one copy out of wasm memory), which is
// *transferred* to the worker when full, before any other operation on that sink or on a
// state, and at the latest kWriteBatchMs after it started; so the worker gets a few large
// messages and nothing is cloned.
//
// Events on a sink: sink_opened (number = bytes already stored under the key), finished, saved,
// removed, sink_error (text; it starts with "quota:" when the browser's storage is full),
// written (number = bytes of this sink's earlier writes the disk now holds). Read-backs answer
// as data (core.js, kind sinkRead, id = request id).
'use strict';
(function (core) {
  const kStorageDir = 'ferry-incoming';   // must match storage-worker.js
  // Part of the worker's address: ferry.js and the worker are cached for an hour each, so a new
  // message protocol must come with a new number, or a fresh ferry.js could talk to an old worker.
  const kStorageProtocol = 2;
  const kMaxKeyChars = 200;                // far above "<room>-<transfer>-<file>"; file names stay short
  const kWriteBatch = 1024 * 1024;         // bytes per message to the worker: 16 chunks of 64 KiB
  const kWriteBatchMs = 50;                // a partly filled batch waits at most this long
  const kSpareBatches = 12;                // buffers the worker gave back, kept for reuse (12 MiB)
  const kKeepUntilSavedKey = 'ferry.keepUntilSaved';  // sessionStorage: '1' keeps files after Leave
  // The script's own address locates the worker (pages under /j/ load ferry.js from the root);
  // it is a file beside ferry.js, so the CSP's worker-src 'self' allows it.
  const kScriptUrl = (document.currentScript && document.currentScript.src) || location.href;
  let storage = null;                      // {worker, h, pending, broken}
  const batched = new Set();               // sinks with a batch waiting
  const spare = [];                        // batch buffers back from the worker
  let batchTimer = null;

  function storageMode() {
    return window.isSecureContext && navigator.storage && navigator.storage.getDirectory && window.Worker ? 'opfs' : 'memory';
  }
  // Keys become file names: keep [A-Za-z0-9_-] (a dot would let a key pose as a state file).
  function fileKey(key) {
    return String(key || '').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, kMaxKeyChars);
  }
  function quotaText(e) {
    if (e && (e.name === 'QuotaExceededError' || /quota/i.test(e.message || ''))) {
      return 'quota: this browser has no more storage for this site';
    }
    return core.errorText(e);
  }
  core.quotaText = quotaText;

  // A test-only slow disk (shell/storage-worker.js): a test's init script sets
  // window.ferryTestSlowDiskBytesPerSec before the page loads, and the worker writes no faster.
  // Nothing outside the page can set it; it only slows this page's own disk.
  function slowDiskRate() {
    const r = Number(window.ferryTestSlowDiskBytesPerSec);
    return Number.isFinite(r) && r > 0 ? r : 0;
  }

  function storageWorker() {
    if (storage) return storage;
    storage = { worker: null, h: core.add({}, 'storage'), pending: 0, broken: '' };
    if (storageMode() !== 'opfs') return storage;
    const st = storage;
    const fail = (text) => {  // the worker is gone: every OPFS sink fails, nothing is pending
      st.broken = text;
      st.pending = 0;
      if (st.worker) st.worker.terminate();
      st.worker = null;
      core.objects.forEach((e, h) => {
        if (e.kind === 'sink' && e.obj.mode === 'opfs' && !e.obj.failed) {
          e.obj.failed = true;
          core.emit(h, 'sink_error', text);
        }
      });
      core.emit(st.h, 'storage_error', text);
    };
    try {
      st.worker = new Worker(new URL('storage-worker.js?v=' + kStorageProtocol, kScriptUrl));
    } catch (e) {
      st.broken = 'the storage worker could not start: ' + core.errorText(e);
      return st;
    }
    const rate = slowDiskRate();
    if (rate > 0) st.worker.postMessage({ op: 'config', ferryTestSlowDiskBytesPerSec: rate });
    st.worker.onerror = (ev) => {
      if (ev && ev.preventDefault) ev.preventDefault();
      fail('the storage worker failed: ' + ((ev && ev.message) || 'it could not be loaded'));
    };
    st.worker.onmessage = (ev) => {
      const m = ev.data;
      const s = m.sink ? core.get(m.sink) : null;
      if (m.ev === 'written') {
        st.pending = Math.max(0, st.pending - m.bytes);
        if (m.buf && m.buf.byteLength === kWriteBatch && spare.length < kSpareBatches) spare.push(new Uint8Array(m.buf));
        core.emit(m.sink, 'written', '', null, m.bytes);
      } else if (m.ev === 'opened') {
        core.emit(m.sink, 'sink_opened', '', null, m.size);
      } else if (m.ev === 'read') {
        if (s) core.queueData(core.kDataKind.sinkRead, m.sink, m.req, new Uint8Array(m.buf));
      } else if (m.ev === 'finished') {
        if (s) s.finished = true;
        core.emit(m.sink, 'finished');
      } else if (m.ev === 'error') {
        if (s && !s.failed) {
          s.failed = true;
          core.emit(m.sink, 'sink_error', quotaText(m));
        }
      } else if (m.ev === 'state') {
        core.emit(st.h, 'state', m.key, new Uint8Array(m.buf));
      } else if (m.ev === 'state_done') {
        core.emit(st.h, 'state_done');
      } else if (m.ev === 'swept') {
        core.emit(st.h, 'swept', '', null, m.count);
      } else if (m.ev === 'storage_error') {
        core.emit(st.h, 'storage_error', quotaText(m));
      }
    };
    return st;
  }

  // --- write batches ----------------------------------------------------------------------------
  function post(message, transfer) {
    core.stats.sinkPosts++;
    storage.worker.postMessage(message, transfer);
  }
  function flushSink(h, s) {
    const b = s.batch;
    s.batch = null;
    batched.delete(h);
    if (!b || !b.used || !storage || !storage.worker) return;
    storage.pending += b.used;
    post({ op: 'write', sink: h, at: b.at, buf: b.buf.buffer, len: b.used }, [b.buf.buffer]);
  }
  function flushAll() {
    batched.forEach((h) => { const s = core.get(h); if (s) flushSink(h, s); else batched.delete(h); });
    if (batchTimer !== null) { clearTimeout(batchTimer); batchTimer = null; }
  }
  core.flushWrites = flushAll;

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
  core.sinkBlob = sinkBlob;
  // A download reads its Blob URL within this time (ms), plus the time to read the file at the
  // slowest rate we plan for (bytes per ms: 10 MB/s, an old USB disk); then the URL is revoked
  // and the saved file's bytes are removed from this device.
  const kDownloadReadMs = 60000;
  const kSlowestReadBytesPerMs = 10 * 1000;
  function downloadReadMs(s) { return kDownloadReadMs + Math.ceil(s.size / kSlowestReadBytesPerMs); }
  function removeNow(h) {
    if (!core.get(h)) return;
    core.emit(h, 'removed');
    core.api.sinkAbort(h);
  }
  // A saved file is removed (after delayMs: a download still reads it), with the event removed.
  // A second save of the same file starts the delay again. A file whose transfer is still going
  // is kept until it is settled (its state deleted): a resume after a reload re-reads it.
  function removeSaved(h, delayMs) {
    const s = core.get(h);
    if (!s) return;
    clearTimeout(s.removeTimer);
    s.removeTimer = setTimeout(() => {
      if (s.settled) removeNow(h);
      else s.removeWhenSettled = true;
    }, delayMs);
  }
  core.removeSaved = removeSaved;
  // Closing the page ends its session: finished files of finished transfers cannot be offered
  // again by a later page (their states are gone), so they are removed now. Partial files (and
  // the finished files of a transfer still going) stay for a reload to resume; a later
  // session's sweep takes them if none comes. A page kept in the back-forward cache keeps
  // everything. Best effort: the worker may be stopped before it is done.
  window.addEventListener('pagehide', (ev) => {
    if (ev.persisted) return;
    flushAll();
    core.objects.forEach((e, h) => {
      if (e.kind === 'sink' && e.obj.finished && e.obj.settled) core.api.sinkAbort(h);
    });
  });

  // --- saving a whole tree -------------------------------------------------------------------
  // Every finished file of one incoming transfer (sinks whose key starts with `prefix`), with its
  // folders, and the transfer's empty folders (setTreeDirs): into a folder the person picks
  // (File System Access, Chromium), else as one ZIP download (client-zip, loaded on first use).
  // Events on each sink: saved (then removed as after a download), or sink_error; on handle 0:
  // tree_saved (number = files) or tree_error (text).
  const treeDirs = new Map();  // prefix -> [empty folder paths]
  const kZipScript = 'client-zip.js';  // npm client-zip's worker.js, served beside ferry.js
  let zipLoading = null;
  function loadZip() {
    // The worker build defines a global downloadZip: the function itself (or its module object).
    const zipFn = () => (typeof window.downloadZip === 'function' ? window.downloadZip
      : window.downloadZip && window.downloadZip.downloadZip);
    if (zipFn()) return Promise.resolve({ downloadZip: zipFn() });
    if (!zipLoading) {
      zipLoading = new Promise((resolve, reject) => {
        const el = document.createElement('script');
        el.src = new URL(kZipScript, kScriptUrl).href;
        el.onload = () => (zipFn() ? resolve({ downloadZip: zipFn() }) : reject(new Error('the ZIP writer did not load')));
        el.onerror = () => { zipLoading = null; reject(new Error('the ZIP writer could not be loaded')); };
        document.head.appendChild(el);
      });
    }
    return zipLoading;
  }
  function treeSinks(prefix) {
    const p = fileKey(prefix) + '-';
    const out = [];
    core.objects.forEach((e, h) => {
      if (e.kind === 'sink' && e.obj.key.startsWith(p) && e.obj.finished && !e.obj.failed) out.push({ h, s: e.obj });
    });
    return out.sort((a, b) => (a.s.path < b.s.path ? -1 : 1));
  }
  // Files written at once while a tree is saved: each write waits mostly on the file system
  // (the file made, its swap file, the rename on close: about 15 ms a file in Chromium here), so
  // several at a time keep it busy (bench/folder). Each streams, so memory stays small whatever
  // the sizes.
  const kSaveTreeParallel = 8;
  // A free name in `dir`: never overwrites what the person already has there, nor a file this
  // save writes. taken: the names (lower case) this save claimed in that folder; a name is
  // claimed before the await that checks it, so two writes at once never pick the same one.
  async function freeName(dir, name, taken) {
    const dot = name.lastIndexOf('.');
    const stem = dot > 0 ? name.slice(0, dot) : name;
    const ext = dot > 0 ? name.slice(dot) : '';
    for (let n = 1; ; ++n) {
      const candidate = n === 1 ? name : `${stem} (${n})${ext}`;
      const key = candidate.toLowerCase();
      if (taken.has(key)) continue;
      taken.add(key);
      try {
        await dir.getFileHandle(candidate);
      } catch (e) {
        if (e && e.name === 'NotFoundError') return candidate;
        if (!e || e.name !== 'TypeMismatchError') throw e;  // a folder of that name: next number
      }
    }
  }
  // folders: path -> { dir: promise of its handle, taken: names claimed in it }, made once per
  // save (a tree of 10,000 files has few folders; writes at once share the promise).
  function folderAt(root, path, folders) {
    let at = '';
    let entry = folders.get(at);
    if (!entry) folders.set(at, entry = { dir: Promise.resolve(root), taken: new Set() });
    for (const part of path.split('/').filter((p) => p)) {
      at += '/' + part;
      let next = folders.get(at);
      if (!next) {
        const parent = entry.dir;
        next = { dir: parent.then((d) => d.getDirectoryHandle(part, { create: true })), taken: new Set() };
        folders.set(at, next);
      }
      entry = next;
    }
    return entry;
  }
  async function saveTreeToFolder(prefix, sinks, dirs) {
    const root = await window.showDirectoryPicker({ mode: 'readwrite', id: 'ferry-save' });
    const folders = new Map();
    let next = 0;
    let failed = false;
    const writer = async () => {
      while (!failed && next < sinks.length) {
        const { h, s } = sinks[next++];
        const slash = s.path.lastIndexOf('/');
        const folder = folderAt(root, slash > 0 ? s.path.slice(0, slash) : '', folders);
        try {
          const dir = await folder.dir;
          const fh = await dir.getFileHandle(await freeName(dir, s.name, folder.taken), { create: true });
          const w = await fh.createWritable();
          await (await sinkBlob(s)).stream().pipeTo(w);
        } catch (e) {
          failed = true;  // the other writers stop taking files: the first error is the answer
          throw e;
        }
        core.emit(h, 'saved');
        removeSaved(h, 0);
      }
    };
    await Promise.all(Array.from({ length: Math.min(kSaveTreeParallel, sinks.length) }, writer));
    for (const d of dirs) await folderAt(root, d, folders).dir;
    return sinks.length;
  }
  async function saveTreeAsZip(prefix, sinks, dirs) {
    const zip = await loadZip();
    const blobs = [];
    for (const item of sinks) blobs.push(await sinkBlob(item.s));
    const entries = sinks.map((item, i) => ({ name: item.s.path, input: blobs[i], size: blobs[i].size }));
    for (const d of dirs) entries.push({ name: d + '/' });
    // The archive streams from the stored files; the browser keeps a large Blob on disk.
    const blob = await zip.downloadZip(entries).blob();
    const top = new Set(sinks.map((item) => item.s.path.split('/')[0]).concat(dirs.map((d) => d.split('/')[0])));
    const name = (top.size === 1 && sinks.every((item) => item.s.path.includes('/'))) ? [...top][0] : 'ferry-files';
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name + '.zip';
    document.body.appendChild(a);
    a.click();
    a.remove();
    const readMs = kDownloadReadMs + Math.ceil(blob.size / kSlowestReadBytesPerMs);
    setTimeout(() => URL.revokeObjectURL(a.href), readMs);
    for (const item of sinks) {
      core.emit(item.h, 'saved');
      removeSaved(item.h, readMs);
    }
    return sinks.length;
  }
  core.saveTree = function (prefix) {
    const p = fileKey(prefix) + '-';
    let missing = 0;
    core.objects.forEach((e) => { if (e.kind === 'sink' && e.obj.key.startsWith(p) && !e.obj.finished && !e.obj.failed) ++missing; });
    if (missing) {
      core.emit(0, 'tree_error', `${missing} of its files have not arrived yet`);
      return;
    }
    const sinks = treeSinks(prefix);
    const dirs = treeDirs.get(fileKey(prefix)) || [];
    if (!sinks.length) return;
    const save = (window.isSecureContext && window.showDirectoryPicker) ? saveTreeToFolder : saveTreeAsZip;
    save(prefix, sinks, dirs)
      .then((n) => core.emit(0, 'tree_saved', prefix, null, n))
      .catch((e) => { if (!e || e.name !== 'AbortError') core.emit(0, 'tree_error', quotaText(e)); });
  };

  core.provide({
    storageMode() { return storageMode(); },
    // The empty folders of the incoming transfer whose sinks' keys start with prefix (JSON array).
    setTreeDirs(prefix, json) {
      try { treeDirs.set(fileKey(prefix), JSON.parse(json)); } catch (e) { /* the client's own JSON */ }
    },
    // The setting "keep received files until I save them" (off: removed when the session ends).
    keepUntilSaved() {
      try { return sessionStorage.getItem(kKeepUntilSavedKey) === '1'; } catch (e) { return false; }
    },
    setKeepUntilSaved(on) {
      try { sessionStorage.setItem(kKeepUntilSavedKey, on ? '1' : '0'); } catch (e) { /* storage disabled */ }
    },
    canSaveAs() { return !!(window.isSecureContext && window.showSaveFilePicker); },
    canPickFolder() { return !!(window.isSecureContext && window.showDirectoryPicker); },
    // key: stable across reloads, names ferry-incoming/<key>; keep: keep its bytes (resume)
    // rather than start empty. name is what the download is called. type: the MIME type the file
    // is offered with (already on the safe list; '' for none). path: name with its sanitised
    // folders ("Trip/day 1/a.jpg"), where saveTree puts it.
    sinkOpen(mode, key, name, size, keep, type, path) {
      // settled: no resume can need its bytes any more (memory: never resumed; OPFS: its
      // transfer's state was deleted, see stateDelete).
      const s = { mode, key: fileKey(key), name, size, type: type || '', path: path || name, parts: new Map(), failed: false,
        finished: false, settled: mode !== 'opfs', batch: null };
      const h = core.add(s, 'sink');
      if (mode === 'opfs') {
        const st = storageWorker();
        if (!st.worker) {
          s.failed = true;
          setTimeout(() => core.emit(h, 'sink_error', st.broken || 'this page has no private disk (OPFS)'), 0);
        } else {
          post({ op: 'open', sink: h, key: s.key, keep: !!keep });
        }
      } else {
        setTimeout(() => core.emit(h, 'sink_opened', '', null, 0), 0);
      }
      return h;
    },
    // (ptr, len): plaintext in wasm memory, valid for this call only.
    sinkWrite(h, offset, ptr, len) {
      const s = core.get(h);
      if (!s || s.failed) return;
      const view = HEAPU8.subarray(ptr, ptr + len);
      if (s.mode === 'memory') { s.parts.set(offset, view.slice()); return; }
      if (!storage.worker) return;
      let b = s.batch;
      if (b && (b.at + b.used !== offset || b.used + len > b.buf.length)) {
        flushSink(h, s);
        b = null;
      }
      if (!b) {
        // A batch holds at most what is left of the file: a folder of 10,000 small files has
        // thousands of sinks with a batch waiting at once, and 1 MiB each would be gigabytes.
        const want = Math.max(len, Math.min(kWriteBatch, s.size - offset));
        const buf = want === kWriteBatch && spare.length ? spare.pop() : new Uint8Array(want);
        b = s.batch = { at: offset, used: 0, buf };
        batched.add(h);
        if (batchTimer === null) batchTimer = setTimeout(() => { batchTimer = null; flushAll(); }, kWriteBatchMs);
      }
      b.buf.set(view, b.used);
      b.used += len;
      if (b.used === b.buf.length) flushSink(h, s);
    },
    // Reads back written bytes in place (the receiver re-hashes chunks that arrived out of
    // order, or after a resume). Answers after every write posted before it.
    sinkRead(h, offset, length, requestId) {
      const s = core.get(h);
      if (!s) return;
      if (s.mode === 'opfs') {
        flushSink(h, s);
        if (storage.worker) post({ op: 'read', sink: h, at: offset, length, req: requestId });
        return;
      }
      const out = new Uint8Array(length);
      s.parts.forEach((d, o) => {
        if (o + d.length <= offset || o >= offset + length) return;
        const from = Math.max(o, offset);
        const to = Math.min(o + d.length, offset + length);
        out.set(d.subarray(from - o, to - o), from - offset);
      });
      core.queueData(core.kDataKind.sinkRead, h, requestId, out);
    },
    // The file verified: flush it and close its access handle, so it can be read as a File.
    // Event: finished.
    sinkFinish(h) {
      const s = core.get(h);
      if (!s) return;
      if (s.mode === 'opfs') {
        flushSink(h, s);
        if (storage.worker) post({ op: 'finish', sink: h });
      } else {
        s.finished = true;
        queueMicrotask(() => core.emit(h, 'finished'));
      }
    },
    // Offers a finished file to the user: a download (from disk for OPFS, no copy in memory).
    sinkDownload(h) {
      const s = core.get(h);
      if (!s) return;
      const start = (blob) => {
        const a = document.createElement('a');
        a.href = URL.createObjectURL(blob);
        a.download = s.name;
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), downloadReadMs(s));
        core.emit(h, 'saved');
        removeSaved(h, downloadReadMs(s));
      };
      sinkBlob(s).then(start).catch((e) => core.emit(h, 'sink_error', core.errorText(e)));
    },
    // Drops a sink and deletes its file (after every operation posted before). Also how a saved
    // file, or one the session no longer needs, is removed.
    sinkAbort(h) {
      const s = core.get(h);
      core.objects.delete(h);
      if (!s) return;
      s.batch = null;
      batched.delete(h);
      clearTimeout(s.removeTimer);
      s.failed = true;
      s.parts.clear();
      if (s.mode === 'opfs' && storage.worker) post({ op: 'abort', sink: h });
    },

    // --- durable receiver state ---------------------------------------------------------------
    // The storage handle: the events of the calls below arrive on it. state (text = key, bytes
    // = what stateWrite stored), state_done, swept (number = files deleted), storage_error.
    // Without OPFS these keep nothing: stateList answers state_done alone.
    storageOpen() { return storageWorker().h; },
    // Bytes handed to the storage worker and not yet written.
    storagePending() { return storage ? storage.pending : 0; },
    // Stores ferry-incoming/<key>.state once every write posted before it is on disk and
    // flushed: a state never claims bytes the disk does not hold. (ptr, len) in wasm memory.
    stateWrite(key, ptr, len) {
      const st = storageWorker();
      if (!st.worker) return;
      flushAll();
      const copy = HEAPU8.slice(ptr, ptr + len);
      post({ op: 'stateWrite', key: fileKey(key), buf: copy.buffer }, [copy.buffer]);
    },
    // One state event per stored state whose key starts with prefix, then state_done.
    stateList(prefix) {
      const st = storageWorker();
      if (st.worker) post({ op: 'stateList', prefix: fileKey(prefix) });
      else setTimeout(() => core.emit(st.h, 'state_done'), 0);
    },
    stateDelete(key) {
      // The transfer is over: its files are settled, and a saved one waiting for that goes now
      // (in a microtask: this is a call from C++, which an event must not re-enter).
      const prefix = fileKey(key) + '-';
      core.objects.forEach((e, h) => {
        if (e.kind !== 'sink' || !e.obj.key.startsWith(prefix)) return;
        e.obj.settled = true;
        if (e.obj.removeWhenSettled) queueMicrotask(() => removeNow(h));
      });
      const st = storageWorker();
      if (st.worker) post({ op: 'stateDelete', key: fileKey(key) });
    },
    // Deletes stored files (partial files, states) whose names do not start with keepPrefix
    // ('' keeps none by name) and that were last written more than maxAgeMs ago: what
    // abandoned transfers left. Files this page has open are never deleted. Event: swept.
    storageSweep(keepPrefix, maxAgeMs) {
      const st = storageWorker();
      if (st.worker) post({ op: 'sweep', keepPrefix: fileKey(keepPrefix), maxAgeMs });
      else setTimeout(() => core.emit(st.h, 'swept', '', null, 0), 0);
    },
  });
})(ferryCore);
