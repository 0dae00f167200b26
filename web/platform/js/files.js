// Ferry's JS glue, part 5: files to send. Chosen, dropped, shared or opened files become handles; event on
// handle 0: files (JSON {files: [{h,name,size,type,dir}], dirs: [empty folder paths]}); dir is
// the file's folder relative to what was chosen ("" at the top). fileRead answers with data (core.js, kind
// fileRead, id = request id) or the event read_error (number = request id, text = message).
// Reads go through a block cache: one File.slice().arrayBuffer() per 4 MiB block (each costs
// milliseconds of IPC), and the chunk reads are served from it. A block starts where a request
// that no cached block covers starts, so chunks never straddle two blocks. The cache is shared
// by all files (the sender reads one file at a time): 8 MiB at most, the block being sent and
// the next one, read ahead.
'use strict';
(function (core) {
  const kReadBlock = 4 * 1024 * 1024;  // bytes per File read
  const kReadBlocksKept = 2;           // 8 MiB at most, all files together
  const readCache = [];                // [{h, start, end, bytes: Promise<Uint8Array>}]

  // Most files walked in one dropped folder: one more than a transfer takes (the core then
  // says so), so a drop of a whole disk stops early instead of listing it all.
  const kMaxWalkedFiles = 16385;

  // list: File objects (a folder input's carry webkitRelativePath), or {file, dir} from a
  // dropped folder. emptyDirs: folder paths with nothing in them.
  core.registerFiles = function (list, emptyDirs) {
    const out = [];
    for (const item of list) {
      const f = item instanceof Blob ? item : item.file;
      let dir = item instanceof Blob ? '' : item.dir;
      if (item instanceof Blob && f.webkitRelativePath) {
        const rel = f.webkitRelativePath;
        dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
      }
      out.push({ h: core.add(f, 'file'), name: f.name, size: f.size, type: f.type || '', dir });
    }
    if (out.length) core.emit(0, 'files', JSON.stringify({ files: out, dirs: emptyDirs || [] }));
  };

  // A dropped folder, walked: its files with their folders, and its empty folders.
  // (DataTransferItem.webkitGetAsEntry works in every browser; getAsFileSystemHandle only in
  // Chromium, and gives nothing more here.)
  function readAll(reader) {  // readEntries answers in batches (100 in Chromium) until empty
    return new Promise((resolve, reject) => {
      const all = [];
      const more = () => reader.readEntries((batch) => {
        if (!batch.length) return resolve(all);
        all.push(...batch);
        more();
      }, reject);
      more();
    });
  }
  async function walk(entries) {
    const files = [];
    const dirs = [];
    const folderOf = (e) => e.fullPath.slice(1, Math.max(1, e.fullPath.lastIndexOf('/')));
    const stack = [...entries];
    while (stack.length && files.length < kMaxWalkedFiles) {
      const e = stack.pop();
      if (e.isFile) {
        const file = await new Promise((resolve, reject) => e.file(resolve, reject));
        files.push({ file, dir: e.fullPath.lastIndexOf('/') > 0 ? folderOf(e) : '' });
      } else if (e.isDirectory) {
        const children = await readAll(e.createReader());
        if (!children.length) dirs.push(e.fullPath.slice(1));
        for (let i = children.length - 1; i >= 0; --i) stack.push(children[i]);
      }
    }
    files.sort((a, b) => (a.dir + '/' + a.file.name < b.dir + '/' + b.file.name ? -1 : 1));
    return { files, dirs };
  }
  core.walkDropped = walk;

  // Files shared into Ferry (the manifest's share_target: shell/sw.js keeps them in a Cache and
  // opens /?shared=N) or opened with it (file_handlers: the launch queue): sent like chosen files,
  // once the client runs (an event before that would find nobody).
  const kShareCache = 'ferry-share';  // must match shell/sw.js
  let running = false;
  const waiting = [];
  function registerWhenRunning(files) {
    if (!files.length) return;
    if (running) core.registerFiles(files); else waiting.push(files);
  }
  Module['postRun'] = [].concat(Module['postRun'] || [], [() => {
    running = true;
    waiting.splice(0).forEach((files) => core.registerFiles(files));
  }]);
  async function takeSharedFiles() {
    const cache = await caches.open(kShareCache);
    const keys = await cache.keys();
    const index = (req) => Number(new URL(req.url).pathname.split('/').pop());
    keys.sort((a, b) => index(a) - index(b));
    const files = [];
    for (const key of keys) {
      const res = await cache.match(key);
      const blob = res ? await res.blob() : null;
      await cache.delete(key);  // taken once: a reload does not send them again
      if (!blob) continue;
      const name = decodeURIComponent(res.headers.get('X-Ferry-Name') || '') || 'shared file';
      files.push(new File([blob], name, { type: blob.type }));
    }
    return files;
  }
  if (new URLSearchParams(location.search).has('shared') && self.caches) {
    try { history.replaceState(null, '', location.pathname); } catch (e) { /* sandboxed */ }
    takeSharedFiles().then(registerWhenRunning)
      .catch((e) => console.error('the shared files could not be read: ' + core.errorText(e)));
  }
  if (self.launchQueue) {
    self.launchQueue.setConsumer((params) => {
      Promise.all([...(params.files || [])].map((h) => h.getFile())).then(registerWhenRunning)
        .catch((e) => console.error('the opened files could not be read: ' + core.errorText(e)));
    });
  }

  document.addEventListener('dragover', (ev) => { ev.preventDefault(); });
  document.addEventListener('drop', (ev) => {
    ev.preventDefault();
    const dt = ev.dataTransfer;
    if (!dt) return;
    // Entries must be taken during the event: the items are gone after it.
    const entries = [...(dt.items || [])].map((i) => (i.kind === 'file' && i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
    if (entries.some((e) => e && e.isDirectory)) {
      walk(entries.filter((e) => e)).then(({ files, dirs }) => {
        if (files.length) core.registerFiles(files, dirs);
        else core.emit(0, 'drop_error', 'the folder has no files in it');
      }).catch((e) => core.emit(0, 'drop_error', 'the folder could not be read: ' + core.errorText(e)));
      return;
    }
    if (dt.files) core.registerFiles(dt.files);
  });

  // Starts reading [start, start + length) of file `f` (handle h) into the cache.
  function readBlock(h, f, start, length) {
    const end = Math.min(f.size, start + length);
    const block = { h, start, end, bytes: f.slice(start, end).arrayBuffer().then((buf) => new Uint8Array(buf)) };
    block.bytes.catch(() => {});  // a read-ahead nobody asks for must not be an unhandled rejection
    readCache.push(block);
    while (readCache.length > kReadBlocksKept) readCache.shift();
    return block;
  }

  core.provide({
    fileRead(h, offset, length, requestId) {
      core.stats.reads++;
      const f = core.get(h);
      if (!f) {
        setTimeout(() => { core.stats.readsDone++; core.emit(0, 'read_error', 'the file is no longer available', null, requestId); }, 0);
        return;
      }
      const block = readCache.find((b) => b.h === h && b.start <= offset && offset + length <= b.end)
        || readBlock(h, f, offset, Math.max(kReadBlock, length));
      // Read ahead: once half a block is asked for, the next one is read meanwhile, so the
      // sender never waits for a block read between two blocks.
      if (offset + length > block.start + (block.end - block.start) / 2 && block.end < f.size &&
          !readCache.some((b) => b.h === h && b.start === block.end)) {
        readBlock(h, f, block.end, kReadBlock);
      }
      block.bytes.then((bytes) => {
        const from = offset - block.start;
        if (from + length > bytes.length) throw new Error('the file changed while it was being sent');
        core.stats.readsDone++;
        core.queueData(core.kDataKind.fileRead, h, requestId, bytes.subarray(from, from + length));
      }).catch((e) => {
        const i = readCache.indexOf(block);
        if (i >= 0) readCache.splice(i, 1);
        core.stats.readsDone++;
        core.emit(0, 'read_error', core.errorText(e), null, requestId);
      });
    },
  });
})(ferryCore);
