/* Tidings service worker: the app shell from cache, pages from the network with the last copy kept for offline.
   Served by web/pwa.py from /sw.js, which fills in the shell's addresses and the version. */
"use strict";

const VERSION = "__VERSION__";
const SHELL = "__SHELL__";
const SHELL_CACHE = `tidings-shell-${VERSION}`;
const PAGES_CACHE = "tidings-pages"; // recently opened pages, trimmed to RECENT_PAGES
const SAVED_CACHE = "tidings-saved"; // the reader's saved articles, kept until they are unsaved
const RECENT_PAGES = 60;
const OFFLINE_URL = SHELL[1];
const ARTICLE_PATH = /^\/articles\/\d+\/$/;
// Pages worth reading offline; account, admin and sign-in pages are never kept on the device.
const KEPT_PATH = /^\/($|articles\/\d+\/$|stories\/\d+\/$|tags\/[^/]+\/$|publishers\/|for-you\/$|me\/saved\/$)/;
const KEEP_HEADER = "Tidings-Keep"; // web/views.py: a page kept for offline reading is not a read
const FLASH = '<ul class="messages">'; // a one-time notice ("Saved for later."): that copy is not kept

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names.filter((name) => name.startsWith("tidings-shell-") && name !== SHELL_CACHE).map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

function isStatic(url) {
  return url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest";
}

/* Static assets: the cached copy, else the network (and keep it). */
async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(SHELL_CACHE)).put(request, response.clone());
  return response;
}

async function trim(cache, keep) {
  const keys = await cache.keys();
  await Promise.all(keys.slice(0, Math.max(0, keys.length - keep)).map((key) => cache.delete(key)));
}

/* Pages: the network first, so news is fresh; a good answer is kept (articles and lists the reader opened). Without
   a network: the kept copy (a saved article's first: it is the newest), else the offline page. */
async function networkFirst(request) {
  const url = new URL(request.url);
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    const saved = await (await caches.open(SAVED_CACHE)).match(request);
    const kept = saved || (await caches.match(request)) || (await caches.match(OFFLINE_URL));
    if (kept) return kept;
    throw error;
  }
  if (response.ok && response.type === "basic" && !url.search && KEPT_PATH.test(url.pathname)) {
    const page = await response.clone().text();
    if (page.includes(FLASH)) await (await caches.open(PAGES_CACHE)).delete(request); // the kept copy is out of date
    else await keepPage(request, response.clone());
  }
  return response;
}

async function keepPage(request, response) {
  const pages = await caches.open(PAGES_CACHE);
  await pages.delete(request); // re-inserted last, so trimming drops the least recently opened
  await pages.put(request, response.clone());
  await trim(pages, RECENT_PAGES);
  const saved = await caches.open(SAVED_CACHE);
  if (await saved.match(request)) await saved.put(request, response); // a saved article: its newest copy
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (isStatic(url)) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirst(request));
  }
});

/* The page tells the worker which articles the reader has saved (app.js reads the save buttons and the saved
   list): keep each for offline reading, and forget those unsaved. `only` means the list is complete. */
async function keepSaved({ add, remove, only }) {
  const cache = await caches.open(SAVED_CACHE);
  const href = (path) => new URL(path, self.location.origin).href;
  const wanted = new Set(add.map(href));
  const unwanted = new Set(remove.map(href));
  for (const key of await cache.keys()) {
    if (unwanted.has(key.url) || (only && !wanted.has(key.url))) await cache.delete(key);
  }
  for (const url of wanted) {
    if (await cache.match(url)) continue;
    let response;
    try {
      // A fresh copy (the one opened before may predate the save); the header says no one is reading it now.
      response = await fetch(url, { credentials: "same-origin", headers: { [KEEP_HEADER]: "offline" } });
    } catch (error) {
      response = await caches.match(url); // offline now: the copy opened before, if any
    }
    if (response && response.ok && !(await response.clone().text()).includes(FLASH)) await cache.put(url, response);
  }
}

function articlePaths(value) {
  return Array.isArray(value) ? value.filter((path) => typeof path === "string" && ARTICLE_PATH.test(path)) : [];
}

/* Signing out forgets the reader's pages on this device; the app shell stays. */
function forgetReader() {
  return Promise.all([caches.delete(PAGES_CACHE), caches.delete(SAVED_CACHE)]);
}

/* Changes run one after another in the order pages sent them: an article page opened before the save says
   "not saved", the one after says "saved", and the second must win even when the first is slower. */
let changes = Promise.resolve();
function inTurn(work) {
  changes = changes.then(work, work);
  return changes;
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "forget") {
    event.waitUntil(inTurn(forgetReader));
    return;
  }
  if (data.type !== "saved") return;
  const change = { add: articlePaths(data.add), remove: articlePaths(data.remove), only: data.only === true };
  event.waitUntil(
    inTurn(() => keepSaved(change)).then(
      () => event.source && event.source.postMessage({ type: "saved-kept", count: change.add.length }),
    ),
  );
});
