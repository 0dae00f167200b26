// Ferry's JS glue, part 5: files to send. Chosen or dropped files become handles; event on
// handle 0: files (JSON [{h,name,size,type}]). fileRead answers with data (core.js, kind
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

  core.registerFiles = function (list) {
    const out = [];
    for (const f of list) out.push({ h: core.add(f, 'file'), name: f.name, size: f.size, type: f.type || '' });
    if (out.length) core.emit(0, 'files', JSON.stringify(out));
  };
  document.addEventListener('dragover', (ev) => { ev.preventDefault(); });
  document.addEventListener('drop', (ev) => {
    ev.preventDefault();
    if (ev.dataTransfer && ev.dataTransfer.files) core.registerFiles(ev.dataTransfer.files);
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
