// The page's service worker: after one visit the page also loads offline
// (a reload with no network). Each file of the page's own origin comes from
// the network when it can, so an updated module or pack is used at once,
// and from the copy kept at the last successful fetch when it cannot.
// Nothing else is fetched or kept; a bundle the pack list no longer names is
// dropped.
const CACHE = 'mezon-page';
// The files the first page view fetched before this worker ran.
const PAGE = ['./', 'index.html', 'app.js', 'style.css', 'pkg/mezon_wasm.js', 'pkg/mezon_wasm_bg.wasm', 'packs/index.json'];
// This page's bundle folder and pack list, beside this script as PAGE's
// files are (not from the scope, which a registration may set elsewhere).
// The cache is shared by every copy of the page on the origin: another one,
// under another path, keeps its own.
const PACKS = new URL('packs/', self.location).pathname;
const INDEX = `${PACKS}index.json`;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(PAGE);
    // The pack bundles the page lists.
    const index = await (await cache.match('packs/index.json')).json();
    await cache.addAll(index.packs.map((p) => `packs/${p.file}`));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// A fresh pack list drops the kept bundles it no longer lists, so that a
// retired pack neither fills the storage nor loads offline.
async function prune(cache, index) {
  const listed = new Set(index.packs.map((p) => `${PACKS}${p.file}`));
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    const bundle = path.startsWith(PACKS) && /^[^/]+\.json$/.test(path.slice(PACKS.length)) && path !== INDEX;
    if (bundle && !listed.has(path)) await cache.delete(request);
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith((async () => {
    try {
      // Past the HTTP cache too (revalidated), so that "updates are used at
      // once" does not depend on the server's cache headers.
      const response = await fetch(request, { cache: 'no-cache' });
      if (response.ok) {
        const copy = response.clone();
        event.waitUntil(caches.open(CACHE).then(async (cache) => {
          await cache.put(request, copy.clone());
          if (url.pathname === INDEX) await prune(cache, await copy.json());
        }));
      }
      return response;
    } catch (offline) {
      // `?sample` and the like are the same file.
      const kept = await caches.match(request, { ignoreSearch: true, ignoreVary: true });
      if (kept) return kept;
      throw offline;
    }
  })());
});
