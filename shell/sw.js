// Ferry's service worker: the app shell offline, and files shared into Ferry.
//
// Shell. The install step caches the page and the assets it loads, under a cache named after the
// build (cmake/stage_dist.cmake writes the build id and the content-hashed names into this file).
// The page itself is fetched from the network first, so the next load after a deploy shows the
// new page with its new asset names, and the cached page only when the network fails (offline:
// the page then says it needs a connection, shell/boot.js). Hashed assets never change, so they
// come from the cache first. A new build's worker installs beside the old one, takes over at
// once, and deletes every older cache when it activates.
//
// Sharing. The manifest's share_target POSTs the shared files (multipart, field "files") to
// /share-target. The worker keeps them in the Cache kShareCache and redirects to /?shared=N;
// the page takes them from there and sends them (web/platform/js/files.js, takeSharedFiles).
// Nothing else is intercepted: /ws, /healthz, the TURN credentials and every other request go
// to the network untouched.
'use strict';

const kBuild = '@FERRY_BUILD@';
const kShellCache = 'ferry-shell-' + kBuild;
const kShareCache = 'ferry-share';  // must match web/platform/js/files.js
const kSharePath = '/share-target';
// The page and what it loads on every start; the names are rewritten to the hashed ones.
const kShell = ['/index.html', '/boot.js', '/ferry.css', '/ferry.js', '/ferry.wasm', '/manifest.webmanifest',
  '/icon-192.png', '/icon-512.png'];
// A content-hashed name (stage_dist.cmake: name.<16 hex>.ext): safe to serve from the cache.
const kHashedName = /\.[0-9a-f]{16}\.[a-z0-9]+$/;
// Most files one share may carry: more are left out (the page's own limits apply after).
const kMaxSharedFiles = 1000;

self.addEventListener('install', (event) => {
  // The hashed assets come from the HTTP cache the page's own load filled (they are immutable),
  // so installing costs no second download; the page and the manifest are revalidated.
  event.waitUntil(caches.open(kShellCache)
    .then((cache) => cache.addAll(kShell))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith('ferry-shell-') && n !== kShellCache)
      .map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

// The page (key /index.html, for / and every deep link) and the manifest.
async function fromNetworkOrCache(request, key) {
  try {
    return await fetch(request);
  } catch (e) {
    const cached = await caches.match(key, { cacheName: kShellCache });
    if (cached) return cached;
    throw e;
  }
}

async function assetFromCacheOrNetwork(request) {
  const cache = await caches.open(kShellCache);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  // Loaded on demand (zxcvbn, client-zip, the storage worker): kept for the next time.
  if (response.ok) cache.put(request, response.clone()).catch(() => {});
  return response;
}

async function receiveShare(request) {
  let files = [];
  try {
    const form = await request.formData();
    files = form.getAll('files').filter((f) => f instanceof File).slice(0, kMaxSharedFiles);
  } catch (e) {
    // Not a multipart form: nothing shared, the page opens as usual.
  }
  const cache = await caches.open(kShareCache);
  await Promise.all((await cache.keys()).map((key) => cache.delete(key)));  // an older share not taken
  await Promise.all(files.map((f, i) => cache.put(kSharePath + '/' + i, new Response(f, {
    headers: { 'Content-Type': f.type || 'application/octet-stream', 'X-Ferry-Name': encodeURIComponent(f.name) },
  }))));
  // 303: the browser follows with a GET of the page.
  return Response.redirect('/?shared=' + files.length, 303);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === 'POST' && url.pathname === kSharePath) {
    event.respondWith(receiveShare(request));
    return;
  }
  if (request.method !== 'GET') return;
  if (request.mode === 'navigate') {
    event.respondWith(fromNetworkOrCache(request, '/index.html'));
  } else if (kHashedName.test(url.pathname)) {
    event.respondWith(assetFromCacheOrNetwork(request));
  } else if (kShell.includes(url.pathname)) {
    event.respondWith(fromNetworkOrCache(request, url.pathname));
  }
});
