// Ferry's JS glue, part 9: the local history of transfers (src/app/history.h), in this
// browser's IndexedDB only: never sent anywhere. C++ adds entries (JSON) and asks for the list;
// the list comes back as a 'history' event on handle 0 (JSON array, newest first), after every
// change and on historyLoad().
'use strict';
(function (core) {
  const kDbName = 'ferry-history';
  const kStore = 'entries';
  const kMaxEntries = 200;  // app::kMaxHistoryEntries: older ones are dropped
  let dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const req = indexedDB.open(kDbName, 1);
        req.onupgradeneeded = () => req.result.createObjectStore(kStore, { keyPath: 'id', autoIncrement: true });
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      dbPromise.catch(() => { dbPromise = null; });
    }
    return dbPromise;
  }
  function done(tx) {
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }
  function send() {
    db().then((d) => new Promise((resolve, reject) => {
      const req = d.transaction(kStore, 'readonly').objectStore(kStore).getAll();
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    })).then((all) => {
      const list = all.reverse().slice(0, kMaxEntries).map((e) => {
        const out = Object.assign({}, e);
        delete out.id;
        out.when = new Date(e.at).toLocaleString();
        return out;
      });
      core.emit(0, 'history', JSON.stringify(list));
    }).catch(() => core.emit(0, 'history', '[]'));  // no IndexedDB (private mode): no history
  }
  core.provide({
    historyAdd(json) {
      let entry;
      try { entry = JSON.parse(json); } catch (e) { return; }
      entry.at = Date.now();
      db().then((d) => {
        const tx = d.transaction(kStore, 'readwrite');
        const store = tx.objectStore(kStore);
        store.add(entry);
        // Keep the newest kMaxEntries: delete the oldest keys beyond them.
        const keys = store.getAllKeys();
        keys.onsuccess = () => {
          const extra = keys.result.length - kMaxEntries;
          for (let i = 0; i < extra; i++) store.delete(keys.result[i]);
        };
        return done(tx);
      }).then(send, send);
    },
    historyLoad() { send(); },
    historyClear() {
      db().then((d) => {
        const tx = d.transaction(kStore, 'readwrite');
        tx.objectStore(kStore).clear();
        return done(tx);
      }).then(send, send);
    },
  });
})(ferryCore);
