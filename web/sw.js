// The client's service worker: keeps the app itself, and what the mentor reads, on the device,
// so the course can be read where the network drops (a lift, a basement, between two houses).
// The server writes the assets' version in place of VERSION, so every new client is a new worker;
// it waits until the page lets it take over (the page asks the person first, see app.js).
//
// What is kept:
// - the app shell (index.html, for every client path) and the versioned assets, cache-first
//   (they never change under one version); old versions' assets go when a new worker starts;
// - the API answers a mentor reads (the path, pages, literature, profile, answers, note,
//   webinars, certificate), network-first with the stored copy when the network fails or is
//   very slow, in a cache per user (answers are private and phones are shared: the page asks
//   the worker to delete it on signing out);
// - subtitles (course content, the same for everyone).
// Films are never kept (they are large, and the phone's own player streams them), and nothing
// but GET is touched: writes go from the page, through its outbox.

const VERSION = 'VERSION';
const SHELL = 'mentorsti-shell';
const ASSETS = 'mentorsti-assets-';
const API = 'mentorsti-api-';
const SHARED = 'mentorsti-shared';

const READS = [
  /^\/api\/v1\/path$/,
  /^\/api\/v1\/modules\/\d+\/pages\/[a-z0-9-]+$/,
  /^\/api\/v1\/literature$/,
  /^\/api\/v1\/me$/,
  /^\/api\/v1\/me\/answers$/,
  /^\/api\/v1\/me\/reflection-note$/,
  /^\/api\/v1\/me\/webinars$/,
  /^\/api\/v1\/me\/certificate$/,
];
// "Not there" is an answer too (no certificate yet, a page taken out of the course).
const KEPT_STATUSES = [200, 404];
const SUBTITLES = /^\/api\/v1\/subtitles\/[^/]+$/;
// On a connection that hangs rather than fails, the stored copy is shown after this long (the
// network's answer still renews the copy when it comes).
const PATIENCE_MS = 6000;

self.addEventListener('install', (event) => {
  event.waitUntil(keepShell());
});

/** The shell and the assets it names, so the app opens offline from the first visit on. */
async function keepShell() {
  const response = await fetch('/', { cache: 'no-cache' });
  if (!response.ok) throw new Error(`the client answered ${response.status}`);
  const html = await response.clone().text();
  const names = new Set([...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]));
  await Promise.all([...names].map(async (name) => {
    const url = new URL(name, self.location.origin);
    const cache = await caches.open(assetCache(url));
    if (await cache.match(url)) return;
    const asset = await fetch(url);
    // A body left unread holds its connection: six of them and the install waits for ever.
    if (keepable(asset)) await cache.put(url, asset);
    else await asset.body?.cancel();
  }));
  await (await caches.open(SHELL)).put('/', response);
}

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const mine = ASSETS + VERSION;
    for (const name of await caches.keys()) {
      if (name.startsWith(ASSETS) && name !== mine) await caches.delete(name);
    }
    // Pages start before their worker does: the navigation request goes out while it starts.
    await self.registration.navigationPreload?.enable();
    // The first worker takes the open page at once, so what it reads is kept from the start.
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  const message = event.data || {};
  const answer = (work) => event.waitUntil((async () => event.ports[0]?.postMessage(await work()))());
  if (message.type === 'version') event.ports[0]?.postMessage(VERSION);
  else if (message.type === 'take-over') self.skipWaiting();
  else if (message.type === 'forget') answer(() => forgetReading(message.except));
  else if (message.type === 'kept') answer(() => isKept(message));
});

/** Removes the API answers kept for reading: every user's, or all but the user `except`'s. */
async function forgetReading(except) {
  for (const name of await caches.keys()) {
    if (name.startsWith(API) && name !== API + except) await caches.delete(name);
  }
  return true;
}

/** Whether an answer to `url` in the written form `form` is kept for `user`. */
async function isKept({ user, url, form }) {
  const cache = await caches.open(API + user);
  return Boolean(await cache.match(keyOf(url, form), { ignoreVary: true }));
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || request.headers.has('range')) return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (request.mode === 'navigate') {
    // Downloads, the API's documentation and a sign-in provider's round trip (/api/v1/auth/oidc/…)
    // are not the client: they get the network's answer as it is, redirects and cookies included.
    if (/^\/(api|docs|health)(\/|$)/.test(path)) {
      if (event.preloadResponse) event.respondWith(passOn(event));
      return;
    }
    event.respondWith(navigate(event));
  } else if (path.startsWith('/assets/')) {
    event.respondWith(asset(event, url));
  } else if (SUBTITLES.test(path)) {
    event.respondWith(read(event, SHARED, url.href));
  } else if (READS.some((pattern) => pattern.test(path))) {
    const user = subject(request.headers.get('authorization'));
    if (user) event.respondWith(read(event, API + user, keyOf(url, request.headers.get('accept-language'))));
  }
});

/**
 * A navigation that is not the client's, answered by the network once. Navigation preload has
 * asked for it already as the navigation began; a worker that left it unanswered would have the
 * browser ask again, and a second request would start a provider's sign-in twice (the browser
 * keeping the cookie of one, going on with the state of the other) or spend its code twice.
 * A redirect comes back as it is (an opaque redirect), and the browser follows it itself.
 */
async function passOn(event) {
  try {
    const preloaded = await event.preloadResponse;
    if (preloaded) return preloaded;
  } catch {
    // The preload failed (no network, say): the browser's own request says how.
  }
  return fetch(event.request);
}

/** The client's page from the network, else the one kept (the client routes every path itself). */
function navigate(event) {
  const network = (async () => (await event.preloadResponse) || fetch(event.request))();
  event.waitUntil(network.then((response) => {
    const html = (response.headers.get('content-type') || '').startsWith('text/html');
    return response.status === 200 && html && keep(SHELL, '/', response);
  }).catch(() => {}));
  return freshOrKept(network, () => caches.open(SHELL).then((cache) => cache.match('/')));
}

/** The cache of an asset's version: `/assets/<version>/…`. */
function assetCache(url) {
  return ASSETS + url.pathname.split('/')[2];
}

/**
 * Only today's files are kept: the server answers an older version's address with today's file
 * (`no-cache`), which must not be kept under the old name. A debug server serving the working
 * tree (`no-store`) is not kept either, so an edit shows at the next reload.
 */
function keepable(response) {
  return response.status === 200 && (response.headers.get('cache-control') || '').includes('immutable');
}

async function asset(event, url) {
  const kept = await caches.match(url, { cacheName: assetCache(url) });
  if (kept) return kept;
  const response = await fetch(event.request);
  if (keepable(response)) event.waitUntil(keep(assetCache(url), url, response));
  return response;
}

/**
 * An API answer from the network, kept under `key`; when the network fails (or hangs), the kept
 * copy, and the page is told it sees one (it says so, with a way to try again).
 */
function read(event, cacheName, key) {
  const network = fetch(event.request);
  event.waitUntil(network.then((response) => KEPT_STATUSES.includes(response.status) && keep(cacheName, key, response)).catch(() => {}));
  return freshOrKept(network, async () => {
    const kept = await (await caches.open(cacheName)).match(key, { ignoreVary: true });
    if (kept) tell(event.clientId, { type: 'kept-copy', url: event.request.url });
    return kept;
  });
}

/**
 * Keeps a copy of `response` under `key`. The copy is taken at once, before the page reads the
 * body; a full store refuses it, and reading goes on from the network.
 */
function keep(cacheName, key, response) {
  const copy = response.clone();
  return caches.open(cacheName).then((cache) => cache.put(key, copy)).catch(() => {});
}

/**
 * The network's answer; the kept one when the network fails, or takes longer than PATIENCE_MS
 * and there is one (else the network's answer, however late, or its failure).
 */
async function freshOrKept(network, kept) {
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve(null), PATIENCE_MS);
  });
  try {
    const first = await Promise.race([network, late]);
    if (first) return first;
    return (await kept()) || (await network);
  } catch (error) {
    const copy = await kept();
    if (copy) return copy;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The key an answer is kept under: its address with the written form it was asked in (answers
 * carry `Vary: Authorization`, and access tokens change every few minutes, so the request itself
 * cannot be the key).
 */
function keyOf(url, form) {
  const key = new URL(url);
  key.searchParams.set('_form', form || '');
  return key.href;
}

/** The user a bearer token is for (its `sub`), or null. */
function subject(authorization) {
  const token = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(authorization || '');
  if (!token) return null;
  try {
    const sub = JSON.parse(atob(token[2].replace(/-/g, '+').replace(/_/g, '/'))).sub;
    return /^[0-9a-f-]{36}$/.test(sub) ? sub : null;
  } catch {
    return null;
  }
}

async function tell(clientId, message) {
  const client = clientId && (await self.clients.get(clientId));
  client?.postMessage(message);
}
